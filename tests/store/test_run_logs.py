"""A strategy's messages are kept with its run: stored, counted, read back, deleted with it,
echoed while the run goes, and added to databases made before they were."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.log_echo import bar_time_text
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.store import Database, identity, import_bars, schema
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.record_check import stored_rows
from ostdesk.store.runs import delete_run, run_bars, run_log_count, run_logs


class Crossing(Strategy):
    """Says where the close crosses 600 (a few times in GOOG's history), and when it ends."""

    def setup(self) -> None:
        self.log("watching 600")

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) > 1 and (self.close[-2] < 600) != (bar.close < 600):
            self.log(f"{'below' if bar.close < 600 else 'above'} 600 at {bar.close:.2f}")

    def on_stop(self) -> None:
        self.log("done")


@pytest.fixture
def goog_db(db: Database, goog_csv: Path) -> Database:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    return db


def _config() -> BacktestConfig:
    return BacktestConfig(strategy=Crossing, symbols=("GOOG",), period=BarPeriod.DAY)


def _expected(db: Database, run_id: int) -> list[tuple[int, str]]:
    """The messages ``Crossing`` must have logged, from the bars the run recorded."""
    bars = run_bars(db, run_id, "GOOG")
    close, ts = bars["close"].tolist(), bars["ts"].tolist()
    out = [(0, "watching 600")]
    for i in range(1, len(close)):
        if (close[i - 1] < 600) != (close[i] < 600):
            side = "below" if close[i] < 600 else "above"
            out.append((ts[i], f"{side} 600 at {close[i]:.2f}"))
    return [*out, (ts[-1], "done")]


def _record(db: Database, **options: object) -> BacktestRun:
    run = prepare_backtest(db, _config(), **options)  # type: ignore[arg-type]
    run.run()
    assert run.status is RunStatus.COMPLETED, run.error
    return run


def test_every_message_is_stored_with_the_run_in_order_and_counted(goog_db: Database) -> None:
    run = _record(goog_db)
    run_id = run.recording.run_id
    logs = run_logs(goog_db, run_id)
    expected = _expected(goog_db, run_id)
    assert len(expected) > 4
    assert list(zip(logs["ts"].tolist(), logs["message"].tolist(), strict=True)) == expected
    assert set(logs["strategy_id"]) == {"Crossing"}
    assert set(logs["symbol"][1:]) == {"GOOG"} and logs["symbol"][0] == ""  # setup: no bar yet
    assert run_log_count(goog_db, run_id) == len(expected)
    assert run_logs(goog_db, run_id, limit=2)["message"].tolist() == [m for _, m in expected[:2]]
    tally = run.recording.recorder.tally
    assert tally.handed["run_logs"] == tally.written["run_logs"] == len(expected)
    assert stored_rows(goog_db.connection, run_id)["run_logs"] == len(expected)


def test_a_deleted_run_takes_its_messages_and_leaves_other_runs_messages(
    goog_db: Database,
) -> None:
    first, second = (_record(goog_db).recording.run_id for _ in range(2))
    delete_run(goog_db, first)
    assert run_log_count(goog_db, first) == 0
    assert run_log_count(goog_db, second) == len(_expected(goog_db, second))


def test_echo_prints_each_message_with_its_bar_time_by_the_end_of_the_run(
    goog_db: Database,
) -> None:
    stream = io.StringIO()
    run = _record(goog_db, echo_log=stream)
    expected = _expected(goog_db, run.recording.run_id)
    lines = [f"{bar_time_text(ts)} Crossing: {message}" for ts, message in expected]
    assert stream.getvalue().splitlines() == lines
    assert re.fullmatch(r"20\d\d-\d\d-\d\d 00:00 Crossing: (above|below) 600 at [\d.]+", lines[1])


def test_echo_goes_to_a_real_processes_stderr_and_nothing_to_stdout(
    goog_db: Database, tmp_path: Path
) -> None:
    path = goog_db.path
    goog_db.close()
    script = f"""
import sys
from tests.store.test_run_logs import _config
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
with Database.open({str(path)!r}) as db:
    prepare_backtest(db, _config(), echo_log=sys.stderr).run()
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "setup Crossing: watching 600"
    assert lines[-1].endswith(" Crossing: done")
    with Database.open(path) as db:
        assert len(lines) == run_log_count(db, 1)


def test_a_v4_database_gains_the_log_table_and_keeps_its_runs(
    goog_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_id = _record(goog_db).recording.run_id
    path = goog_db.path
    goog_db.close()
    _back_to_version(path, 4, tmp_path / "v4.duckdb")  # what an older ostdesk wrote
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
    with Database.open(path):  # a valid version 4 file to the code of version 4
        assert schema.latest_version() == 4
    monkeypatch.undo()
    with Database.open(path) as db:
        version = db.connection.execute("SELECT max(version) FROM schema_version").fetchone()
        assert version == (schema.latest_version(),)
        assert run_log_count(db, run_id) == 0
        assert len(run_bars(db, run_id, "GOOG")["ts"]) > 0
        new = _record(db).recording.run_id
        assert run_log_count(db, new) == len(_expected(db, new))


def _shape(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str], set[tuple[str, str]]]:
    """The file's tables, sequences and (table, column) pairs."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    sequences = {
        r[0] for r in con.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall()
    }
    columns = {
        (r[0], r[1])
        for r in con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall()
    }
    return tables, sequences, columns


def _back_to_version(path: Path, version: int, scratch: Path) -> None:
    """Make the file at ``path`` what schema ``version`` wrote: drop whatever later migrations
    added (read from a fresh file of that version), keeping the rows of what remains."""
    old = duckdb.connect(str(scratch))
    try:
        for migration in schema.MIGRATIONS[:version]:
            assert isinstance(migration, str)
            old.execute(migration)
        tables, sequences, columns = _shape(old)
    finally:
        old.close()
    con = duckdb.connect(str(path))
    try:
        now_tables, now_sequences, now_columns = _shape(con)
        for table, column in sorted(now_columns - columns):
            if table in tables:
                con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        for table in sorted(now_tables - tables - {identity.MARKER_TABLE}):
            con.execute(f'DROP TABLE "{table}" CASCADE')
        for sequence in sorted(now_sequences - sequences):
            con.execute(f'DROP SEQUENCE "{sequence}" CASCADE')
        con.execute("UPDATE schema_version SET version = ?", [version])
    finally:
        con.close()
