"""What the command line prints reads as a trader expects: plain lines, no Python reprs,
numbers and durations written out; and ``--json`` is real JSON with ISO-8601 times."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ostdesk.cli import main
from ostdesk.cli_values import duration, iso_duration, json_value, money, text
from ostdesk.store.paths import default_strategies_dir
from tests.cli_data import import_goog

REPR_MARKS = ("PosixPath", "<", "['", "datetime", "Timedelta", "{'", "days, ")
"""What a Python repr, a list's repr or str() of a timedelta would leave in the output."""


@pytest.fixture
def goog_run(db_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``--db`` of a database with GOOG's daily bars and one SmaCross run on them (run 1)."""
    import_goog(db_path)
    args = ["backtest", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--commission", "percent=0.1", "--db", str(db_path)]) == 0
    capsys.readouterr()
    return ["--db", str(db_path)]


def _strict_json(out: str) -> Any:
    """The output parsed as JSON that a strict reader accepts: no NaN or Infinity."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(out, parse_constant=refuse)


def _utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() == dt.timedelta(0), text
    return value


# -- single values ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-0.0, "0"),
        (-0.00001, "0"),
        (100_773.94, "100,773.94"),
        (-29.27548171, "-29.2755"),
        (2148, "2,148"),
        (float("nan"), "n/a"),
        (float("inf"), "inf"),
        (None, "n/a"),
    ],
)
def test_numbers_read_with_separators_four_decimals_and_never_minus_zero(
    value: float | None, shown: str
) -> None:
    assert text(value) == shown


def test_money_is_shown_to_the_cent_and_never_minus_zero() -> None:
    assert [money(v) for v in (510_947.53125, -0.001, 0.0)] == ["510,947.53", "0.00", "0.00"]


@pytest.mark.parametrize(
    ("delta", "shown", "iso"),
    [
        (dt.timedelta(days=3116), "3,116 days", "P3116D"),
        (dt.timedelta(days=3, hours=4), "3 days 04:00", "P3DT4H"),
        (dt.timedelta(days=1), "1 day", "P1D"),
        (dt.timedelta(hours=4, minutes=30), "04:30", "PT4H30M"),
        (dt.timedelta(seconds=90.5), "00:01:30.5", "PT1M30.5S"),
        (dt.timedelta(0), "00:00", "P0D"),
    ],
)
def test_durations_read_as_days_and_clock_time_and_as_iso_8601_in_json(
    delta: dt.timedelta, shown: str, iso: str
) -> None:
    assert (duration(delta), iso_duration(delta)) == (shown, iso)


def test_json_values_are_plain_with_utc_iso_times_and_null_for_nan() -> None:
    import numpy as np

    value = {
        "at": dt.datetime(2004, 8, 19),
        "n": np.int64(3),
        "x": [float("nan"), float("inf"), 1.5],
    }
    assert json_value(value) == {"at": "2004-08-19T00:00:00+00:00", "n": 3, "x": [None, None, 1.5]}


# -- commands ---------------------------------------------------------------------------------
def test_import_prints_one_plain_line_of_what_was_stored(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_goog(db_path)
    out = capsys.readouterr().out
    assert out == "Imported 2,148 day bars of GOOG (2004-08-19 … 2013-03-01) from GOOG.csv\n"


def test_show_prints_values_without_python_reprs(
    goog_run: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "1", *goog_run]) == 0
    out = capsys.readouterr().out
    assert [mark for mark in REPR_MARKS if mark in out] == []
    lines = {line[:28].strip(): line[28:].strip() for line in out.splitlines()}
    assert lines["symbols"] == "GOOG"
    assert lines["Start"] == "2004-08-19 00:00:00 UTC"
    assert lines["Duration"] == "3,116 days"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", lines["started_at"])
    assert re.fullmatch(r"[\d,]+\.\d\d", lines["Equity Final [$]"])
    assert not [line for line in out.splitlines() if re.search(r"\s-0(\.0+)?$", line)]


def test_runs_json_is_one_object_per_run_with_documented_keys(
    goog_run: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runs", "--json", *goog_run]) == 0
    (run,) = _strict_json(capsys.readouterr().out)
    assert list(run) == [
        "run_id",
        "name",
        "strategy",
        "params",
        "symbols",
        "period",
        "start",
        "end",
        "first_bar",
        "last_bar",
        "capital",
        "commission",
        "status",
        "error",
        "started_at",
        "ended_at",
        "notes",
        "tags",
        "bars",
        "equity_final",
        "return_pct",
        "cagr_pct",
        "sharpe",
        "max_drawdown_pct",
        "trades",
        "win_rate_pct",
        "profit_factor",
    ]
    assert run["params"]["fast"] == 10 and run["params"]["slow"] == 30
    assert (run["symbols"], run["start"], run["end"]) == (["GOOG"], None, None)
    assert _utc(run["first_bar"]) == dt.datetime(2004, 8, 19, tzinfo=dt.UTC)
    assert _utc(run["last_bar"]) == dt.datetime(2013, 3, 1, tzinfo=dt.UTC)
    assert _utc(run["started_at"]) <= _utc(run["ended_at"])


def test_show_json_has_statistics_with_iso_times_and_durations(
    goog_run: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "1", "--json", *goog_run]) == 0
    shown = _strict_json(capsys.readouterr().out)
    assert shown["params"]["fast"] == 10 and shown["symbols"] == ["GOOG"]
    stats = shown["statistics"]
    assert _utc(stats["Start"]) == dt.datetime(2004, 8, 19, tzinfo=dt.UTC)
    assert stats["Duration"] == "P3116D"
    assert re.fullmatch(r"P\d+D", stats["Max. Trade Duration"])
    assert stats["# Trades"] == 32
    assert all(v is None or isinstance(v, int | float | str) for v in stats.values())


def test_a_failed_run_says_why_in_backtest_json_and_in_show(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strats"
    folder.mkdir()
    (folder / "broken.py").write_text(
        "from ostdesk import Strategy\n\n\n"
        "class Broken(Strategy):\n"
        '    """Fails on its third bar."""\n\n'
        "    def on_bar(self, bar):\n"
        "        if len(self.close) == 3:\n"
        '            raise ValueError("no data feed for the hedge")\n'
    )
    db = ["--db", str(import_goog(db_path))]
    capsys.readouterr()
    args = ["backtest", "--strategy", "Broken", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--strategies-dir", str(folder), *db, "--json"]) == 1
    ran = _strict_json(capsys.readouterr().out)
    assert ran["status"] == "failed"
    assert "ValueError: no data feed for the hedge" in ran["error"]

    assert main(["show", "1", "--json", *db]) == 0
    shown = _strict_json(capsys.readouterr().out)
    assert shown["status"] == "failed"
    assert "ValueError: no data feed for the hedge" in shown["error"]
    assert list(shown)[-2:] == ["error", "statistics"]
    assert main(["show", "1", *db]) == 0
    out = capsys.readouterr().out
    assert out.count("ValueError: no data feed for the hedge") == 1
    assert out.index("statistics:") < out.index("error:\nTraceback")


def test_a_run_without_trades_shows_na_and_zero_never_nan_or_minus_zero(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(import_goog(db_path))]
    capsys.readouterr()
    args = ["backtest", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--end", "2004-09-30", *db, "--json"]) == 0  # ends before the slow SMA
    stats = _strict_json(capsys.readouterr().out)["statistics"]
    assert (stats["# Trades"], stats["Win Rate [%]"], stats["Max. Drawdown [%]"]) == (0, None, 0)
    assert main(["show", "1", *db]) == 0
    lines = {line[:28].strip(): line[28:].strip() for line in capsys.readouterr().out.splitlines()}
    assert (lines["Win Rate [%]"], lines["Max. Drawdown [%]"]) == ("n/a", "0")
    assert main(["runs", *db]) == 0  # a Sharpe ratio of a flat run has no value: n/a, not blank
    assert re.search(r"return\s+\+0\.00%\s+sharpe\s+n/a\s+trades\s+0$", capsys.readouterr().out)


def test_backtest_json_lists_the_symbols_as_an_array(
    goog_run: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["backtest", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--json", *goog_run]) == 0
    summary = _strict_json(capsys.readouterr().out)
    assert summary["symbols"] == ["GOOG"]
    assert summary["statistics"]["Duration"] == "P3116D"


def test_strategies_names_the_user_folder_and_each_first_sentence_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = default_strategies_dir()
    (folder / "mine.py").write_text(
        "from ostdesk import Strategy\n\n\n"
        "class Mine(Strategy):\n"
        '    """Buy when ``close`` is above the\n    `open`. Sell otherwise."""\n'
    )
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"user strategies folder: {folder}\n  to add a strategy, put a .py")
    assert "\n    Buy when close is above the open.\n" in out
    assert "Sell otherwise" not in out
    relative_momentum = "every rebalance bars, hold the symbol whose close is furthest above"
    assert relative_momentum in out
    assert "``" not in out
    assert f"Mine                 {folder / 'mine.py'}" in out
