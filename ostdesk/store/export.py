"""Writing one table of a recorded run to a local CSV or Parquet file, whole or not at all.

Files are for people and their tools: times are UTC, ISO-8601 text in CSV and typed
timestamps with the zone in Parquet; numbers in CSV are written as ``csv_text`` says (the
blotters' CSV export uses the same rules); Parquet keeps every bit.

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

from ostdesk.store import csv_text
from ostdesk.store.database import DbOrCursor, connection_of, duckdb_message
from ostdesk.store.errors import StoreError
from ostdesk.store.paths import local_path
from ostdesk.store.rows import first_row
from ostdesk.store.runs import require_run

EXPORTS = {
    "fills": ("run_fills", "ts, fill_id"),
    "orders": ("run_orders", "ts, order_id"),
    "trades": ("run_trades", "exit_ts"),
    "equity": ("run_equity", "ts"),
    "bars": ("run_bars", "ts, symbol"),
    "log": ("run_logs", "run_logs.ts, run_logs.rowid"),  # as logged, setup's messages first
}
"""What can be exported: its table and the order of its rows."""
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
"""The format an extension means when none is given (``.csv.gz`` and ``.csv.zst`` are CSV)."""
_OPTIONS = {"csv": "(FORMAT csv, HEADER true)", "parquet": "(FORMAT parquet)"}
_DURATION = "duration_ns"


def export_run(
    db: DbOrCursor, run_id: int, what: str, path: str | Path, fmt: str | None = None
) -> int:
    """Write table ``what`` of run ``run_id`` to the file ``path``; return the rows written.

    ``fmt`` is ``csv`` or ``parquet``; None takes it from the file's extension. Times are
    UTC: ISO-8601 text in CSV, TIMESTAMP WITH TIME ZONE in Parquet; a duration is text plus
    seconds (``duration``, ``duration_s``). The strategy's messages (``log``) are all of
    them, in the order logged; one logged in ``setup``, before any bar, has no time.
    Raises ``StoreError`` saying what is wrong: an unknown table, format or run, an
    extension that names no format, a URL, a missing folder, a folder given as the file,
    or the writer's own failure.
    """
    if what not in EXPORTS:
        raise StoreError(f"cannot export {what!r}; choose one of {', '.join(EXPORTS)}")
    target = export_target(path)
    fmt = export_format(target, fmt)
    con = connection_of(db)
    require_run(con, run_id)
    query = _query(con, what, fmt)
    # the target's name ends the temporary one, so DuckDB still sees a .gz or .zst suffix
    partial = target.with_name(f".partial-{secrets.token_hex(4)}-{target.name}")
    quoted = str(partial).replace("'", "''")
    try:
        count = first_row(
            con.execute(f"COPY ({query}) TO '{quoted}' {_OPTIONS[fmt]}", {"run": run_id})
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


def export_format(path: Path, fmt: str | None) -> str:
    """``fmt`` checked, or the format ``path``'s extension names; an export never guesses."""
    if fmt is not None:
        if fmt not in _OPTIONS:
            raise StoreError(f"unknown export format {fmt!r}; choose csv or parquet")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-2:-1] == [".csv"] and suffixes[-1] in (".gz", ".zst"):
        return "csv"
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise StoreError(
        f"cannot tell the format of the export file {path.name} from its extension; "
        "name it .csv or .parquet, or give the format (--format csv or parquet)"
    )


def _query(con: duckdb.DuckDBPyConnection, what: str, fmt: str) -> str:
    """The rows of ``what`` for ``fmt``: times and durations readable, numbers as
    ``csv_text`` writes them in CSV and full precision in Parquet."""
    table, order = EXPORTS[what]
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    csv = fmt == "csv"
    number = csv_text.exact_number_sql if what == "bars" else csv_text.number_sql
    selected: list[str] = []
    for name, kind in columns:
        q = f'"{name}"'
        if name == "run_id":
            continue
        if what == "log" and name == "ts":
            q = 'NULLIF("ts", 0)'  # 0: logged in setup, before any bar
        if name == _DURATION:
            text = csv_text.duration_sql(q)
            seconds = f"{q} / 1e9"
            selected.append(f"{text} AS duration")
            selected.append(f"{number(seconds) if csv else seconds} AS duration_s")
        elif kind == "BIGINT" and (name == "ts" or name.endswith(("_ts", "_ns"))):
            label = name.removesuffix("_ns") + "_ts" if name.endswith("_ns") else name
            value = csv_text.iso_time_sql(q) if csv else _instant(q)
            selected.append(f'{value} AS "{label}"')
        elif kind == "DOUBLE" and csv:
            selected.append(f"{number(q)} AS {q}")
        else:
            selected.append(q)
    return f"SELECT {', '.join(selected)} FROM {table} WHERE run_id = $run ORDER BY {order}"


def _instant(column: str) -> str:
    """A nanosecond column as TIMESTAMPTZ_NS, whatever the session's time zone (a plain
    cast would read the naive timestamp in it)."""
    return f"timezone('UTC', make_timestamp_ns({column}))"


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
