"""`backtest --start/--end` take the bars their help says: an end date includes its whole day,
an end time the bars that open before it (the range is half-open, so back-to-back ranges never
share a bar), and a time with an offset is that instant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ostdesk import cli_errors
from ostdesk.cli import main


@pytest.fixture
def minutes(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """``--db`` holding 60 minute bars of M, 2020-01-02 10:00 .. 10:59 UTC."""
    rows = "".join(f"2020-01-02 10:{minute:02d}:00,1,2,0.5,1.5,10\n" for minute in range(60))
    path = tmp_path / "m.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + rows)
    db = ["--db", str(db_path)]
    assert main(["import", str(path), "--symbol", "M", "--period", "minute", *db]) == 0
    capsys.readouterr()
    return db


def _bars(db: list[str], capsys: pytest.CaptureFixture[str], *bounds: str) -> int:
    args = ["backtest", "--strategy", "SmaCross", "--symbol", "M", "--period", "minute"]
    assert main([*args, *bounds, *db, "--json"]) == cli_errors.OK
    return int(json.loads(capsys.readouterr().out)["bars"])


def test_an_end_time_takes_the_bars_that_open_before_it(
    minutes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bars(minutes, capsys, "--end", "2020-01-02T10:30") == 30
    assert _bars(minutes, capsys, "--start", "2020-01-02T10:30", "--end", "2020-01-02") == 30
    assert _bars(minutes, capsys, "--start", "2020-01-02T11:50+01:00") == 10


def test_the_help_of_start_and_end_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["backtest", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a date includes that whole day, a time the bars that open before it" in text
