"""Opening the database: creation, migrations, refusing newer files, locks and threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest

from ostdesk.store import Database, DatabaseLockedError, SchemaTooNewError, StoreError, schema
from ostdesk.store.errors import MissingDatabaseError
from ostdesk.store.paths import default_db_path, resolve_db_path


def version_of(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def test_open_creates_the_file_and_its_folders_at_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "store.duckdb"
    with Database.open(path) as db:
        assert db.path == path
        tables = {r[0] for r in db.connection.execute("SHOW TABLES").fetchall()}
    assert {"bars", "instruments", "schema_version"} <= tables
    assert version_of(path) == schema.latest_version()


def test_reopening_keeps_the_data(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.connection.execute("INSERT INTO instruments (symbol) VALUES ('X')")
    with Database.open(db_path) as db:
        assert db.connection.execute("SELECT symbol FROM instruments").fetchall() == [("X",)]


def test_a_newer_schema_is_refused_and_the_file_left_unchanged(db_path: Path) -> None:
    Database.open(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE schema_version SET version = ?", [schema.latest_version() + 5])
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNewError) as info:
        Database.open(db_path)
    assert str(db_path) in str(info.value)
    assert f"version {schema.latest_version() + 5}" in str(info.value)
    assert db_path.read_bytes() == before


def test_an_appended_migration_runs_on_open(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Database.open(db_path).close()
    migrations = [*schema.MIGRATIONS, "CREATE TABLE presets (name VARCHAR PRIMARY KEY)"]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    with Database.open(db_path) as db:
        assert db.connection.execute("SELECT count(*) FROM presets").fetchone() == (0,)
    assert version_of(db_path) == len(migrations)


def test_a_failing_migration_leaves_the_file_at_its_old_version(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Database.open(db_path).close()
    old = schema.latest_version()

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        con.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    with pytest.raises(StoreError, match=f"schema version {old + 1} failed"):
        Database.open(db_path)
    assert version_of(db_path) == old
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'")
    assert con.fetchone() == (0,)
    con.close()


def test_a_foreign_duckdb_file_is_refused(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE trades (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not an ostdesk database"):
        Database.open(db_path)


def test_a_file_that_is_not_a_database_gives_an_error_naming_it(db_path: Path) -> None:
    db_path.write_text("date,open\n" * 100)
    with pytest.raises(StoreError) as info:
        Database.open(db_path)
    assert str(db_path) in str(info.value)


def test_read_only_open_of_a_missing_file_is_refused(db_path: Path) -> None:
    with pytest.raises(MissingDatabaseError, match="no database at"):
        Database.open(db_path, read_only=True)
    assert not db_path.exists()


HOLDER = textwrap.dedent(
    """
    import sys
    from ostdesk.store import Database
    db = Database.open(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.read()
    db.close()
    """
)


def test_a_file_held_by_another_process_gives_a_lock_error(db_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLockedError) as info:
            Database.open(db_path)
        assert info.value.path == db_path
        assert info.value.pid == holder.pid
        assert str(db_path) in str(info.value)
        assert f"PID {holder.pid}" in str(info.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    Database.open(db_path).close()  # released once the holder is gone


def test_another_thread_uses_a_cursor_not_the_connection(db_path: Path) -> None:
    results: list[object] = []

    def worker(db: Database) -> None:
        try:
            db.connection  # noqa: B018 (the access is what is tested)
        except StoreError as exc:
            results.append(exc)
        cur = db.cursor()
        results.append(cur.execute("SELECT count(*) FROM bars").fetchone())
        db.release(cur)

    with Database.open(db_path) as db:
        thread = threading.Thread(target=worker, args=(db,))
        thread.start()
        thread.join()
    assert isinstance(results[0], StoreError)
    assert results[1] == (0,)


def test_closing_the_database_closes_open_cursors_and_releases_the_file(db_path: Path) -> None:
    db = Database.open(db_path)
    cur = db.cursor()
    db.close()
    with pytest.raises(duckdb.Error):
        cur.execute("SELECT 1")
    with pytest.raises(StoreError, match="closed"):
        db.cursor()
    Database.open(db_path).close()


def test_db_path_precedence_is_cli_then_env_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OSTDESK_DB", raising=False)
    assert resolve_db_path(None) == default_db_path()
    assert default_db_path() == tmp_path / "xdg-data" / "ostdesk" / "ostdesk.duckdb"
    monkeypatch.setenv("OSTDESK_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "cli.duckdb") == tmp_path / "cli.duckdb"


def test_fold_log_folds_only_a_log_above_the_size_given_and_keeps_the_data(
    db_path: Path,
) -> None:
    with Database.open(db_path) as db:
        con = db.connection
        con.execute("CREATE TABLE t (v DOUBLE)")
        con.execute("INSERT INTO t SELECT random() FROM range(10000)")  # through the log
        logged = db.wal_bytes
        assert logged > 0
        assert not db.fold_log(con, above_bytes=logged)
        assert db.wal_bytes == logged
        assert db.fold_log(con, above_bytes=logged - 1)
        assert db.wal_bytes == 0
        assert con.execute("SELECT count(*) FROM t").fetchone() == (10000,)
