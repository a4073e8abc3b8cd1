"""What a run's end stores: round trips, the equity curve, statistics and the final status.

Everything is computed from the run's own recorded rows (bars and fills; the recorder hands
over the columns it wrote, so the run's end reads nothing back), so a run's results never
depend on market data imported later. Buy & Hold is an equal-value holding of the run's
symbols bought at its first tradable bar, where the indicators' warm-up ends
(:mod:`ostdesk.store.warmup`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ostdesk.store.database import CHECKPOINT_THRESHOLD_BYTES, Database
from ostdesk.store.equity import EquityCurve, equity_curve
from ostdesk.store.roundtrips import RoundTrips, round_trips
from ostdesk.store.run_schema import HEADLINE_STATS
from ostdesk.store.stats import TIME_KEYS, compute_stats, stats_to_record
from ostdesk.store.timefmt import utc_now
from ostdesk.store.transactions import insert_frame, transaction

Market = tuple[npt.NDArray[np.int64], dict[str, dict[str, npt.NDArray[Any]]]]
Results = tuple[EquityCurve, RoundTrips, dict[str, object]]


def split_market(
    ts: npt.NDArray[np.int64],
    symbol_index: npt.NDArray[np.integer[Any]],
    symbols: Sequence[str],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
) -> Market:
    """The run's bar timeline and, per symbol (in name order), its own bars (ts, high, low,
    close) and its closes aligned on the timeline (``timeline_close``, NaN where it has no
    bar), from the recorded bar columns: rows in time order, ``symbol_index`` into ``symbols``.

    The timeline is ``ts`` without its repeats; one stable sort by symbol makes each symbol's
    rows a slice, still in time order, and a bar's place on the timeline is a running count."""
    new_ts = np.ones(len(ts), dtype=bool)
    np.not_equal(ts[1:], ts[:-1], out=new_ts[1:])
    timeline = ts[new_ts]
    step = np.cumsum(new_ts) - 1
    present = np.unique(symbol_index)
    names = sorted(symbols[i] for i in present.tolist())
    rank = np.zeros(len(symbols), dtype=np.int32)
    rank[present] = [names.index(symbols[i]) for i in present.tolist()]
    codes = rank[symbol_index]
    by_symbol = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[by_symbol], np.arange(len(names) + 1))
    columns = {
        "ts": ts[by_symbol],
        "step": step[by_symbol],
        "high": high[by_symbol],
        "low": low[by_symbol],
        "close": close[by_symbol],
    }
    per_symbol: dict[str, dict[str, npt.NDArray[Any]]] = {}
    for k, symbol in enumerate(names):
        rows = slice(bounds[k], bounds[k + 1])
        bars = {f: columns[f][rows] for f in ("ts", "high", "low", "close")}
        bars["timeline_close"] = np.full(len(timeline), np.nan)
        bars["timeline_close"][columns["step"][rows]] = bars["close"]
        per_symbol[symbol] = bars
    return timeline, per_symbol


def compute_results(
    market: Market,
    fills: Mapping[str, npt.NDArray[Any]],
    capital: float,
    warmup_end_ns: int | None = None,
) -> Results | None:
    """Equity, round trips and statistics of a run (None if it has no bars), from its bars
    (:func:`split_market`), fills (columns as ``run_fills`` gives them, in time order) and the
    time of its first tradable bar (:mod:`ostdesk.store.warmup`; None: the first bar)."""
    timeline, per_symbol = market
    if len(timeline) == 0:
        return None
    signed = {**fills, "side": np.where(fills["side"] == "BUY", 1, -1).astype(np.int8)}
    closes = {s: m["timeline_close"] for s, m in per_symbol.items()}
    equity = equity_curve(timeline, closes, signed, capital)
    trades = round_trips(signed, per_symbol)
    first = 0 if warmup_end_ns is None else int(np.searchsorted(timeline, warmup_end_ns))
    stats = compute_stats(
        equity,
        trades,
        buy_hold_close=_equal_weight(closes, len(timeline), first),
        first_trading_bar=first,
    )
    return equity, trades, stats


