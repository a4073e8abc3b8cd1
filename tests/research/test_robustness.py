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


def make_study(
    db: Database,
    *,
    minimize: bool = False,
    statuses: str = "completed",
    returns: np.ndarray | None = None,
    stat: str = "Sharpe Ratio",
    stats: dict[str, float] | None = None,
) -> int:
    """The 3 x 3 grid study of ``SHARPES`` (``stat`` its objective, with those values),
    ``returns`` stored with its trials (a column per trial)."""
    spec = json.dumps({"objectives": [{"stat": stat, "minimize": minimize}]})
    study = create_study(
        db, name="s", strategy="SmaCross", method="grid", objectives=f"max {stat}",
        spec=spec, fingerprint="x", backend="local", workers=1, planned=len(SHARPES),
    )  # fmt: skip
    rows = [
        TrialRow(
            number=i,
            params={"fast": fast, "slow": slow},
            status=statuses,
            objective=[value],
            feasible=True,
            stats={stat: value, "Duration": 4 * YEAR_S} if stats is None else stats,
            error=None,
            duration_s=0.1,
            worker="w",
            returns=() if returns is None else tuple(returns[:, i]),
        )
        for i, ((fast, slow), value) in enumerate(SHARPES.items())
    ]
    append_trials(db, study, rows)
    return study


def test_without_stored_returns_the_dsr_and_pbo_are_not_given_and_the_plateau_is(
    db: Database,
) -> None:
    """The stored annual Sharpe ratios (compounded) would make a DSR 18-40% low: none is
    given, and a note says why."""
    result = study_robustness(db, make_study(db))
    assert result.best_trial == 4 and dict(result.best_params) == {"fast": 10, "slow": 40}
    assert result.deflated is None and result.overfitting is None
    assert any("DSR and PBO need every trial's per-period returns" in n for n in result.notes)
    neighbours = [v for k, v in SHARPES.items() if k != (10, 40)]  # all 8 touch the centre
    score = 1 - (1.4 - statistics.mean(neighbours)) / (1.4 - -0.4)
    assert result.plateau is not None and result.plateau.score == pytest.approx(score)
    summary = result.summary()
    assert summary["deflated_sharpe_ratio"] is None and summary["pbo"] is None
    assert "Deflated Sharpe Ratio" in summary["definitions"]


def test_trials_without_a_duration_or_sharpe_still_give_a_summary(db: Database) -> None:
    """Once ``round(NaN)`` of a missing Duration: "cannot convert float NaN to integer"."""
    result = study_robustness(db, make_study(db, stat="Return [%]", stats={}))
    assert result.deflated is None and result.plateau is not None


def test_a_minimised_objective_picks_the_lowest_trial(db: Database) -> None:
    result = study_robustness(db, make_study(db, minimize=True))
    assert dict(result.best_params) == {"fast": 15, "slow": 60}
    assert result.objective == "min Sharpe Ratio"


def test_stored_returns_give_the_pbo_and_the_dsr_of_the_best_trials_own_returns(
    db: Database,
) -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0, 0.01, (640, 9))
    result = study_robustness(db, make_study(db, returns=returns), blocks=8)
    assert result.overfitting is not None and result.overfitting.measure == "sharpe"
    assert result.overfitting.pbo == probability_of_overfitting(returns, 8).pbo
    best = returns[:, 4]  # trial 4, the best by the stored objective
    sharpes = [statistics.mean(c) / statistics.stdev(c) for c in returns.T.tolist()]
    mu, n = statistics.mean(best), len(best)
    m2 = sum((x - mu) ** 2 for x in best) / n
    skew = sum((x - mu) ** 3 for x in best) / n / m2**1.5
    kurt = sum((x - mu) ** 4 for x in best) / n / m2**2
    gamma, norm = 0.5772156649015329, statistics.NormalDist()
    sr0 = math.sqrt(statistics.variance(sharpes)) * (
        (1 - gamma) * norm.inv_cdf(1 - 1 / 9) + gamma * norm.inv_cdf(1 - 1 / (9 * math.e))
    )
    sr = sharpes[4]
    z = (sr - sr0) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert result.deflated is not None and result.deflated.periods == 640
    assert result.deflated.sharpe == pytest.approx(sr)
    assert result.deflated.dsr == pytest.approx(norm.cdf(z))


