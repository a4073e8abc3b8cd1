"""Recorded runs: listing, loading for the GUI, managing, and recovery after a crash.

Each loader is one SQL round trip returning numpy columns, so a run of a million bars opens
in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import BarPeriod
from ostdesk.store.database import Database, DbOrCursor, connection_of
from ostdesk.store.errors import StoreError
from ostdesk.store.rows import first_row
from ostdesk.store.run_schema import EVENT_TABLES, HEADLINE_STATS
from ostdesk.store.stats import STAT_DEFINITIONS, TIME_KEYS, stats_from_record
from ostdesk.store.transactions import transaction

Columns = dict[str, npt.NDArray[Any]]

RUN_LIST_COLUMNS = (
    "run_id",
    "name",
    "strategy",
    "params",
    "symbols",
    "period",
    "start_ns",
    "end_ns",
    "first_bar_ns",
    "last_bar_ns",
    "capital",
    "commission",
    "status",
    "error",
    "started_at",
    "ended_at",
    "notes",
    "tags",
    "bars",
    *HEADLINE_STATS,
)


class UnknownRunError(StoreError):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"no run with id {run_id}")
        self.run_id = run_id


def data_fingerprint(
    db: DbOrCursor,
    symbols: Sequence[str],
    period: BarPeriod,
    start_ns: int | None,
    end_ns: int | None,
) -> str:
    """A short hash of the market data a run reads: it changes if those bars change."""
    row = first_row(
        connection_of(db).execute(
            "SELECT count(*), min(ts_event_ns), max(ts_event_ns), sum(close), sum(volume)"
            " FROM bars WHERE symbol IN (SELECT unnest(?)) AND period = ?"
            " AND ts_event_ns >= coalesce(?, -9223372036854775807)"
            " AND ts_event_ns < coalesce(?, 9223372036854775807)",
            [list(symbols), period.label, start_ns, end_ns],
        )
    )
    text = json.dumps(
        [sorted(symbols), period.label, [None if v is None else repr(v) for v in (row or ())]]
    )
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def recover_interrupted_runs(db: DbOrCursor) -> list[int]:
    """Runs left ``running`` by a process that died become ``interrupted`` (their rows kept).

    Only one process can hold the database for writing, so at open no run can be live.
    """
    rows = (
        connection_of(db)
        .execute(
            "UPDATE runs SET status = 'interrupted', ended_at = coalesce(ended_at, now())"
            " WHERE status = 'running' RETURNING run_id"
        )
        .fetchall()
    )
    return sorted(int(r[0]) for r in rows)


def list_runs(db: DbOrCursor, *, limit: int | None = None, offset: int = 0) -> Columns:
    """All runs, newest first, with headline statistics, as numpy columns."""
    sql = f"SELECT {', '.join(RUN_LIST_COLUMNS)} FROM runs ORDER BY run_id DESC" + (
        " LIMIT ? OFFSET ?" if limit is not None else ""
    )
    params = [limit, offset] if limit is not None else []
    return dict(connection_of(db).execute(sql, params).fetchnumpy())


def get_run(db: DbOrCursor, run_id: int) -> dict[str, Any]:
    cur = connection_of(db).execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
    row = first_row(cur)
    if row is None:
        raise UnknownRunError(run_id)
    names = [d[0] for d in cur.description or ()]
    run = dict(zip(names, row, strict=True))
    run["params"] = json.loads(run["params"])
    run["indicators"] = [tuple(line) for line in json.loads(run["indicators"])]
    return run


def run_stats(db: DbOrCursor, run_id: int) -> dict[str, object]:
    """The run's statistics in the order of ``STAT_DEFINITIONS`` (times, durations typed)."""
    con = connection_of(db)
    query = "SELECT name, value FROM run_stats WHERE run_id = ?"
    rows = dict(con.execute(query, [run_id]).fetchall())
    record = {
        k: (None if rows[k] is None else (int(rows[k] * 1e9) if k in TIME_KEYS else rows[k]))
        for k in STAT_DEFINITIONS
        if k in rows
    }
    return stats_from_record(record)


def _numpy(db: DbOrCursor, sql: str, params: list[Any]) -> Columns:
    """Columns as plain numpy arrays: SQL NULL (DuckDB stores NaN inserted from numpy as
    NULL) comes back as NaN in float columns and None in the others, never a masked array."""
    columns = dict(connection_of(db).execute(sql, params).fetchnumpy())
    for name, values in columns.items():
        if np.ma.isMaskedArray(values):
            if values.dtype.kind == "f":
                columns[name] = values.filled(np.nan)
            else:
                plain = values.data.astype(object)
                plain[values.mask] = None
                columns[name] = plain
    return columns