def _equal_weight(
    closes: dict[str, npt.NDArray[np.float64]], n: int, start: int
) -> npt.NDArray[np.float64]:
    """The value of holding every symbol equally, bought at bar ``start`` (a symbol without a
    bar yet: at its first close), as a multiple of its cost: each close carried forward over
    the symbol's gaps, and its first close held before it. With one symbol, its closes
    divided by the close at ``start``."""
    legs = []
    for close in closes.values():
        valid = ~np.isnan(close)
        if not valid.any():
            continue
        idx = np.where(valid, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        idx[: np.argmax(valid)] = np.argmax(valid)
        filled = close[idx]
        legs.append(filled / filled[start])
    return np.mean(legs, axis=0) if legs else np.ones(n)


def store_results(
    db: Database,
    run_id: int,
    status: str,
    error: str | None,
    results: Results | None,
    indicator_layout: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Store a run's results (:func:`compute_results`) and final status, in one transaction."""
    cur = db.cursor()
    try:
        with transaction(cur):
            for table in ("run_equity", "run_trades", "run_stats"):
                cur.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            headline: dict[str, Any] = dict.fromkeys(HEADLINE_STATS)
            if results is not None:
                equity, trades, stats = results
                _insert_equity(cur, run_id, equity)
                _insert_trades(cur, run_id, trades)
                record = stats_to_record(stats)
                # one statement, not one per row (executemany: ~0.5 ms a row)
                cur.execute(
                    "INSERT INTO run_stats SELECT ?, unnest(?::VARCHAR[]), unnest(?::DOUBLE[])",
                    [run_id, list(record), [_storable(k, v) for k, v in record.items()]],
                )
                headline = {col: _finite(record.get(key)) for col, key in HEADLINE_STATS.items()}
            cur.execute(
                "UPDATE runs SET indicators = ? WHERE run_id = ?",
                [json.dumps([list(t) for t in indicator_layout]), run_id],
            )
            cur.execute(
                "UPDATE runs SET status = ?, error = ?, ended_at = ?, "
                + ", ".join(f"{col} = ?" for col in headline)
                + " WHERE run_id = ?",
                [status, error, utc_now(), *headline.values(), run_id],
            )
    finally:
        db.release(cur)
    _checkpoint(db)


#: How close to DuckDB's threshold a run's end leaves the log. The GUI's own writes (a run's
#: row, notes, presets) are a few KB, so a log below ``threshold - margin`` cannot be pushed
#: over by one of them.
FOLD_MARGIN_BYTES = 2 * 2**20


def _checkpoint(db: Database) -> None:
    """Fold the write-ahead log into the file now, on this (runner) thread, if a small write
    could take it past DuckDB's automatic threshold: that write could be the next run's first
    insert, on the GUI thread (an ~80 ms freeze). Any other log is left to a later commit
    (usually the next run's recorder, beside the engine), or to the window's idle time:
    folding every run's leftover (1-15 MB, 10-250 ms) made each run's end wait for it."""
    above = CHECKPOINT_THRESHOLD_BYTES - FOLD_MARGIN_BYTES
    if db.wal_bytes <= above:  # the usual case: no cursor to open
        return
    cur = db.cursor()
    try:
        db.fold_log(cur, above_bytes=above)
    finally:
        db.release(cur)


def _storable(key: str, value: float | int | None) -> float | None:
    if value is None:
        return None
    return value / 1e9 if key in TIME_KEYS else float(value)  # times: epoch seconds


def _finite(value: float | int | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _insert_equity(cur: duckdb.DuckDBPyConnection, run_id: int, eq: EquityCurve) -> None:
    frame = {
        "run_id": np.full(len(eq.ts), run_id, dtype=np.int64),
        "ts": eq.ts,
        "cash": eq.cash,
        "position_value": eq.position_value,
        "equity": eq.equity,
        "drawdown_pct": eq.drawdown_pct,
    }
    insert_frame(cur, frame, "INSERT INTO run_equity SELECT * FROM frame_columns")


def _insert_trades(cur: duckdb.DuckDBPyConnection, run_id: int, t: RoundTrips) -> None:
    if len(t) == 0:
        return
    frame = {
        "run_id": np.full(len(t), run_id, dtype=np.int64),
        "symbol": t.symbol.astype(object),
        "side": np.where(t.side > 0, "LONG", "SHORT").astype(object),
        "size": t.size,
        "entry_ts": t.entry_ts,
        "exit_ts": t.exit_ts,
        "entry_price": t.entry_price,
        "exit_price": t.exit_price,
        "pnl": t.pnl,
        "return_pct": t.return_pct,
        "commission": t.commission,
        "duration_ns": t.duration_ns,
        "duration_bars": t.duration_bars,
        "mae_pct": t.mae_pct,
        "mfe_pct": t.mfe_pct,
    }
    insert_frame(cur, frame, "INSERT INTO run_trades SELECT * FROM frame_columns")
