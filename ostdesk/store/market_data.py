"""Queries over stored bars: what is there, and the bars themselves as numpy columns.

Time ranges are half-open, ``start_ns <= ts_event_ns < end_ns``, with None for no bound.
Functions take a ``Database`` (used from the thread that opened it) or a cursor from
``Database.cursor()`` (for any other thread).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.events import BarPeriod
from ostdesk.store.database import Database, DbOrCursor, connection_of
from ostdesk.store.errors import StoreError, UnknownSymbolError
from ostdesk.store.rows import first_row
from ostdesk.store.timefmt import format_ns

BAR_COLUMNS = ("ts_event_ns", "open", "high", "low", "close", "volume")
DEFAULT_CHUNK_ROWS = 100_000


@dataclasses.dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    description: str
    tick_size: float | None


def list_instruments(db: DbOrCursor) -> list[Instrument]:
    rows = (
        connection_of(db)
        .execute("SELECT symbol, description, tick_size FROM instruments ORDER BY symbol")
        .fetchall()
    )
    return [Instrument(symbol, description, tick_size) for symbol, description, tick_size in rows]


def has_market_data(db: DbOrCursor) -> bool:
    """Whether any bar is stored (the GUI offers demo data on a first launch when not)."""
    row = first_row(connection_of(db).execute("SELECT EXISTS (SELECT 1 FROM bars)"))
    return bool(row and row[0])


def coverage(
    db: DbOrCursor, symbols: Sequence[str] | None, period: BarPeriod | str
) -> dict[str, tuple[int, int, int]]:
    """Per symbol: (first ts, last ts, bar count) for ``period``; None means every symbol.

    A requested symbol without bars of that period raises ``UnknownSymbolError``.
    """
    period = BarPeriod.parse(period)
    rows = (
        connection_of(db)
        .execute(
            "SELECT symbol, min(ts_event_ns), max(ts_event_ns), count(*) FROM bars "
            "WHERE period = ? AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], symbol)) "
            "GROUP BY symbol ORDER BY symbol",
            [period.label, _list_or_none(symbols), _list_or_none(symbols)],
        )
        .fetchall()
    )
    found = {symbol: (int(first), int(last), int(n)) for symbol, first, last, n in rows}
    for symbol in symbols or ():
        if symbol not in found:
            raise UnknownSymbolError(symbol, f" with period {period.label}")
    return found


def count_bars(
    db: DbOrCursor,
    symbols: Sequence[str],
    period: BarPeriod | str,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> int:
    """Bars of ``symbols`` in the range; raises if a symbol is unknown or the range is empty.

    Call it before starting a feed, so bad input fails in the caller's thread.
    """
    period = BarPeriod.parse(period)
    symbols = _check_symbols(symbols)
    per_symbol = dict(
        connection_of(db)
        .execute(  # one scan: which symbols have bars at all, and how many are in range
            "SELECT symbol, count(*) FILTER (WHERE ts_event_ns >= ? AND ts_event_ns < ?) "
            "FROM bars WHERE period = ? AND list_contains(?, symbol) GROUP BY symbol",
            [*_bounds(start_ns, end_ns), period.label, symbols],
        )
        .fetchall()
    )
    for symbol in symbols:  # unknown symbols first: the clearer message
        if symbol not in per_symbol:
            raise UnknownSymbolError(symbol, f" with period {period.label}")
    count = sum(int(n) for n in per_symbol.values())
    if count == 0:
        raise StoreError(
            f"no {period.label} bars of {', '.join(symbols)}{_range_text(start_ns, end_ns)}"
        )
    return count


def load_bars(
    db: DbOrCursor,
    symbol: str,
    period: BarPeriod | str,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """One symbol's bars as numpy columns (keys ``BAR_COLUMNS``), ordered by time.

    An unknown symbol raises ``UnknownSymbolError``; an empty range gives empty arrays.
    """
    period = BarPeriod.parse(period)
    coverage(db, [symbol], period)
    result = (
        connection_of(db)
        .execute(
            "SELECT ts_event_ns, open, high, low, close, volume FROM bars "
            "WHERE symbol = ? AND period = ? AND ts_event_ns >= ? AND ts_event_ns < ? "
            "ORDER BY ts_event_ns",
            [symbol, period.label, *_bounds(start_ns, end_ns)],
        )
        .fetchnumpy()
    )
    return {
        name: np.asarray(result[name], dtype=np.int64 if name == "ts_event_ns" else np.float64)
        for name in BAR_COLUMNS
    }


def bar_chunks(
    db_or_cursor: DbOrCursor,
    symbols: Sequence[str],
    period: BarPeriod | str,
    start_ns: int | None = None,
    end_ns: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[BarChunk]:
    """The bars of ``symbols`` in (ts, symbol order) as chunks of about ``chunk_rows`` rows.

    Lazy: nothing is read until the first ``next()``. Given a ``Database``, the generator opens
    its own cursor in the thread that iterates it (the datafeed's) and closes it when exhausted
    or closed. ``symbol_index`` points into ``symbols`` as given.
    """
    period = BarPeriod.parse(period)
    symbols = _check_symbols(symbols)
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if isinstance(db_or_cursor, Database):
        return _chunks_with_own_cursor(db_or_cursor, symbols, period, start_ns, end_ns, chunk_rows)
    return _chunks(db_or_cursor, symbols, period, start_ns, end_ns, chunk_rows)


def _chunks_with_own_cursor(
    db: Database,
    symbols: list[str],
    period: BarPeriod,
    start_ns: int | None,
    end_ns: int | None,
    chunk_rows: int,
) -> Iterator[BarChunk]:
    cur = db.cursor()
    try:
        yield from _chunks(cur, symbols, period, start_ns, end_ns, chunk_rows)
    finally:
        db.release(cur)


def _chunks(
    cur: duckdb.DuckDBPyConnection,
    symbols: list[str],
    period: BarPeriod,
    start_ns: int | None,
    end_ns: int | None,
    chunk_rows: int,
) -> Iterator[BarChunk]:
    # Windows of whole timestamps, cut at quantiles of ts, so each is one range scan + sort.
    lo, hi = _bounds(start_ns, end_ns)
    where = "period = ? AND list_contains(?, symbol) AND ts_event_ns >= ? AND ts_event_ns < ?"
    params: list[Any] = [period.label, symbols, lo, hi]
    row = first_row(
        cur.execute(f"SELECT count(*), max(ts_event_ns) FROM bars WHERE {where}", params)
    )
    if row is None or not row[0]:
        return
    total, last = int(row[0]), int(row[1])
    windows = math.ceil(total / chunk_rows)
    cuts: list[int] = []
    if windows > 1:
        fractions = [k / windows for k in range(1, windows)]
        qrow = first_row(
            cur.execute(
                f"SELECT quantile_disc(ts_event_ns, ?::DOUBLE[]) FROM bars WHERE {where}",
                [fractions, *params],
            )
        )
        cuts = sorted({int(t) for t in qrow[0]}) if qrow else []
    edges = [lo, *(c for c in cuts if lo < c <= last), last + 1]
    query = (
        "SELECT ts_event_ns, (list_position(?, symbol) - 1)::INTEGER AS symbol_index, "
        f"open, high, low, close, volume FROM bars WHERE {where} "
        "ORDER BY ts_event_ns, symbol_index"
    )
    for start, stop in itertools.pairwise(edges):
        cols = cur.execute(query, [symbols, period.label, symbols, start, stop]).fetchnumpy()
        if len(cols["ts_event_ns"]) == 0:
            continue
        yield BarChunk(
            ts=np.asarray(cols["ts_event_ns"], dtype=np.int64),
            symbol_index=np.asarray(cols["symbol_index"], dtype=np.int32),
            open=np.asarray(cols["open"], dtype=np.float64),
            high=np.asarray(cols["high"], dtype=np.float64),
            low=np.asarray(cols["low"], dtype=np.float64),
            close=np.asarray(cols["close"], dtype=np.float64),
            volume=np.asarray(cols["volume"], dtype=np.float64),
        )


def _check_symbols(symbols: Sequence[str]) -> list[str]:
    if isinstance(symbols, str):
        symbols = [symbols]
    result = list(symbols)
    if not result:
        raise StoreError("no symbols given")
    if len(set(result)) != len(result):
        raise StoreError(f"symbols given more than once: {', '.join(result)}")
    return result


def _list_or_none(symbols: Sequence[str] | None) -> list[str] | None:
    return None if symbols is None else _check_symbols(symbols)


_MIN_NS = -(2**63)
_MAX_NS = 2**63 - 1


def _bounds(start_ns: int | None, end_ns: int | None) -> tuple[int, int]:
    return (
        _MIN_NS if start_ns is None else int(start_ns),
        _MAX_NS if end_ns is None else int(end_ns),
    )


def _range_text(start_ns: int | None, end_ns: int | None) -> str:
    """`` from <start>`` and `` before <end>`` of a half-open range, or `` through <date>``
    for an end that takes a whole day (the command line's ``--end 2024-01-31``)."""
    text = "" if start_ns is None else f" from {format_ns(start_ns)}"
    if end_ns is not None:
        if (end_ns + 1) % BarPeriod.DAY.value == 0:
            text += f" through {format_ns(end_ns + 1 - BarPeriod.DAY.value)[:10]}"
        else:
            text += f" before {format_ns(end_ns)}"
    return text
