"""A stored study's robustness summary: trials written through the studies store, each
statistic recomputed here by hand; then a real study from ``ostdesk optimize``."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ostdesk.cli import main
from ostdesk.cli_errors import REFUSED
from ostdesk.research.overfitting import OverfittingError, probability_of_overfitting
from ostdesk.research.robustness import study_robustness
from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.study import StudyRunner
from ostdesk.research.trial import config_for
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import run_equity
from ostdesk.store.studies import (
    TrialRow,
    append_trials,
    create_study,
    stored_trials,
    trial_returns,
)
from ostdesk.strategies.sma_cross import SmaCross
from tests.cli_data import import_goog

YEAR_S = 365 * 86_400.0
# Sharpe Ratio per (fast, slow) cell of a 3 x 3 grid; the best is (10, 40)
SHARPES = {(5, 20): 0.2, (5, 40): 0.5, (5, 60): 0.1,
           (10, 20): 0.6, (10, 40): 1.4, (10, 60): 0.9,
           (15, 20): 0.3, (15, 40): 0.7, (15, 60): -0.4}  # fmt: skip


def make_study(db: Database, *, minimize: bool = False, statuses: str = "completed") -> int:
    spec = json.dumps({"objectives": [{"stat": "Sharpe Ratio", "minimize": minimize}]})
    study = create_study(
        db, name="s", strategy="SmaCross", method="grid", objectives="max Sharpe Ratio",
        spec=spec, fingerprint="x", backend="local", workers=1, planned=len(SHARPES),
    )  # fmt: skip
    rows = [
        TrialRow(
            number=i,
            params={"fast": fast, "slow": slow},
            status=statuses,
            objective=[sharpe],
            feasible=True,
            stats={"Sharpe Ratio": sharpe, "Duration": 4 * YEAR_S},
            error=None,
            duration_s=0.1,
            worker="w",
        )
        for i, ((fast, slow), sharpe) in enumerate(SHARPES.items())
    ]
    append_trials(db, study, rows)
    return study


def test_dsr_and_plateau_of_a_stored_grid_study(db: Database) -> None:
    result = study_robustness(db, make_study(db))
    assert result.best_trial == 4 and dict(result.best_params) == {"fast": 10, "slow": 40}
    per_day = [s / math.sqrt(252) for s in SHARPES.values()]
    n, var, periods = 9, statistics.variance(per_day), 4 * 252
    gamma = 0.5772156649015329
    norm = statistics.NormalDist()
    sr0 = math.sqrt(var) * (
        (1 - gamma) * norm.inv_cdf(1 - 1 / n) + gamma * norm.inv_cdf(1 - 1 / (n * math.e))
    )
    sr = 1.4 / math.sqrt(252)
    expected = norm.cdf((sr - sr0) * math.sqrt(periods - 1) / math.sqrt(1 + 0.5 * sr**2))
    assert result.deflated is not None
    assert result.deflated.dsr == pytest.approx(expected)
    neighbours = [v for k, v in SHARPES.items() if k != (10, 40)]  # all 8 touch the centre
    score = 1 - (1.4 - statistics.mean(neighbours)) / (1.4 - -0.4)
    assert result.plateau is not None and result.plateau.score == pytest.approx(score)
    assert result.overfitting is None
    assert any("PBO needs every trial's per-period returns" in n for n in result.notes)
    summary = result.summary()
    assert summary["pbo"] is None and "Deflated Sharpe Ratio" in summary["definitions"]


def test_a_minimised_objective_picks_the_lowest_trial(db: Database) -> None:
    result = study_robustness(db, make_study(db, minimize=True))
    assert dict(result.best_params) == {"fast": 15, "slow": 60}
    assert result.objective == "min Sharpe Ratio"


def test_given_returns_the_pbo_and_the_best_trials_own_moments_are_used(db: Database) -> None:
    study = make_study(db)
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0, 0.01, (640, 9))
    result = study_robustness(db, study, returns=returns, blocks=8)
    assert result.overfitting is not None
    assert result.overfitting.pbo == probability_of_overfitting(returns, 8).pbo
    best = returns[:, 4]  # trial 4, the best by the stored objective
    assert result.deflated is not None
    assert result.deflated.sharpe == pytest.approx(statistics.mean(best) / statistics.stdev(best))
    assert result.deflated.periods == 640
    with pytest.raises(OverfittingError, match=r"expected periods x 9 completed trials"):
        study_robustness(db, study, returns=returns[:, :5])


def test_a_study_without_a_completed_trial_is_refused_saying_so(db: Database) -> None:
    study = make_study(db, statuses="failed")
    with pytest.raises(OverfittingError, match="has no completed, feasible trial"):
        study_robustness(db, study)


def test_cli_robustness_of_a_real_study(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_goog(db_path)
    args = ["optimize", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    args += ["--param", "fast=5:15:5", "--param", "slow=20:60:20", "--workers", "1"]
    assert main([*args, "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["robustness", "1", "--json", "--db", str(db_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trials"] == 9 and out["objective"] == "max Sharpe Ratio"
    assert 0.0 <= out["deflated_sharpe_ratio"] <= 1.0
    assert out["plateau_neighbours"] >= 3 and out["plateau_score"] <= 1.0
    assert main(["robustness", "2", "--db", str(db_path)]) == REFUSED
    err = capsys.readouterr().err.strip()
    assert err == "ostdesk robustness: no study 2; `ostdesk studies` lists them"


def test_a_stored_grid_study_gives_the_pbo_of_its_trials_recorded_returns(
    goog_db: Database,
) -> None:
    spec = StudySpec(
        strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
        space=(
            parse_dimension(SmaCross.params["fast"], "5:10:5"),
            parse_dimension(SmaCross.params["slow"], "20:40:20"),
        ),
        objectives=(Objective("Sharpe Ratio"),),
    )  # fmt: skip
    study = StudyRunner(goog_db, spec, workers=1).run().study_id
    trials = stored_trials(goog_db, study)
    assert [t.status for t in trials] == ["completed"] * 4
    columns = []
    for t in trials:  # each trial recorded as a run: its daily returns from the run's equity
        config = replace(config_for(spec, SmaCross, t.params, {}), executor="threaded")
        run = prepare_backtest(goog_db, config).run()
        equity = run_equity(goog_db, run.recording.run_id)["equity"]
        columns.append(equity[1:] / equity[:-1] - 1.0)
    matrix = np.column_stack(columns)
    stored = trial_returns(goog_db, study)
    np.testing.assert_allclose(np.column_stack([stored[t.number] for t in trials]), matrix)
    result = study_robustness(goog_db, study)
    assert result.overfitting is not None
    assert result.overfitting.pbo == pytest.approx(probability_of_overfitting(matrix).pbo)
    assert not any("PBO" in n for n in result.notes)
    assert result.deflated is not None and result.deflated.periods == len(matrix)
