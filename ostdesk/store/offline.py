"""DuckDB connections that never reach for the network.

By default DuckDB installs and loads a "known" extension the moment a query needs one: a SQLite
file given as a database fetches ``sqlite_scanner``, an ``http://`` or ``s3://`` path fetches
``httpfs`` (over plain http, into ``~/.duckdb/extensions``). ostdesk reads and writes local files
only, so every connection it opens turns that off; a query that would need an extension fails
with DuckDB's "requires the extension" error instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

OFFLINE_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
"""Connect-time settings: cursors of a connection share them (they belong to the database)."""


def connect(
    database: Path | str = ":memory:", *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with :data:`OFFLINE_CONFIG`; in memory unless given a file."""
    return duckdb.connect(str(database), read_only=read_only, config=OFFLINE_CONFIG)
