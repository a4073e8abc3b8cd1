"""What ``ostdesk study N``, ``studies`` and the progress line tell a user, on studies stored
directly (no workers): the whole Pareto front, why no trial ranks, failures counted, a study
a dead process left running shown interrupted with the resume command, column headers."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest

from ostdesk.cli import main
from ostdesk.cli_research import _ProgressLine
from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.study import StudyProgress
from ostdesk.store import Database
from ostdesk.store.studies import TrialRow, append_trials, create_study, get_study

SMA = load_strategies().get("SmaCross")


def _store(db_path: Path, trials: list[TrialRow], *objectives: Objective, **kw: Any) -> int:
    """A study of SmaCross on GOOG holding ``trials``, left ``running``."""
    dims, fixed = parse_space(SMA.params, ["fast=2:50", "slow=51:200"])
    spec = StudySpec("SmaCross", "built-in", ("GOOG",), "day", dims, objectives, fixed, **kw)
    with Database.open(db_path) as db:
        study = create_study(
            db, name="qa", strategy="SmaCross", method=spec.method,
            objectives="; ".join(o.describe() for o in objectives), spec=spec.to_json(),
            fingerprint="f", backend="local", workers=2, planned=spec.n_trials,
        )  # fmt: skip
        append_trials(db, study, trials)
    return study


def _trial(n: int, objective: list[float], status: str = "completed", **kw: Any) -> TrialRow:
    stats = kw.pop("stats", {"# Trades": 5.0})
    return TrialRow(
        n, {"fast": 2 + n, "slow": 60 + n}, status, objective, True, stats,
        kw.pop("error", None), 0.1, kw.pop("worker", "local:1"),
    )  # fmt: skip


def test_study_json_gives_the_whole_pareto_front_and_text_says_when_it_cuts_best_trials(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    front = [_trial(n, [float(n), float(20 - n)]) for n in range(14)]
    two = _store(db_path, front, Objective("Return [%]"), Objective("Sharpe Ratio"),
                 method="nsga2", n_trials=14)  # fmt: skip
    assert main(["study", str(two), "--db", str(db_path), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["pareto_front"]) == 14

    one = _store(db_path, front, Objective("Return [%]"), method="tpe", n_trials=14)
    assert main(["study", str(one), "--db", str(db_path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "best trials (the top 3 of 14; --top N shows more):" in out
    assert out.count("  trial ") == 3


def test_no_best_trial_says_which_failed_and_which_had_no_value_and_counts_errors(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trials = [
        _trial(0, [math.nan], "failed", error="strategy: ValueError: boom k=1", stats={}),
        _trial(1, [math.nan], "failed", error="strategy: ValueError: boom k=1", stats={}),
        _trial(2, [math.nan], "failed", error="strategy: KeyError: 'x'", stats={}),
        _trial(3, [math.nan], stats={"# Trades": 0.0, "Sharpe Ratio": None}),
        _trial(4, [math.nan], stats={"# Trades": 0.0, "Sharpe Ratio": None}),
    ]
    study = _store(db_path, trials, Objective("Sharpe Ratio"))
    assert main(["study", str(study), "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert (
        "\nno best trial: 3 failed (first: strategy: ValueError: boom k=1); "
        "2 completed with no Sharpe Ratio (0 trades)\n"
    ) in out
    assert "    2 x strategy: ValueError: boom k=1\n" in out
    assert "    1 x strategy: KeyError: 'x'\n" in out
    assert "meets the constraints" not in out


def test_repeated_parameter_sets_are_counted_and_listed_once(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _trial(0, [1.0])
    again = TrialRow(**{**first.__dict__, "number": 1, "worker": "repeat of 0"})
    study = _store(db_path, [first, again], Objective("Sharpe Ratio"), method="tpe", n_trials=2)
    assert main(["study", str(study), "--db", str(db_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["repeated"] == 1 and [t["trial"] for t in report["best"]] == [0]
    assert main(["study", str(study), "--db", str(db_path)]) == 0
    assert "1 trials asked for a parameter set tried before" in capsys.readouterr().out


def test_a_study_left_running_shows_interrupted_with_the_resume_command(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = _store(db_path, [_trial(0, [1.0])], Objective("Sharpe Ratio"))
    hint = f"study {study} is interrupted: `ostdesk optimize --resume {study}` goes on"
    assert main(["studies", "--db", str(db_path)]) == 0
    header, row, note = capsys.readouterr().out.splitlines()
    assert header.split()[:5] == ["id", "status", "strategy", "method", "trials"]
    assert "symbols" in header and "bars from" in header
    assert row.split()[:7] == [str(study), "interrupted", "SmaCross", "grid", "1/?", "GOOG", "day"]
    assert note.startswith(hint)
    assert main(["study", str(study), "--db", str(db_path)]) == 0
    assert hint in capsys.readouterr().out

    assert main(["study", str(study), "--db", str(db_path), "--rerun", "7"]) != 0  # opens to write
    assert f"study {study} was left running" in capsys.readouterr().err
    with Database.open(db_path, read_only=True) as db:
        assert get_study(db, study)["status"] == "interrupted"


def test_runs_lists_under_column_headers(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.cli_data import import_goog

    import_goog(db_path)
    args = ["backtest", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--db", str(db_path)]) == 0
    capsys.readouterr()
    assert main(["runs", "--db", str(db_path)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:6] == ["id", "status", "strategy", "symbols", "period", "statistics"]
    assert row.split()[:5] == ["1", "completed", "SmaCross", "GOOG", "day"]
    assert header.index("statistics") == row.index("return") and header.endswith("name")


def test_a_resumed_study_s_rate_is_of_its_own_trials() -> None:
    stream = io.StringIO()
    progress = StudyProgress(
        done=35, planned=100, running=2, elapsed_s=2.0, eta_s=26.0, by_status={"completed": 35},
        done_here=5, repeated=1,
    )  # fmt: skip
    _ProgressLine(stream)(progress)
    assert "trials 35/100 (1 repeated)  2.5 trials/s  ETA 0:26" in stream.getvalue()
