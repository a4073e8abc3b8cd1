"""The command line's promise: one line on stderr per refused input, the documented exit
status, nothing stored changed; read commands on read-only or missing databases; bugs."""

from __future__ import annotations

import gzip
import os
import stat
from pathlib import Path

import duckdb
import pytest

from ostdesk import cli, cli_errors
from ostdesk.cli import main
from tests.read_only import read_only_copy

HEADER = "timestamp,open,high,low,close,volume\n"
ROWS = "".join(
    f"2020-01-{day:02d} 00:00:00,10,11,9,10.5,100\n" for day in range(2, 30)
)  # 28 daily bars: enough for a short SMA cross


def _stored(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a refused command must not touch."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("bars", "instruments", "runs", "schema_version")
        }
    finally:
        con.close()


def _one_line(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ostdesk {command}: "), err
    return lines[0]


@pytest.fixture
def db_with_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database holding 28 daily bars of X and one recorded run (run 1)."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "ostdesk.duckdb"
    csv = tmp_path / "x.csv"
    csv.write_text(HEADER + ROWS)
    db = ["--db", str(path)]
    assert main(["import", str(csv), "--symbol", "X", "--period", "day", *db]) == 0
    backtest = ["--strategy", "SmaCross", "--param", "fast=2", "--param", "slow=5"]
    assert main(["backtest", *backtest, "--symbols", "X", "--period", "day", *db]) == 0
    capsys.readouterr()
    return path


# -- refused input: one line, status 2, nothing stored changed -------------------------------
@pytest.mark.parametrize("timestamp", ["0000-01-02", "1600-01-02 10:00:00", "2300-01-02"])
def test_an_import_with_a_timestamp_outside_the_storable_years_is_one_line(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], timestamp: str
) -> None:
    before = _stored(db_with_run)
    bad = tmp_path / "old.csv"
    bad.write_text(HEADER + f"{timestamp},10,11,9,10.5,100\n")
    code = main(["import", str(bad), "--symbol", "Y", "--period", "day", "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    line = _one_line(capsys.readouterr().err, "import")
    assert f"old.csv, row 2: the timestamp {timestamp!r} is outside the dates" in line
    assert _stored(db_with_run) == before


def test_an_import_of_a_gz_file_that_is_not_gzip_is_one_line(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _stored(db_with_run)
    bad = tmp_path / "bars.csv.gz"
    bad.write_text(HEADER + ROWS)  # plain text under a .gz name
    code = main(["import", str(bad), "--symbol", "Y", "--period", "day", "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    assert "bars.csv.gz: not a readable gzip file" in _one_line(capsys.readouterr().err, "import")
    assert _stored(db_with_run) == before


def test_an_import_of_a_real_gz_file_still_works(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "bars.csv.gz"
    good.write_bytes(gzip.compress((HEADER + ROWS).encode()))
    code = main(["import", str(good), "--symbol", "Z", "--period", "day", "--db", str(db_with_run)])
    assert code == cli_errors.OK
    assert "28" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--start", "--end"])
@pytest.mark.parametrize("date", ["1500-01-01", "2300-01-01"])
def test_a_backtest_date_outside_the_storable_years_is_one_line(
    db_with_run: Path, capsys: pytest.CaptureFixture[str], option: str, date: str
) -> None:
    before = _stored(db_with_run)
    code = main(
        [
            "backtest",
            "--strategy",
            "SmaCross",
            "--symbols",
            "X",
            "--period",
            "day",
            option,
            date,
            "--db",
            str(db_with_run),
        ]
    )
    assert code == cli_errors.REFUSED
    line = _one_line(capsys.readouterr().err, "backtest")
    assert f"{option}: '{date}' is outside the dates ostdesk can store" in line
    assert _stored(db_with_run) == before


def test_an_export_into_a_missing_folder_is_one_line_and_creates_nothing(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "fills.csv"
    code = main(["export", "1", "--what", "fills", "-o", str(target), "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    line = _one_line(capsys.readouterr().err, "export")
    assert f"{target.parent} does not exist" in line
    assert not target.parent.exists()


def test_an_export_onto_a_folder_is_one_line_and_leaves_the_folder(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    code = main(["export", "1", "--what", "fills", "-o", str(folder), "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    assert "is a folder" in _one_line(capsys.readouterr().err, "export")
    assert list(folder.iterdir()) == []


def test_an_export_onto_the_database_itself_is_refused_and_keeps_it(
    db_with_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _stored(db_with_run)
    for target in (db_with_run, Path(f"{db_with_run}.wal")):
        if target.suffix == ".wal":
            target.write_bytes(b"")  # a database's log, as a crashed writer leaves it
        code = main(["export", "1", "--what", "fills", "-o", str(target), "--db", str(db_with_run)])
        assert code == cli_errors.REFUSED
        assert "is a database; an export never replaces one" in _one_line(
            capsys.readouterr().err, "export"
        )
    Path(f"{db_with_run}.wal").unlink()
    assert _stored(db_with_run) == before


def test_an_export_through_a_link_to_the_database_is_refused(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "fills.csv"
    link.symlink_to(db_with_run)
    code = main(["export", "1", "--what", "fills", "-o", str(link), "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    assert "is a database" in _one_line(capsys.readouterr().err, "export")
    assert link.is_symlink() and _stored(db_with_run)


def test_an_export_onto_a_pipe_is_refused_and_leaves_it(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code = main(["export", "1", "--what", "fills", "-o", str(fifo), "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED
    assert "is not a regular file" in _one_line(capsys.readouterr().err, "export")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_an_export_through_a_link_replaces_the_file_it_points_at(
    db_with_run: Path, tmp_path: Path
) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code = main(["export", "1", "--what", "equity", "-o", str(link), "--db", str(db_with_run)])
    assert code == cli_errors.OK
    assert link.is_symlink() and real.read_text().startswith("ts,")


def test_an_export_writes_the_whole_file_and_no_partial_file(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "equity.csv"
    code = main(["export", "1", "--what", "equity", "-o", str(target), "--db", str(db_with_run)])
    assert code == cli_errors.OK
    assert [p.name for p in folder.iterdir()] == ["equity.csv"]
    assert target.read_text().startswith("ts,")


@pytest.mark.parametrize("command", ["import", "backtest", "delete", "demo-data"])
def test_a_writing_command_on_a_database_in_a_read_only_folder_is_one_line(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    csv = tmp_path / "more.csv"
    csv.write_text(HEADER + ROWS.replace("2020-01", "2021-01"))
    args = {
        "import": ["import", str(csv), "--symbol", "X", "--period", "day"],
        "backtest": ["backtest", "--strategy", "SmaCross", "--symbols", "X", "--period", "day"],
        "delete": ["delete", "1"],
        "demo-data": ["demo-data"],
    }[command]
    before = _stored(db_with_run)
    with read_only_copy(db_with_run.parent, tmp_path / "ro") as folder:
        path = folder / db_with_run.name
        assert main([*args, "--db", str(path)]) == cli_errors.REFUSED
        line = _one_line(capsys.readouterr().err, command)
        assert f"the database {path} cannot be written" in line
        assert _stored(path) == before
        assert [p.name for p in folder.iterdir()] == [db_with_run.name]


# -- read commands: read-only databases, missing ones -----------------------------------------
def test_read_commands_work_on_a_database_in_a_read_only_folder(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fills.csv"
    with read_only_copy(db_with_run.parent, tmp_path / "ro") as folder:
        db = ["--db", str(folder / db_with_run.name)]
        assert main(["runs", *db]) == cli_errors.OK
        assert "SmaCross" in capsys.readouterr().out
        assert main(["show", "1", *db]) == cli_errors.OK
        assert "completed" in capsys.readouterr().out
        assert main(["symbols", *db]) == cli_errors.OK
        assert capsys.readouterr().out.startswith("X ")
        assert main(["export", "1", "--what", "fills", "-o", str(out), *db]) == cli_errors.OK
        assert capsys.readouterr().err == ""
    assert out.read_text().startswith("ts,fill_id")


@pytest.mark.parametrize(
    "command",
    [
        ["runs"],
        ["show", "1"],
        ["symbols"],
        ["delete", "1"],
        ["backtest", "--strategy", "SmaCross", "--symbols", "X"],
    ],
)
def test_a_command_that_needs_data_on_a_missing_database_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = tmp_path / "no" / "such" / "folder" / "x.duckdb"
    assert main([*command, "--db", str(path)]) == cli_errors.REFUSED
    line = _one_line(capsys.readouterr().err, command[0])
    assert f"no database at {path}; create one with `ostdesk demo-data`" in line
    assert not (tmp_path / "no").exists()


def test_the_database_option_before_the_command_is_used(
    db_with_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(db_with_run), "runs", "--json"]) == cli_errors.OK
    assert '"run_id": 1' in capsys.readouterr().out


def test_a_read_command_refuses_a_foreign_duckdb_file_and_leaves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER)")
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.close()
    before = path.read_bytes()
    for command in (["runs"], ["import", str(path), "--symbol", "X", "--period", "day"]):
        assert main([*command, "--db", str(path)]) == cli_errors.REFUSED
        assert "not an ostdesk database" in _one_line(capsys.readouterr().err, command[0])
    assert path.read_bytes() == before


# -- runs that do not complete, and bugs ------------------------------------------------------
RAISING_STRATEGY = '''
from ostdesk import Strategy


class Raiser(Strategy):
    """Raises on its fifth bar."""

    def setup(self):
        self.seen = 0

    def on_bar(self, bar):
        self.seen += 1
        if self.seen == 5:
            raise ZeroDivisionError("fifth bar")
'''


def test_a_failed_run_is_one_line_with_the_strategy_traceback_and_status_1(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "raiser.py").write_text(RAISING_STRATEGY)
    code = main(
        [
            "backtest",
            "--strategy",
            "Raiser",
            "--symbols",
            "X",
            "--period",
            "day",
            "--strategies-dir",
            str(folder),
            "--db",
            str(db_with_run),
        ]
    )
    assert code == cli_errors.RUN_NOT_COMPLETED
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "ostdesk backtest: error in strategy Raiser: ZeroDivisionError: fifth bar"
    assert err[1] == "run 2 failed: strategy Raiser raised ZeroDivisionError: fifth bar"
    assert err[2] == "Traceback (most recent call last):"
    assert any("raiser.py" in line and "line 14" in line for line in err)
    assert err[-1] == "ZeroDivisionError: fifth bar"


def test_an_unexpected_exception_is_one_line_naming_the_file_with_its_traceback(
    db_with_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("an ostdesk bug")

    monkeypatch.setitem(cli._COMMANDS, "runs", broken)
    monkeypatch.delenv(cli_errors.DEBUG_ENV, raising=False)
    assert main(["runs", "--db", str(db_with_run)]) == cli_errors.BUG
    line = _one_line(capsys.readouterr().err, "runs")
    assert "internal error (a bug in ostdesk): RuntimeError: an ostdesk bug" in line
    report = Path(line.rpartition("its traceback is in ")[2])
    text = report.read_text()
    assert text.startswith("ostdesk runs --db ")
    assert 'raise RuntimeError("an ostdesk bug")' in text


def test_debug_shows_the_traceback_of_a_bug(
    db_with_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("an ostdesk bug")

    monkeypatch.setitem(cli._COMMANDS, "runs", broken)
    monkeypatch.setenv(cli_errors.DEBUG_ENV, "1")
    assert main(["runs", "--db", str(db_with_run)]) == cli_errors.BUG
    err = capsys.readouterr().err
    assert "Traceback (most recent call last):" in err
    assert err.strip().endswith("RuntimeError: an ostdesk bug")


def test_the_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for status in ("0", "1", "2", "70", "130"):
        assert f"\n  {status} " in out


def _schema_1_file(path: Path) -> None:
    """A database as an ostdesk with only the first schema version left it."""
    from ostdesk.store import schema

    con = duckdb.connect(str(path))
    first = schema.MIGRATIONS[0]
    assert isinstance(first, str)
    con.execute(first)
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.close()


def test_a_read_command_upgrades_an_older_schema_when_the_file_can_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.duckdb"
    _schema_1_file(path)
    assert main(["runs", "--db", str(path)]) == cli_errors.OK
    assert "no recorded runs" in capsys.readouterr().out


def test_a_read_command_on_an_older_read_only_schema_says_it_needs_an_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    _schema_1_file(source / "old.duckdb")
    with read_only_copy(source, tmp_path / "ro") as folder:
        assert main(["runs", "--db", str(folder / "old.duckdb")]) == cli_errors.REFUSED
        line = _one_line(capsys.readouterr().err, "runs")
    assert "has schema version 1 and needs an upgrade" in line


def test_strategies_are_listed_when_the_user_data_folder_is_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "empty"
    source.mkdir()
    with read_only_copy(source, tmp_path / "ro") as folder:
        monkeypatch.setenv("XDG_DATA_HOME", str(folder))
        assert main(["strategies"]) == cli_errors.OK
    assert "SmaCross" in capsys.readouterr().out


def test_a_strategy_that_exits_in_validate_is_refused_as_one_line_and_stores_nothing(
    db_with_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "quits.py").write_text(
        "import sys\nfrom ostdesk import Strategy\n\n\n"
        "class Quits(Strategy):\n    def validate(self):\n        sys.exit(0)\n"
    )
    before = _stored(db_with_run)
    args = ["backtest", "--strategy", "Quits", "--symbols", "X", "--period", "day"]
    code = main([*args, "--strategies-dir", str(folder), "--db", str(db_with_run)])
    assert code == cli_errors.REFUSED  # not 0: a script must not believe it ran
    assert "Quits raised SystemExit: 0" in _one_line(capsys.readouterr().err, "backtest")
    assert _stored(db_with_run) == before


@pytest.mark.parametrize("command", [["demo-data"], ["runs"]])
def test_a_database_given_as_a_url_is_refused_and_no_local_folder_is_made(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--db", "http://example.com/x.duckdb"]) == cli_errors.REFUSED
    assert "is a URL; ostdesk reads and writes local files only" in _one_line(
        capsys.readouterr().err, command[0]
    )
    assert list(tmp_path.iterdir()) == []