def test_the_pbo_ranks_trials_by_the_studys_objective_where_returns_give_it(
    db: Database,
) -> None:
    rng = np.random.default_rng(4)
    returns = rng.normal(0.0003, 0.01, (320, 9)) * rng.uniform(0.5, 3.0, 9)  # risk differs
    by_return = study_robustness(db, make_study(db, returns=returns, stat="Return [%]"), blocks=8)
    assert by_return.overfitting is not None and by_return.overfitting.measure == "return"
    expected = probability_of_overfitting(returns, 8, measure="return").pbo
    assert by_return.overfitting.pbo == expected
    assert expected != probability_of_overfitting(returns, 8).pbo  # the ranking matters here
    assert not any("PBO ranks" in n for n in by_return.notes)
    drawdown = make_study(db, returns=returns, stat="Max. Drawdown [%]", minimize=True)
    by_sharpe = study_robustness(db, drawdown, blocks=8)
    assert by_sharpe.overfitting is not None and by_sharpe.overfitting.measure == "sharpe"
    assert by_sharpe.overfitting.pbo == probability_of_overfitting(returns, 8).pbo
    assert any("PBO ranks the trials by Sharpe ratio: Max. Drawdown" in n for n in by_sharpe.notes)


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
    assert [n for n in result.notes if "PBO" in n] == [
        "PBO over 16 blocks: the most, up to 16, with at least 2 of the "
        f"{len(matrix):,} periods each"
    ]
    assert result.deflated is not None and result.deflated.periods == len(matrix)


def test_a_sampled_studys_plateau_is_over_the_trials_nearest_its_best(db: Database) -> None:
    """Random draws of float parameters share no values: the grid they span has one trial per
    row and column, so its best cell had no neighbour with a value."""
    spec = json.dumps({"objectives": [{"stat": "Sharpe Ratio", "minimize": False}]})
    study = create_study(
        db, name="r", strategy="SmaCross", method="random", objectives="max Sharpe Ratio",
        spec=spec, fingerprint="y", backend="local", workers=1, planned=40,
    )  # fmt: skip
    rng = np.random.default_rng(9)
    a, b = rng.uniform(0, 10, 40), rng.uniform(100, 300, 40)
    value = -((a - 5) ** 2) / 10 - ((b - 200) / 50) ** 2 + rng.normal(0, 0.05, 40)
    rows = [
        TrialRow(
            number=i, params={"a": float(a[i]), "b": float(b[i]), "kind": "x"},
            status="completed", objective=[float(value[i])], feasible=True,
            stats={"Sharpe Ratio": float(value[i])}, error=None, duration_s=0.1, worker="w",
        )
        for i in range(40)
    ]  # fmt: skip
    append_trials(db, study, rows)
    result = study_robustness(db, study)
    best = int(np.argmax(value))
    scaled = np.column_stack([(a - a.min()) / np.ptp(a), (b - b.min()) / np.ptp(b)])
    distance = [math.dist(scaled[i], scaled[best]) for i in range(40)]
    nearest = sorted((i for i in range(40) if i != best), key=distance.__getitem__)[:4]
    mean = statistics.mean(value[i] for i in nearest)
    assert result.plateau is not None and result.plateau.neighbours == 4  # 2 x 2 parameters
    assert result.plateau.neighbour_mean == pytest.approx(mean)
    score = 1 - (value[best] - mean) / (value[best] - value.min())
    assert result.plateau.score == pytest.approx(score)


def test_cli_robustness_takes_the_pbos_blocks(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(6)
    with Database.open(db_path) as db:
        make_study(db, returns=rng.normal(0.0, 0.01, (24, 9)))  # 24 periods: fewer than 2 x 16
    assert main(["robustness", "1", "--blocks", "16", "--db", str(db_path)]) == 0
    assert "note: PBO: 24 periods: 16 blocks need at least 32" in capsys.readouterr().out
    assert main(["robustness", "1", "--blocks", "4", "--json", "--db", str(db_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pbo_blocks"] == 4 and out["pbo_ranked_by"] == "sharpe"
    returns = np.column_stack([stored for _, stored in sorted(trial_returns_of(db_path).items())])
    assert out["pbo"] == probability_of_overfitting(returns, 4).pbo
    for bad in ("3", "18", "x"):
        try:
            code = main(["robustness", "1", "--blocks", bad, "--db", str(db_path)])
        except SystemExit as exit_:  # the option parser refuses by exiting
            code = exit_.code
        err = capsys.readouterr().err.strip()
        assert code == REFUSED and f"'{bad}'" in err and "\n" not in err, err


def test_without_blocks_the_pbo_uses_the_most_that_have_two_periods_each(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's demo study has 19 daily returns: 16 blocks would need 32, and no PBO."""
    rng = np.random.default_rng(7)
    with Database.open(db_path) as db:
        make_study(db, returns=rng.normal(0.0, 0.01, (19, 9)))
        make_study(db, returns=rng.normal(0.0, 0.01, (7, 9)))
    assert main(["robustness", "1", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "pbo_blocks" in out and "note: PBO over 8 blocks" in out and "of the 19 periods" in out
    returns = np.column_stack([stored for _, stored in sorted(trial_returns_of(db_path).items())])
    with Database.open(db_path) as db:
        result = study_robustness(db, 1)
    assert result.overfitting is not None and result.overfitting.blocks == 8
    assert result.overfitting.pbo == probability_of_overfitting(returns, 8).pbo
    assert main(["robustness", "2", "--json", "--db", str(db_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pbo"] is None
    assert "PBO: 7 periods: PBO needs at least 8 periods (trading days)" in out["notes"]


def trial_returns_of(db_path: Path) -> dict[int, np.ndarray]:
    with Database.open(db_path) as db:
        return trial_returns(db, 1)
