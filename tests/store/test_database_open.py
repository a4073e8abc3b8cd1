"""Which files the store opens, and how: its marker, older unmarked files, read-only opens."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ostdesk.store import Database, StoreError, identity, schema
from ostdesk.store.errors import (
    MissingDatabaseError,
    ReadOnlyDatabaseError,
    UpgradeNeededError,
)
from tests.read_only import read_only_copy


def _raw(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()


def _older_ostdesk_file(path: Path, version: int) -> None:
    """A file as an ostdesk from before the marker left it, at schema ``version``."""
    con = duckdb.connect(str(path))
    try:
        for migration in schema.MIGRATIONS[:version]:
            assert isinstance(migration, str)
            con.execute(migration)
        con.execute("INSERT INTO schema_version VALUES (?)", [version])
        con.execute("INSERT INTO instruments (symbol) VALUES ('OLD')")
    finally:
        con.close()


def test_a_new_database_carries_the_ostdesk_marker(db_path: Path) -> None:
    Database.open(db_path).close()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(f"SELECT * FROM {identity.MARKER_TABLE}").fetchall()
    finally:
        con.close()
    assert rows == [(identity.APPLICATION_ID,)]


def test_a_foreign_file_with_a_schema_version_table_is_refused_and_not_changed(
    db_path: Path,
) -> None:
    _raw(
        db_path,
        "CREATE TABLE schema_version (version INTEGER NOT NULL)",
        "INSERT INTO schema_version VALUES (1)",
        "CREATE TABLE customers (id INTEGER, name VARCHAR)",
    )
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="not an ostdesk database") as info:
        Database.open(db_path)
    assert str(db_path) in str(info.value)
    assert len(str(info.value).splitlines()) == 1
    assert db_path.read_bytes() == before
    assert _tables(db_path) == {"schema_version", "customers"}


def test_a_foreign_file_with_ostdesk_like_tables_but_extra_columns_is_refused(
    db_path: Path,
) -> None:
    _older_ostdesk_file(db_path, 1)
    _raw(db_path, "ALTER TABLE bars ADD COLUMN vwap DOUBLE")
    before = db_path.read_bytes()
    with pytest.raises(StoreError, match="not an ostdesk database"):
        Database.open(db_path)
    assert db_path.read_bytes() == before


def test_a_file_whose_marker_names_another_application_is_refused(db_path: Path) -> None:
    _raw(db_path, f"CREATE TABLE {identity.MARKER_TABLE} (application_id VARCHAR)")
    _raw(db_path, f"INSERT INTO {identity.MARKER_TABLE} VALUES ('someone-else')")
    with pytest.raises(StoreError, match="does not name ostdesk"):
        Database.open(db_path)


def test_an_older_unmarked_ostdesk_file_is_migrated_and_marked_on_a_read_write_open(
    db_path: Path,
) -> None:
    _older_ostdesk_file(db_path, 1)
    with Database.open(db_path) as db:
        symbols = db.connection.execute("SELECT symbol FROM instruments").fetchall()
        version = db.connection.execute("SELECT version FROM schema_version").fetchall()
    assert symbols == [("OLD",)]
    assert version == [(schema.latest_version(),)]
    assert identity.MARKER_TABLE in _tables(db_path)


def test_an_older_unmarked_file_at_the_latest_version_opens_read_only_unchanged(
    db_path: Path,
) -> None:
    _older_ostdesk_file(db_path, schema.latest_version())
    before = db_path.read_bytes()
    with Database.open(db_path, read_only=True) as db:
        assert db.connection.execute("SELECT symbol FROM instruments").fetchall() == [("OLD",)]
    assert db_path.read_bytes() == before
    assert identity.MARKER_TABLE not in _tables(db_path)


def test_a_read_only_open_of_an_older_schema_says_it_needs_an_upgrade(db_path: Path) -> None:
    _older_ostdesk_file(db_path, 1)
    with pytest.raises(UpgradeNeededError, match="schema version 1 and needs an upgrade"):
        Database.open(db_path, read_only=True)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"", "it is empty"),
        (b"SQLite format 3\x00" + bytes(100), "it is a SQLite database"),
        (b"date,open,high\n" * 10, "its first bytes are not DuckDB's"),
    ],
)
def test_a_file_that_is_not_duckdb_is_refused_before_duckdb_opens_it(
    db_path: Path, content: bytes, kind: str
) -> None:
    db_path.write_bytes(content)
    with pytest.raises(StoreError, match="is not a DuckDB database") as info:
        Database.open(db_path)
    assert kind in str(info.value)
    assert db_path.read_bytes() == content


def test_a_read_only_open_never_creates_folders_or_files(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "folder" / "x.duckdb"
    with pytest.raises(MissingDatabaseError, match=f"no database at {path}"):
        Database.open(path, read_only=True)
    assert not (tmp_path / "missing").exists()


def test_a_database_in_a_read_only_folder_opens_read_only_and_refuses_writing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    with Database.open(source / "x.duckdb") as db:
        db.connection.execute("INSERT INTO instruments (symbol) VALUES ('KEPT')")
    with read_only_copy(source, tmp_path / "ro") as folder:
        path = folder / "x.duckdb"
        with pytest.raises(ReadOnlyDatabaseError, match="cannot be written"):
            Database.open(path)
        with Database.open(path, read_only=True) as db:
            rows = db.connection.execute("SELECT symbol FROM instruments").fetchall()
        assert rows == [("KEPT",)]
        assert os.listdir(folder) == ["x.duckdb"]


def test_a_log_left_by_a_process_that_ended_is_read_by_a_read_only_open(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    path = source / "x.duckdb"
    Database.open(path).close()
    # a copy of the file and its log as a crashed writer leaves them: the insert only logged
    con = duckdb.connect(str(path))
    con.execute("CHECKPOINT")
    con.execute("INSERT INTO instruments (symbol) VALUES ('LOGGED')")
    wal = Path(f"{path}.wal")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "x.duckdb").write_bytes(path.read_bytes())
    (copy / "x.duckdb.wal").write_bytes(wal.read_bytes())
    con.close()
    with read_only_copy(copy, tmp_path / "ro") as folder:
        with Database.open(folder / "x.duckdb", read_only=True) as db:
            rows = db.connection.execute("SELECT symbol FROM instruments").fetchall()
        assert rows == [("LOGGED",)]
