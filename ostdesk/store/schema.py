"""The database schema as an ordered list of forward migrations.

Migration *n* (1-based) brings a file from schema version n-1 to n. To change the schema, append
a SQL string (one or more statements) or a function taking the connection to ``MIGRATIONS``;
never edit one that has shipped, since files in the field already ran it. Each migration runs in
its own transaction together with the version bump, so a failure leaves the file as it was.
Which files are ostdesk's, and so may be migrated at all, is ``ostdesk.store.identity``'s call.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from ostdesk.store.errors import SchemaTooNewError, StoreError
from ostdesk.store.run_schema import RUN_EXECUTOR, V2_RUNS, V4_INVALID_REQUESTS, V5_RUN_LOGS
from ostdesk.store.study_schema import TRIAL_RETURNS, V6_STUDIES
from ostdesk.store.transactions import transaction

Migration = str | Callable[[duckdb.DuckDBPyConnection], None]

_V1_MARKET_DATA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE instruments (
    symbol VARCHAR PRIMARY KEY,
    description VARCHAR NOT NULL DEFAULT '',
    tick_size DOUBLE CHECK (tick_size IS NULL OR tick_size > 0)
);
CREATE TABLE bars (
    symbol VARCHAR NOT NULL,
    period VARCHAR NOT NULL CHECK (period IN ('second', 'minute', 'hour', 'day')),
    ts_event_ns BIGINT NOT NULL,  -- bar open time, ns since the epoch, UTC
    open DOUBLE NOT NULL,
    high DOUBLE NOT NULL,
    low DOUBLE NOT NULL,
    close DOUBLE NOT NULL,
    volume DOUBLE NOT NULL,
    PRIMARY KEY (symbol, period, ts_event_ns)
);
"""

# Named run configurations of the GUI (ostdesk.store.presets); the name '' holds the last used.
_V3_PRESETS = """
CREATE TABLE config_presets (
    name VARCHAR PRIMARY KEY,
    config VARCHAR NOT NULL,          -- JSON object, see ostdesk.store.presets.SavedConfig
    updated_at TIMESTAMP NOT NULL     -- wall clock, UTC
);
"""

MIGRATIONS: list[Migration] = [
    _V1_MARKET_DATA,
    V2_RUNS,
    _V3_PRESETS,
    V4_INVALID_REQUESTS,
    V5_RUN_LOGS,
    V6_STUDIES,
    RUN_EXECUTOR,
    TRIAL_RETURNS,
]


def latest_version() -> int:
    """The schema version this code writes: the number of migrations."""
    return len(MIGRATIONS)


def check_not_too_new(version: int, path: Path) -> None:
    if version > latest_version():
        raise SchemaTooNewError(path, version, latest_version())


def migrate(con: duckdb.DuckDBPyConnection, path: Path, version: int) -> int:
    """Bring the file from schema ``version`` (see ``ostdesk.store.identity``) to the latest,
    each migration in its own transaction; return the version."""
    check_not_too_new(version, path)
    for number in range(version + 1, latest_version() + 1):
        migration = MIGRATIONS[number - 1]
        try:
            with transaction(con):
                if isinstance(migration, str):
                    con.execute(migration)
                else:
                    migration(con)
                con.execute("DELETE FROM schema_version")
                con.execute("INSERT INTO schema_version VALUES (?)", [number])
        except duckdb.Error as exc:
            raise StoreError(f"upgrading {path} to schema version {number} failed: {exc}") from exc
    return latest_version()
