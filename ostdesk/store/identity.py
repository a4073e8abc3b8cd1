"""Whether a file is an ostdesk database: checked before anything in it is changed.

Files ostdesk creates carry a marker, the one-row table ``ostdesk_meta`` naming the
application. Files written before the marker existed are recognised by their shape (one
``schema_version`` row, and exactly the tables and columns that schema version has) and get the
marker on their first read-write open. Anything else is refused without being touched: a table
name alone (``schema_version`` is a common one) proves nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb

from ostdesk.store import offline, schema
from ostdesk.store.errors import StoreError
from ostdesk.store.transactions import transaction

MARKER_TABLE = "ostdesk_meta"
APPLICATION_ID = "ostdesk"

_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_SQLITE_MAGIC = b"SQLite format 3\x00"

Shape = dict[str, tuple[str, ...]]
"""Table name to its column names, in order."""


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    version: int
    """The schema version; 0 for a new (empty) file."""
    marked: bool
    """Whether the file carries the marker; an unmarked file is an older ostdesk's or new."""


def check_duckdb_file(path: Path) -> None:
    """Refuse an existing file that is not a DuckDB database, before DuckDB opens it (given
    a SQLite file, DuckDB would reach for its SQLite extension)."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file")
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read the database {path}: {exc.strerror or exc}") from None
    if head[8:12] == _DUCKDB_MAGIC:
        return
    kind = (
        "it is a SQLite database"
        if head.startswith(_SQLITE_MAGIC)
        else ("it is empty" if not head else "its first bytes are not DuckDB's")
    )
    raise StoreError(f"{path} is not a DuckDB database ({kind}); ostdesk opens only its own files")


def identify(con: duckdb.DuckDBPyConnection, path: Path) -> Identity:
    """What ``con``'s file is, or ``StoreError`` naming it when it is not ostdesk's."""
    shape = shape_of(con)
    if MARKER_TABLE in shape:
        rows = con.execute(f"SELECT * FROM {MARKER_TABLE}").fetchall()
        if rows != [(APPLICATION_ID,)]:
            raise _foreign(path, f"its {MARKER_TABLE} table does not name {APPLICATION_ID}")
        return Identity(_version(con) if "schema_version" in shape else 0, marked=True)
    if not shape and not _has_other_objects(con):
        return Identity(0, marked=False)
    version = _unmarked_version(con, shape)
    if version is None or shape != expected_shape(version):
        raise _foreign(path, "it has no ostdesk marker and its tables are not an ostdesk schema")
    return Identity(version, marked=False)


def mark(con: duckdb.DuckDBPyConnection) -> None:
    """Write the marker (read-write connections only; a no-op on a marked file)."""
    with transaction(con):
        con.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (application_id VARCHAR NOT NULL)")
        con.execute(f"DELETE FROM {MARKER_TABLE}")
        con.execute(f"INSERT INTO {MARKER_TABLE} VALUES (?)", [APPLICATION_ID])


def shape_of(con: duckdb.DuckDBPyConnection) -> Shape:
    """The tables of the connection's own database (not temp ones) and their columns."""
    rows = con.execute(
        "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns()"
        " WHERE database_name = current_database() GROUP BY table_name"
    ).fetchall()
    return {str(name): tuple(columns) for name, columns in rows}


def expected_shape(version: int) -> Shape:
    """The tables schema ``version`` has: the migrations up to it, replayed in memory."""
    con = offline.connect()
    try:
        for migration in schema.MIGRATIONS[:version]:
            if isinstance(migration, str):
                con.execute(migration)
            else:
                migration(con)
        return shape_of(con)
    finally:
        con.close()


def _unmarked_version(con: duckdb.DuckDBPyConnection, shape: Shape) -> int | None:
    """The version an older ostdesk file states: its one ``schema_version`` row, if sane."""
    if shape.get("schema_version") != ("version",):
        return None
    rows = con.execute("SELECT version FROM schema_version").fetchall()
    if len(rows) != 1 or not isinstance(rows[0][0], int):
        return None
    version = int(rows[0][0])
    return version if 1 <= version <= schema.latest_version() else None


def _version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(row[0][0]) if row and row[0][0] is not None else 0


def _has_other_objects(con: duckdb.DuckDBPyConnection) -> bool:
    """Views, sequences or macros: a file holding only those is still somebody's."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM duckdb_views() WHERE NOT internal"
        "         AND database_name = current_database())"
        " + (SELECT count(*) FROM duckdb_sequences() WHERE database_name = current_database())"
        " + (SELECT count(*) FROM duckdb_functions() WHERE NOT internal"
        "         AND database_name = current_database())"
    ).fetchall()
    return bool(row[0][0])


def _foreign(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path} is a DuckDB file but not an ostdesk database ({why}); it was left unchanged"
    )