def run_bars(db: DbOrCursor, run_id: int, symbol: str) -> Columns:
    """One symbol's recorded bars (ts, open, high, low, close, volume) in time order.

    Bars are recorded in time order and DuckDB returns a plain scan in insertion order, so
    there is no ORDER BY (a million-row sort costs ~80 ms); sorted here only if needed."""
    columns = _numpy(
        db,
        "SELECT ts, open, high, low, close, volume FROM run_bars WHERE run_id = ? AND symbol = ?",
        [run_id, symbol],
    )
    ts = columns["ts"]
    if len(ts) > 1 and not bool((ts[1:] >= ts[:-1]).all()):
        order = np.argsort(ts, kind="stable")
        columns = {k: v[order] for k, v in columns.items()}
    return columns


def run_fills(db: DbOrCursor, run_id: int) -> Columns:
    return _numpy(
        db,
        "SELECT ts, fill_id, order_id, strategy_id, symbol, side, quantity, price,"
        " commission FROM run_fills WHERE run_id = ? ORDER BY ts, fill_id",
        [run_id],
    )


def run_orders(db: DbOrCursor, run_id: int) -> Columns:
    return _numpy(
        db,
        "SELECT * EXCLUDE (run_id) FROM run_orders WHERE run_id = ? ORDER BY ts, order_id",
        [run_id],
    )


def run_trades(db: DbOrCursor, run_id: int) -> Columns:
    return _numpy(
        db,
        "SELECT * EXCLUDE (run_id) FROM run_trades WHERE run_id = ? ORDER BY exit_ts, entry_ts",
        [run_id],
    )


def run_equity(db: DbOrCursor, run_id: int) -> Columns:
    return _numpy(
        db,
        "SELECT ts, cash, position_value, equity, drawdown_pct FROM run_equity"
        " WHERE run_id = ? ORDER BY ts",
        [run_id],
    )


def run_equity_points(db: DbOrCursor, run_id: int) -> Columns:
    """The equity a chart draws: ``ts`` and ``equity`` where the equity is a number."""
    return _numpy(
        db,
        "SELECT ts, equity FROM run_equity WHERE run_id = ? AND isfinite(equity) ORDER BY ts",
        [run_id],
    )


def run_indicators(db: DbOrCursor, run_id: int, symbol: str) -> dict[str, Columns]:
    """Per indicator line name: its ``ts`` and ``value`` series for one symbol."""
    data = _numpy(
        db,
        "SELECT name, ts, value FROM run_indicators WHERE run_id = ?"
        " AND symbol = ? ORDER BY name, ts",
        [run_id, symbol],
    )
    out: dict[str, Columns] = {}
    names = data["name"]
    if len(names) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    for lo, hi in zip(starts, [*starts[1:], len(names)], strict=True):
        out[str(names[lo])] = {"ts": data["ts"][lo:hi], "value": data["value"][lo:hi]}
    return out


def run_logs(db: DbOrCursor, run_id: int, *, limit: int | None = None) -> Columns:
    """The strategy's messages (ts, strategy_id, symbol, message) in the order logged, the
    first ``limit`` of them if given (a strategy may log on every one of a million bars)."""
    return _numpy(
        db,
        "SELECT ts, strategy_id, symbol, message FROM run_logs WHERE run_id = ?"
        " ORDER BY ts, rowid LIMIT ?",
        [run_id, limit],
    )


def run_log_count(db: DbOrCursor, run_id: int) -> int:
    row = first_row(
        connection_of(db).execute("SELECT count(*) FROM run_logs WHERE run_id = ?", [run_id])
    )
    return int(row[0]) if row is not None else 0


def delete_run(db: Database, run_id: int) -> None:
    """Remove a run and every row it owns, in one transaction."""
    cur = db.cursor()
    try:
        with transaction(cur):
            require_run(cur, run_id)
            for table in EVENT_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            cur.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
    finally:
        db.release(cur)


def update_run(
    db: DbOrCursor,
    run_id: int,
    *,
    name: str | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
) -> None:
    """Rename a run, or set its notes or tags."""
    con = connection_of(db)
    require_run(con, run_id)
    for column, value in (
        ("name", name),
        ("notes", notes),
        ("tags", list(tags) if tags is not None else None),
    ):
        if value is not None:
            con.execute(f"UPDATE runs SET {column} = ? WHERE run_id = ?", [value, run_id])


def require_run(db: DbOrCursor, run_id: int) -> None:
    """Raise ``UnknownRunError`` unless run ``run_id`` is stored."""
    found = connection_of(db).execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id])
    if first_row(found) is None:
        raise UnknownRunError(run_id)
