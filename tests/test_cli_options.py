"""The command line's options: each documented, ``--version``, ``--db``/``--debug`` on either
side of the command, and symbols named one at a time (``--symbol``) or as a list."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from ostdesk import cli_errors
from ostdesk.cli import main
from ostdesk.cli_parser import build_parser
from tests.cli_data import daily_csv

# The least each command that takes --db needs besides it; a new such command must be added.
MINIMAL_ARGS = {
    "gui": [],
    "backtest": ["--strategy", "SmaCross", "--symbols", "X", "--period", "day"],
    "import": ["x.csv", "--symbol", "Y", "--period", "day"],
    "demo-data": [],
    "symbols": [],
    "runs": [],
    "show": ["1"],
    "export": ["1", "--what", "fills", "-o", "fills.csv"],
    "delete": ["1"],
    "report": ["1", "-o", "report.html"],
    "montecarlo": ["1", "--paths", "50"],
    "optimize": [
        *("--strategy", "SmaCross", "--symbols", "X", "--period", "day", "--workers", "1"),
        *("--param", "fast=2:3:1", "--param", "slow=5:6:1"),
    ],
    "studies": [],
    "study": ["1"],
    "robustness": ["1"],
    "walkforward": ["1", "--in-sample", "14", "--out-of-sample", "7", "--workers", "1"],
}


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_and_positional_of_every_command_has_help() -> None:
    parser = build_parser()
    missing = [
        f"{name}: {'/'.join(action.option_strings) or action.dest}"
        for name, command in {"ostdesk": parser, **_commands(parser)}.items()
        for action in command._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_version_prints_the_installed_package_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ostdesk", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"ostdesk {metadata.version('ostdesk')}\n",
        "",
    )


def test_the_minimal_arguments_cover_every_command_that_takes_a_database() -> None:
    taking_db = {
        name
        for name, command in _commands(build_parser()).items()
        if any("--db" in action.option_strings for action in command._actions)
    }
    assert taking_db == set(MINIMAL_ARGS)


@pytest.mark.parametrize("command", sorted(MINIMAL_ARGS))
def test_db_and_debug_are_read_before_or_after_the_command(command: str) -> None:
    parser = build_parser()
    args = [command, *MINIMAL_ARGS[command]]
    before = parser.parse_args(["--db", "a.duckdb", "--debug", *args])
    after = parser.parse_args([*args, "--db", "a.duckdb", "--debug"])
    neither = parser.parse_args(args)
    assert (before.db, before.debug) == ("a.duckdb", True)
    assert (after.db, after.debug) == ("a.duckdb", True)
    assert (neither.db, neither.debug) == (None, False)


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with 28 daily bars of X, one run of SmaCross on them (run 1) and a 2x2 grid
    study of it (study 1), made once."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "given.duckdb"
    csv = daily_csv(folder / "x.csv")
    with pytest.MonkeyPatch.context() as env:  # the user folders of this module's tests only
        env.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
        db = ["--db", str(path)]
        assert main(["import", str(csv), "--symbol", "X", "--period", "day", *db]) == 0
        backtest = ["backtest", "--strategy", "SmaCross", "--param", "fast=2", "--param", "slow=5"]
        assert main([*backtest, "--symbols", "X", "--period", "day", *db]) == 0
        assert main(["optimize", *MINIMAL_ARGS["optimize"], *db]) == 0
    return path


@pytest.fixture
def db_with_run(template_db: Path, tmp_path: Path) -> Path:
    """A copy of the template database for one test to change."""
    return Path(shutil.copy(template_db, tmp_path / template_db.name))


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", sorted(set(MINIMAL_ARGS) - {"gui"}))
def test_the_database_named_before_or_after_the_command_is_the_one_used(
    db_with_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    where: str,
) -> None:
    elsewhere = tmp_path / "elsewhere" / "env.duckdb"
    monkeypatch.setenv("OSTDESK_DB", str(elsewhere))  # what a lost --db would open
    monkeypatch.chdir(tmp_path)
    daily_csv(tmp_path / "x.csv")
    args = [command, *MINIMAL_ARGS[command]]
    db = ["--db", str(db_with_run)]
    assert main([*db, *args] if where == "before" else [*args, *db]) == cli_errors.OK, (
        capsys.readouterr().err
    )
    assert not elsewhere.parent.exists()


def _backtest_symbols(db: Path, capsys: pytest.CaptureFixture[str], *symbols: str) -> object:
    capsys.readouterr()
    args = ["backtest", "--strategy", "SmaCross", "--param", "fast=2", "--param", "slow=5"]
    assert main([*args, *symbols, "--period", "day", "--db", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["symbols"]


def test_a_symbol_containing_a_comma_is_named_with_repeatable_symbol(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(daily_csv(tmp_path / "ab.csv"))
    db = ["--db", str(db_with_run)]
    assert main(["import", csv, "--symbol", "A,B", "--period", "day", *db]) == 0
    symbols = _backtest_symbols(db_with_run, capsys, "--symbol", "A,B", "--symbol", "X")
    assert symbols == ["A,B", "X"]


def test_a_comma_name_split_by_symbols_is_refused_pointing_at_symbol(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(daily_csv(tmp_path / "ab.csv"))
    db = ["--db", str(db_with_run)]
    assert main(["import", csv, "--symbol", "A,B", "--period", "day", *db]) == 0
    capsys.readouterr()
    args = ["backtest", "--strategy", "SmaCross", "--symbols", "A,B", "--period", "day"]
    assert main([*args, *db]) == cli_errors.REFUSED
    assert capsys.readouterr().err == (
        "ostdesk backtest: no bars stored for symbol 'A' with period day; --symbols splits at "
        "commas: name a symbol containing one with --symbol\n"
    )


def test_symbols_still_takes_a_comma_separated_list(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(daily_csv(tmp_path / "y.csv"))
    assert main(["import", csv, "--symbol", "Y", "--period", "day", "--db", str(db_with_run)]) == 0
    assert _backtest_symbols(db_with_run, capsys, "--symbols", "X, Y") == ["X", "Y"]


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        (
            ["--symbol", "X", "--symbols", "X"],
            "give --symbol (repeatable) or --symbols A,B, not both",
        ),
        ([], "name the symbols to trade: --symbol SYM or --symbols A,B"),
        (["--symbols", " , "], "name the symbols to trade: --symbol SYM or --symbols A,B"),
    ],
)
def test_symbols_named_both_ways_or_not_at_all_are_refused_in_one_line(
    db_with_run: Path, capsys: pytest.CaptureFixture[str], symbols: list[str], message: str
) -> None:
    args = ["backtest", "--strategy", "SmaCross", *symbols, "--period", "day"]
    assert main([*args, "--db", str(db_with_run)]) == cli_errors.REFUSED
    err = capsys.readouterr().err
    assert err.startswith(f"ostdesk backtest: {message}") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["show", "abc"], "ostdesk show: argument run_id: invalid int value: 'abc'"),
        (["import"], "ostdesk import: the following arguments are required: FILE, --symbol"),
        (["nope"], "ostdesk: argument COMMAND: invalid choice: 'nope'"),
    ],
)
def test_a_mistake_in_the_command_line_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == cli_errors.REFUSED
    assert err.startswith(line) and err.count("\n") == 1, err
    assert err.rstrip().endswith("--help`)")


def _minute_bars(path: Path) -> Path:
    rows = "".join(f"2020-01-02 10:{minute:02d}:00,1,2,0.5,1.5,10\n" for minute in range(60))
    path.write_text("timestamp,open,high,low,close,volume\n" + rows)
    return path


def test_import_refuses_bars_that_do_not_fit_the_period_unless_forced(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", str(_minute_bars(tmp_path / "m.csv")), "--symbol", "M", "--period", "day"]
    assert main([*args, "--db", str(db_path)]) == cli_errors.REFUSED
    err = capsys.readouterr().err
    assert err.startswith("ostdesk import: m.csv: bars are 1 minute apart (median) but --period")
    assert main([*args, "--force", "--db", str(db_path)]) == cli_errors.OK
    assert "Imported 60 day bars of M" in capsys.readouterr().out


def _epoch_seconds(path: Path) -> Path:
    rows = "".join(f"{1_577_836_800 + day * 86_400},1,2,0.5,1.5,10\n" for day in range(30))
    path.write_text("timestamp,open,high,low,close,volume\n" + rows)
    return path


def test_import_reads_numeric_timestamps_in_the_epoch_unit_given(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", str(_epoch_seconds(tmp_path / "e.csv")), "--symbol", "E", "--period", "day"]
    assert main([*args, "--epoch-unit", "s", "--db", str(db_path)]) == cli_errors.OK
    assert "Imported 30 day bars of E (2020-01-01 … 2020-01-30)" in capsys.readouterr().out
    assert main([*args, "--epoch-unit", "weeks", "--db", str(db_path)]) == cli_errors.REFUSED
    assert capsys.readouterr().err == (
        "ostdesk import: unknown epoch unit 'weeks'; choose s, ms, us or ns\n"
    )


@pytest.mark.parametrize(("name", "magic"), [("fills.csv", b"ts,"), ("fills.parquet", b"PAR1")])
def test_export_takes_its_format_from_the_file_extension(
    db_with_run: Path, tmp_path: Path, name: str, magic: bytes
) -> None:
    out = tmp_path / name
    assert main(["export", "1", "--what", "fills", "-o", str(out), "--db", str(db_with_run)]) == 0
    assert out.read_bytes().startswith(magic)


def test_export_to_a_file_of_unknown_extension_needs_a_format(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = ["export", "1", "--what", "fills", "-o", str(tmp_path / "fills.txt")]
    assert main([*export, "--db", str(db_with_run)]) == cli_errors.REFUSED
    assert "cannot tell the format of the export file fills.txt" in capsys.readouterr().err
    assert main([*export, "--format", "csv", "--db", str(db_with_run)]) == cli_errors.OK
    assert (tmp_path / "fills.txt").read_text().startswith("ts,")
