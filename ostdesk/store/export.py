"""Writing one table of a recorded run to a local CSV or Parquet file, whole or not at all.

DuckDB's writer fills a temporary file beside the target, renamed over it once complete: a
failed export (a full disk, an interrupt) leaves no half-written file and an existing file
as it was. Targets are local paths only: a URL would make DuckDB reach for the network.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import duckdb

from ostdesk.store.database import DbOrCursor, connection_of, duckdb_message
from ostdesk.store.errors import StoreError
from ostdesk.store.paths import local_path
from ostdesk.store.rows import first_row
from ostdesk.store.runs import require_run

EXPORTS = {
    "fills": "SELECT * EXCLUDE (run_id) FROM run_fills WHERE run_id = $run ORDER BY ts, fill_id",
    "orders": "SELECT * EXCLUDE (run_id) FROM run_orders WHERE run_id = $run ORDER BY ts, order_id",
    "trades": "SELECT * EXCLUDE (run_id) FROM run_trades WHERE run_id = $run ORDER BY exit_ts",
    "equity": "SELECT * EXCLUDE (run_id) FROM run_equity WHERE run_id = $run ORDER BY ts",
    "bars": "SELECT * EXCLUDE (run_id) FROM run_bars WHERE run_id = $run ORDER BY ts, symbol",
}
_OPTIONS = {"csv": "(FORMAT csv, HEADER true)", "parquet": "(FORMAT parquet)"}


def export_run(db: DbOrCursor, run_id: int, what: str, path: str | Path, fmt: str) -> int:
    """Write table ``what`` of run ``run_id`` to the file ``path``; return the rows written.

    Raises ``StoreError`` saying what is wrong: an unknown table, format or run, a URL, a
    missing folder, a folder given as the file, or the writer's own failure.
    """
    if what not in EXPORTS:
        raise StoreError(f"cannot export {what!r}; choose one of {', '.join(EXPORTS)}")
    if fmt not in _OPTIONS:
        raise StoreError(f"unknown export format {fmt!r}; choose csv or parquet")
    target = export_target(path)
    con = connection_of(db)
    require_run(con, run_id)
    # the target's name ends the temporary one, so DuckDB still sees a .gz or .zst suffix
    partial = target.with_name(f".partial-{secrets.token_hex(4)}-{target.name}")
    quoted = str(partial).replace("'", "''")
    try:
        count = first_row(
            con.execute(f"COPY ({EXPORTS[what]}) TO '{quoted}' {_OPTIONS[fmt]}", {"run": run_id})
        )
        os.replace(partial, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        if isinstance(exc, duckdb.Error | OSError):
            why = duckdb_message(exc) if isinstance(exc, duckdb.Error) else exc.strerror or exc
            why = str(why).replace(str(partial), str(target))  # the name the user gave
            raise StoreError(f"cannot write the export file {target}: {why}") from None
        raise
    return int(count[0]) if count else 0


def export_target(path: str | Path) -> Path:
    """The file an export may write: local, in a folder that exists, not a folder, and, if
    it exists, a plain file that is no database: an export replaces what it is given, so a
    device (``/dev/null``), a pipe or the database itself would be destroyed, not written.
    A symbolic link is followed: the file it points at is the one replaced."""
    target = local_path(path, "export file")
    if target.is_symlink():
        target = target.resolve()
    if target.is_dir():
        raise StoreError(f"the export file {target} is a folder; give the name of a file in it")
    if target.exists():
        if not target.is_file():
            raise StoreError(
                f"the export file {target} is not a regular file (a device or a pipe); "
                "give the name of a file"
            )
        if _is_database(target):
            raise StoreError(
                f"the export file {target} is a database; an export never replaces one"
            )
    if not target.parent.is_dir():
        problem = "is not a folder" if target.parent.exists() else "does not exist"
        raise StoreError(f"cannot write the export file {target}: {target.parent} {problem}")
    return target


def _is_database(path: Path) -> bool:
    """A DuckDB file (its magic bytes) or a DuckDB file's write-ahead log."""
    if path.suffix == ".wal" and path.with_suffix("").is_file():
        return True
    try:
        with path.open("rb") as f:
            return f.read(12)[8:12] == b"DUCK"
    except OSError:
        return False
