"""One DuckDB database file per user, opened with its schema brought up to date.

DuckDB connections must not be shared between threads: the opening thread owns ``connection``
and any other thread takes its own ``cursor()`` (a separate connection to the same database).
DuckDB locks the file per process, so a second process gets ``DatabaseLockedError``.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from types import TracebackType

import duckdb

from ostdesk.store import identity, offline, schema
from ostdesk.store.errors import (
    DatabaseLockedError,
    MissingDatabaseError,
    ReadOnlyDatabaseError,
    StoreError,
    UpgradeNeededError,
)
from ostdesk.store.paths import local_path

_LOCK_PID = re.compile(r"\(PID (\d+)\)")
log = logging.getLogger("ostdesk.store")

#: DuckDB folds its write-ahead log into the file at the first commit that takes the log past
#: this size, on whichever thread commits (~15 ms a MB here); commits on other connections
#: wait for it. Set explicitly at open, as ``ostdesk.store.run_results`` and the window (after
#: a run) fold the log themselves at times of their choosing (``Database.fold_log``).
CHECKPOINT_THRESHOLD_BYTES = 16 * 2**20


class Database:
    """An open ostdesk database. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
        self.path = path
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = con
        self._owner = threading.get_ident()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str, *, read_only: bool = False) -> Database:
        """Open the ostdesk database at ``path``, creating it and its folders if needed (unless
        ``read_only``), and bring its schema up to date.

        Nothing but an ostdesk database is opened (``ostdesk.store.identity``), and nothing
        refused is changed: a file that is not ostdesk's, or written by a newer ostdesk
        (``SchemaTooNewError``), is left as it was. ``read_only`` never creates anything: a
        missing file raises ``MissingDatabaseError``, and an older schema, which cannot be
        migrated read-only, ``UpgradeNeededError``. A read-write open of a file that cannot be
        written raises ``ReadOnlyDatabaseError`` before DuckDB fails mid-write.
        """
        path = local_path(path, "database")  # a URL would be a local folder named 'http:'
        identity.check_duckdb_file(path)
        if read_only and not path.exists():
            raise MissingDatabaseError(path)
        if not read_only:
            _prepare_for_writing(path)
        con = _connect(path, read_only=read_only)
        try:
            found = identity.identify(con, path)
            schema.check_not_too_new(found.version, path)
            if read_only:
                if found.version < schema.latest_version():
                    raise UpgradeNeededError(path, found.version, schema.latest_version())
            else:
                if not found.marked:
                    identity.mark(con)
                schema.migrate(con, path, found.version)
                con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD_BYTES}B'")
        except BaseException:
            con.close()
            raise
        return cls(path, con, read_only=read_only)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection of the thread that opened the database; other threads use ``cursor()``."""
        if threading.get_ident() != self._owner:
            raise StoreError(
                "Database.connection belongs to the thread that opened it; use Database.cursor() "
                "in other threads"
            )
        return self._live()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the same database, for one other thread. Close it when done
        (``close()`` of the database closes any still open)."""
        cur = self._live().cursor()
        with self._cursors_lock:
            self._cursors.append(cur)
        return cur

    def release(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Close a cursor obtained from :meth:`cursor`."""
        with self._cursors_lock:
            if cur in self._cursors:
                self._cursors.remove(cur)
        cur.close()

    @property
    def closed(self) -> bool:
        return self._con is None

    def close(self) -> None:
        """Close every cursor and the connection, which releases the file lock."""
        if self._con is None:
            return
        with self._cursors_lock:
            cursors, self._cursors = self._cursors, []
        for cur in cursors:
            cur.close()
        self._con.close()
        self._con = None

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def wal_bytes(self) -> int:
        """Size of the write-ahead log: what the next checkpoint will fold into the file."""
        try:
            return Path(f"{self.path}.wal").stat().st_size
        except FileNotFoundError:
            return 0

    def fold_log(self, cur: duckdb.DuckDBPyConnection, *, above_bytes: int = 0) -> bool:
        """Fold the write-ahead log into the file (``CHECKPOINT`` on ``cur``, a cursor of the
        calling thread) if it holds more than ``above_bytes``; True if it did. An error (a full
        disk) is logged, not raised: folding is housekeeping, which no run should fail for."""
        if self.wal_bytes <= above_bytes:
            return False
        try:
            cur.execute("CHECKPOINT")
        except duckdb.Error as exc:
            log.warning("could not fold the database log into %s: %s", self.path, exc)
            return False
        return True

    def __repr__(self) -> str:
        state = "closed" if self._con is None else ("read-only" if self.read_only else "open")
        return f"Database({str(self.path)!r}, {state})"

    def _live(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise StoreError(f"the database {self.path} is closed")
        return self._con


def _prepare_for_writing(path: Path) -> None:
    """Create the file's folders, and refuse a file that cannot be written: DuckDB would open
    it and fail at the first commit, when it creates its log next to the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder for the database {path}: {exc.strerror or exc}"
        ) from None
    if hasattr(os, "statvfs") and os.statvfs(path.parent).f_flag & os.ST_RDONLY:
        raise ReadOnlyDatabaseError(path, "it is on a read-only file system")
    if path.exists() and not os.access(path, os.W_OK):
        raise ReadOnlyDatabaseError(path, "the file is read-only")
    if not os.access(path.parent, os.W_OK):
        raise ReadOnlyDatabaseError(path, f"its folder {path.parent} is read-only")


def _connect(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An offline connection (``ostdesk.store.offline``), its file errors turned into
    messages that name the file."""
    try:
        return offline.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            match = _LOCK_PID.search(text)
            raise DatabaseLockedError(path, int(match.group(1)) if match else None) from exc
        raise StoreError(f"cannot open the database {path}: {duckdb_message(text)}") from exc
    except duckdb.ConnectionException as exc:
        raise StoreError(
            f"the database {path} is already open in this process with other settings "
            f"(read-only vs read-write): {duckdb_message(exc)}"
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database {path}: {duckdb_message(exc)}") from exc


DbOrCursor = Database | duckdb.DuckDBPyConnection
"""What the store's queries take: the database, or a cursor of it (a worker thread's)."""


def connection_of(db: DbOrCursor) -> duckdb.DuckDBPyConnection:
    return db.connection if isinstance(db, Database) else db


def duckdb_message(error: object) -> str:
    """DuckDB's messages start with 'IO Error: ' and the like; keep only the sentence."""
    text = str(error)
    head, sep, rest = text.partition(": ")
    return rest if sep and head.endswith("Error") else text
