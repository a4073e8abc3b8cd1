"""What `ostdesk import` says when it refuses: one line that names the command line's own flag
for the way out, and nothing stored changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk import cli_errors
from ostdesk.cli import main
from tests.cli_data import daily_csv


def _minute_bars(path: Path) -> Path:
    rows = "".join(f"2020-01-02 10:{minute:02d}:00,1,2,0.5,1.5,10\n" for minute in range(60))
    path.write_text("timestamp,open,high,low,close,volume\n" + rows)
    return path


def _symbols(db_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["symbols", "--db", str(db_path)]) == cli_errors.OK
    return capsys.readouterr().out


def _refusal(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == cli_errors.REFUSED
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_refusals_name_the_flag_not_the_python_keyword(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    daily = daily_csv(tmp_path / "daily.csv")
    first = ["import", str(daily), "--symbol", "D", "--period", "day", "--db", str(db_path)]
    assert main(first) == cli_errors.OK
    capsys.readouterr()
    before = _symbols(db_path, capsys)

    overlap = _refusal(first, capsys)
    assert "import with --replace to overwrite them" in overlap
    minutes = _minute_bars(tmp_path / "m.csv")
    as_day = ["import", str(minutes), "--symbol", "M", "--period", "day", "--db", str(db_path)]
    period = _refusal(as_day, capsys)
    assert "import with --force to store them as day bars anyway" in period
    for line in (overlap, period):
        assert "=True" not in line

    assert _symbols(db_path, capsys) == before
