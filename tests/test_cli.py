"""The command line as a script would use it: real database file, real runs, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ostdesk.cli import main
from tests.cli_data import import_goog


@pytest.fixture
def db_with_goog(db_path: Path) -> Path:
    return import_goog(db_path)


def test_backtest_prints_json_summary(
    db_with_goog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(
        [
            "backtest",
            "--strategy",
            "SmaCross",
            "--symbols",
            "GOOG",
            "--period",
            "day",
            "--param",
            "fast=10",
            "--param",
            "slow=30",
            "--param",
            "size=1",  # one unit per trade, as backtesting.py's GOOG example compared here
            "--db",
            str(db_with_goog),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "completed"
    assert summary["bars"] == 2148
    assert summary["parameters"] == {"fast": 10, "slow": 30, "fraction": 0.95, "size": 1.0}
    assert summary["run_id"] == 1
    assert summary["statistics"]["# Trades"] == 32
    assert summary["statistics"]["Equity Final [$]"] == pytest.approx(100_773.94)


def test_runs_show_export_and_delete(
    db_with_goog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(db_with_goog)]
    backtest = ["backtest", "--strategy", "SmaCross", "--symbols", "GOOG", "--period", "day"]
    assert main([*backtest, "--name", "first", *db]) == 0
    assert main([*backtest, *db]) == 0
    capsys.readouterr()
    assert main(["runs", "--json", *db]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["run_id"], r["name"], r["status"], r["trades"]) for r in runs] == [
        (2, "", "completed", 32),
        (1, "first", "completed", 32),
    ]
    assert main(["show", "1", "--json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["statistics"]["# Trades"] == 32
    out = tmp_path / "trades.csv"
    assert main(["export", "1", "--what", "trades", "-o", str(out), *db]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("symbol,side,size,entry_ts,exit_ts,entry_price")
    assert len(lines) == 33
    assert main(["delete", "1", *db]) == 0
    capsys.readouterr()
    assert main(["show", "1", *db]) == 2
    assert "no run with id 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "Nope", "--symbols", "GOOG"], "unknown strategy 'Nope'; available:"),
        (
            ["--strategy", "SmaCross", "--symbols", "XXX", "--period", "day"],
            "no bars stored for symbol 'XXX'",
        ),
        (
            [
                "--strategy",
                "SmaCross",
                "--symbols",
                "GOOG",
                "--period",
                "day",
                "--param",
                "fast=500",
            ],
            "parameter fast: 500 is above the maximum 200",
        ),
        (
            ["--strategy", "SmaCross", "--symbols", "GOOG", "--period", "day", "--param", "x=1"],
            "--param x: SmaCross has no such parameter",
        ),
        (
            [
                "--strategy",
                "SmaCross",
                "--symbols",
                "GOOG",
                "--period",
                "day",
                "--start",
                "2030-01-01",
            ],
            "no day bars of GOOG",
        ),
        (
            ["--strategy", "SmaCross", "--symbols", "GOOG", "--period", "weekly"],
            "unknown bar period 'weekly'",
        ),
        (
            ["--strategy", "SmaCross", "--symbols", "GOOG", "--start", "yesterday"],
            "cannot read 'yesterday' as a date",
        ),
    ],
)
def test_bad_backtest_arguments_exit_nonzero_with_one_line(
    db_with_goog: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    capsys.readouterr()
    assert main(["backtest", *args, "--db", str(db_with_goog)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert err.startswith("ostdesk backtest: ")


def test_malformed_csv_is_refused_with_its_row_and_nothing_stored(
    db_with_goog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,0.5,0.4,1.5,10\n"
    )
    capsys.readouterr()
    assert (
        main(["import", str(bad), "--symbol", "BAD", "--period", "day", "--db", str(db_with_goog)])
        == 2
    )
    assert "bad.csv, row 3: high 0.5 is below max(open, close) 1.5" in capsys.readouterr().err
    assert main(["symbols", "--db", str(db_with_goog)]) == 0
    out = capsys.readouterr().out
    assert "GOOG" in out and "BAD" not in out


def test_strategy_with_syntax_error_is_reported_and_others_still_run(
    db_with_goog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strats"
    folder.mkdir()
    (folder / "oops.py").write_text("def broken(:\n")
    capsys.readouterr()
    code = main(
        [
            "backtest",
            "--strategy",
            "SmaCross",
            "--symbols",
            "GOOG",
            "--period",
            "day",
            "--strategies-dir",
            str(folder),
            "--db",
            str(db_with_goog),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "oops.py, line 1: SyntaxError" in err


def test_dates_are_read_exactly_and_only_within_the_storable_range() -> None:
    from ostdesk.timeparse import parse_when

    assert parse_when("1969-12-31T23:59:59.5") == -500_000_000  # not rounded toward 1970
    assert parse_when("2024-01-31", end_of_day=True) == parse_when("2024-02-01") - 1
    assert parse_when("2024-01-31T14:30+02:00") == parse_when("2024-01-31T12:30")
    assert parse_when("1677-09-22") < 0 < parse_when("2262-04-10", end_of_day=True)
    for text in ("1677-09-20", "2262-04-12", "0001-01-01", "9999-12-31"):
        with pytest.raises(ValueError, match="outside the dates ostdesk can store"):
            parse_when(text)


def test_backtest_prints_the_strategys_messages_on_stderr_with_their_bar_time(
    tmp_path: Path, db_with_goog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strats"
    folder.mkdir()
    (folder / "talky.py").write_text(
        "from ostdesk import Strategy\n\n\n"
        "class Talky(Strategy):\n"
        '    """Says hello on its third bar."""\n\n'
        "    def on_bar(self, bar):\n"
        "        if len(self.close) == 3:\n"
        '            self.log("hello at the third bar")\n'
    )
    capsys.readouterr()
    args = ["backtest", "--strategy", "Talky", "--symbol", "GOOG", "--period", "day"]
    code = main([*args, "--strategies-dir", str(folder), "--db", str(db_with_goog), "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "2004-08-23 00:00 Talky: hello at the third bar" in err.splitlines()
    assert "hello" not in out  # stdout stays the summary a script parses


def test_a_rejected_order_is_one_warning_line_naming_the_order_once(
    tmp_path: Path, db_with_goog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strats"
    folder.mkdir()
    (folder / "zero.py").write_text(
        "from ostdesk import Strategy\n\n\n"
        "class Zero(Strategy):\n"
        '    """Sends an order for no units on its second bar."""\n\n'
        "    def on_bar(self, bar):\n"
        "        if len(self.close) == 2:\n"
        "            self.buy(0)\n"
    )
    capsys.readouterr()
    args = ["backtest", "--strategy", "Zero", "--symbol", "GOOG", "--period", "day"]
    assert main([*args, "--strategies-dir", str(folder), "--db", str(db_with_goog)]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "order 1" in line]
    assert len(lines) == 1 and lines[0].count("order 1") == 1, lines
    assert "[Zero] rejected order 1: quantity" in lines[0]
