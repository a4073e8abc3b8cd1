"""The store's exceptions: each says what went wrong and where, in words a user can act on."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every error the store raises on purpose (bad input, bad file, locked file)."""


class DatabaseLockedError(StoreError):
    """Another process holds the database file open for writing."""

    def __init__(self, path: Path, pid: int | None = None) -> None:
        self.path = path
        self.pid = pid
        holder = f"another process (PID {pid})" if pid is not None else "another process"
        super().__init__(
            f"the database {path} is in use by {holder}; close the other ostdesk window or "
            "command, or open a different file with --db"
        )


class SchemaTooNewError(StoreError):
    """The file was written by a newer ostdesk; it is refused rather than altered."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(
            f"the database {path} has schema version {found}, but this ostdesk understands only "
            f"up to version {supported}; upgrade ostdesk to open it (the file was not changed)"
        )


class MissingDatabaseError(StoreError):
    """A read-only open of a path with no database: nothing is created in its place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"no database at {path}")


class ReadOnlyDatabaseError(StoreError):
    """The file (or its folder, where DuckDB keeps its write-ahead log) cannot be written."""

    def __init__(self, path: Path, why: str) -> None:
        self.path = path
        super().__init__(f"the database {path} cannot be written ({why})")


class UpgradeNeededError(StoreError):
    """A read-only open of a file whose schema is older: it cannot be migrated read-only."""

    def __init__(self, path: Path, found: int, latest: int) -> None:
        self.path = path
        super().__init__(
            f"the database {path} has schema version {found} and needs an upgrade to {latest}, "
            "which a read-only open cannot do; open it once read-write"
        )


class BarImportError(StoreError):
    """A problem in an imported file; ``row`` is the file's line number, None for the whole file."""

    def __init__(self, file: str | Path, row: int | None, problem: str) -> None:
        self.file = Path(file)
        self.row = row
        self.problem = problem
        where = self.file.name if row is None else f"{self.file.name}, row {row}"
        super().__init__(f"{where}: {problem}")


class UnknownSymbolError(StoreError):
    """A symbol (or a symbol and period) with no bars in the store."""

    def __init__(self, symbol: str, detail: str = "") -> None:
        self.symbol = symbol
        super().__init__(f"no bars stored for symbol {symbol!r}{detail}")
