"""A recorded run loaded once into numpy, so the GUI state at any bar is a lookup, not a replay.

The cursor is a bar index ``k`` on the run's unified timeline (the sorted distinct bar times of
all its symbols); "the state at ``k``" is everything that happened at or before ``ts[k]``: a
symbol's bars with ``ts <= ts[k]``, every order event and fill stamped ``<= ts[k]`` (the broker
stamps every event of a bar with that bar's time), the account after those fills marked at each
symbol's latest close, and the recorded equity curve up to ``k``. Each query is a
``searchsorted`` and slices (views), so seeking backwards is as exact and cheap as forwards.

Qt-free: the replay controller turns these into the chart's and blotters' feeding calls.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ostdesk.engine import events as ev
from ostdesk.gui.batches import BarColumns, FillColumns, IndicatorColumns, PositionSnapshot
from ostdesk.gui.replay.messages import RunMessages
from ostdesk.gui.replay.positions import PositionHistory
from ostdesk.gui.replay.recorded_events import RecordedEvents, load_recorded_events
from ostdesk.gui.replay.working_orders import WorkingOrder, WorkingOrders
from ostdesk.store.database import Database, DbOrCursor
from ostdesk.store.equity import equity_curve
from ostdesk.store.runs import get_run, run_bars, run_trades

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


class EmptyRunError(ValueError):
    """The run recorded no bars: there is nothing to replay."""


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """One symbol's closed round trips, sorted by exit time."""

    entry_ts: Ints
    entry_price: Floats
    exit_ts: Ints
    exit_price: Floats
    pnl: Floats

    def head(self, n: int) -> TradeColumns:
        return TradeColumns(*(getattr(self, f)[:n] for f in self.__slots__))


@dataclass(frozen=True, slots=True)
class TradeMarks:
    """Every round trip on the timeline, for the slider: bar indices and the P&L's sign."""

    entry_bar: Ints
    exit_bar: Ints
    pnl: Floats


class RunTimeline:
    """Everything of one recorded run the replay shows; see the module docstring."""

    def __init__(
        self,
        run: dict[str, Any],
        bars: dict[str, BarColumns],
        indicators: dict[str, IndicatorColumns],
        events: RecordedEvents,
        trades: dict[str, TradeColumns],
        equity: dict[str, npt.NDArray[Any]],
        messages: RunMessages | None = None,
    ) -> None:
        self.run_id = int(run["run_id"])
        self.run = run
        self.capital = float(run["capital"])
        self.period = ev.BarPeriod.parse(run["period"])
        self.symbols = tuple(s for s in run["symbols"] if s in bars)
        self.bars = bars
        self.indicators = indicators
        self.events = events
        self.trades = trades
        self.messages = messages if messages is not None else RunMessages.empty()
        self.ts: Ints = _sorted_union([b.ts for b in bars.values()])
        self.fills = [e for e in events.events if type(e) is ev.FillEvent]
        self.fill_ts = np.fromiter((f.ts_event_ns for f in self.fills), np.int64, len(self.fills))
        self._fill_bars = _sorted_union([self.bar_at_or_before(self.fill_ts)])
        self._fills_by_symbol = {
            s: FillColumns.from_events([f for f in self.fills if f.symbol == s])
            for s in self.symbols
        }
        self.orders = WorkingOrders.from_events(events.events)
        if np.array_equal(equity["ts"], self.ts):
            self.cash, self.equity = equity["cash"], equity["equity"]
        else:  # the run's results were never stored (it was interrupted)
            self.cash, self.equity = self._equity_from_fills()
        peak = np.maximum(np.maximum.accumulate(self.equity), self.capital)
        self.peak_equity: Floats = peak
        self.max_drawdown: Floats = np.maximum.accumulate(peak - self.equity)

    @classmethod
    def load(cls, db: DbOrCursor, run_id: int) -> RunTimeline:
        """Read the run's tables (one query each); raises ``UnknownRunError`` or
        ``EmptyRunError``."""
        if isinstance(db, Database):
            cur = db.cursor()
            try:
                return cls.load(cur, run_id)
            finally:
                db.release(cur)
        run = get_run(db, run_id)
        side = db.cursor()  # the numeric tables are read on a thread of their own, ...
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="replay-load") as pool:
                numeric = pool.submit(_numeric_tables, side, run)
                # ... mostly inside DuckDB, without the GIL, while events are rebuilt here
                events = load_recorded_events(db, run_id)
                trades = _trades(db, run_id)
                messages = RunMessages.load(db, run_id, with_symbol=len(run["symbols"]) > 1)
                bars, indicators, equity = numeric.result()
        finally:
            side.close()
        return cls(run, bars, indicators, events, trades, equity, messages)

    # -- the timeline -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ts)

    @property
    def last(self) -> int:
        return len(self.ts) - 1

    def clamp(self, k: int) -> int:
        return min(max(int(k), 0), self.last)

    def bar_at_or_before(self, ts_ns: Any) -> Any:
        """Index of the last bar at or before ``ts_ns`` (an int or an array; 0 before the
        first bar)."""
        idx = np.searchsorted(self.ts, ts_ns, side="right") - 1
        return np.maximum(idx, 0) if isinstance(idx, np.ndarray) else max(int(idx), 0)

    def next_fill_bar(self, k: int) -> int | None:
        """The first bar after ``k`` that has a fill."""
        i = int(np.searchsorted(self._fill_bars, k, side="right"))
        return int(self._fill_bars[i]) if i < len(self._fill_bars) else None

    def prev_fill_bar(self, k: int) -> int | None:
        """The last bar before ``k`` that has a fill."""
        i = int(np.searchsorted(self._fill_bars, k, side="left"))
        return int(self._fill_bars[i - 1]) if i else None

    # -- state at bar k ---------------------------------------------------------------------
    def bar_count(self, symbol: str, k: int) -> int:
        return int(np.searchsorted(self.bars[symbol].ts, self.ts[k], side="right"))

    def bars_until(self, symbol: str, k: int) -> BarColumns:
        """``symbol``'s bars up to bar ``k`` (views)."""
        return _head(self.bars[symbol], self.bar_count(symbol, k))

    def indicators_until(self, symbol: str, k: int) -> IndicatorColumns | None:
        """``symbol``'s indicator values up to bar ``k`` (one row per bar, NaN where none)."""
        ind = self.indicators.get(symbol)
        if ind is None:
            return None
        n = self.bar_count(symbol, k)
        return IndicatorColumns(ts=ind.ts[:n], names=ind.names, values=ind.values[:n])

    def latest_bars(self, k: int) -> dict[str, ev.BarReceived]:
        """Each symbol's latest bar at ``k`` (what the live bridge hands the blotters)."""
        out = {}
        for symbol in self.symbols:
            n = self.bar_count(symbol, k)
            if n:
                out[symbol] = self.bars[symbol].bar_event(n - 1, symbol, self.period, 0)
        return out

    def event_count(self, k: int) -> int:
        """How many order events and fills have happened at bar ``k``."""
        return int(np.searchsorted(self.events.ts, self.ts[k], side="right"))

    def last_bar_within(self, events: int) -> int:
        """The last bar whose state needs at most the first ``events`` events (-1 if even
        the first bar needs more)."""
        if events >= len(self.events.ts):
            return self.last
        return int(np.searchsorted(self.ts, self.events.ts[events], side="left")) - 1

    def message_count(self, k: int) -> int:
        """How many of the strategy's messages were logged at or before bar ``k`` (those of
        ``setup``, stamped 0, come with the first bar)."""
        return self.messages.count_until(int(self.ts[k]))

    def events_until(self, k: int) -> list[ev.EventBase]:
        return self.events.events[: self.event_count(k)]

    def fills_until(self, k: int) -> list[ev.FillEvent]:
        return self.fills[: int(np.searchsorted(self.fill_ts, self.ts[k], side="right"))]

    def fill_columns(self, symbol: str, k: int) -> FillColumns:
        """``symbol``'s fills up to bar ``k`` (views)."""
        f = self._fills_by_symbol[symbol]
        n = int(np.searchsorted(f.ts, self.ts[k], side="right"))
        return FillColumns(f.ts[:n], f.side[:n], f.quantity[:n], f.price[:n], f.order_id[:n])

    def trades_until(self, symbol: str, k: int) -> TradeColumns:
        """``symbol``'s round trips closed by bar ``k``."""
        t = self.trades.get(symbol)
        if t is None:
            return _NO_TRADES
        return t.head(int(np.searchsorted(t.exit_ts, self.ts[k], side="right")))

    def trade_marks(self) -> TradeMarks:
        trades = list(self.trades.values())
        if not trades:
            return TradeMarks(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        entry = np.concatenate([t.entry_ts for t in trades])
        exit_ = np.concatenate([t.exit_ts for t in trades])
        return TradeMarks(
            self.bar_at_or_before(entry),
            self.bar_at_or_before(exit_),
            np.concatenate([t.pnl for t in trades]),
        )

    def working_orders_at(self, k: int) -> list[WorkingOrder]:
        """Orders submitted at or before bar ``k`` and not ended by then, prices as modified."""
        return self.orders.at(int(self.ts[k]))

    @functools.cached_property
    def positions(self) -> PositionHistory:
        """Account state after every fill, built on first use: the window's blotters get
        theirs from the order events, so opening a replay need not fold the fills here."""
        return PositionHistory.from_fills(self.fills, self.capital)

    def positions_at(self, k: int) -> dict[str, PositionSnapshot]:
        """Every symbol traded by bar ``k``, marked at its latest close."""
        marks = {s: float(b.close) for s, b in self.latest_bars(k).items()}
        return self.positions.positions_at(int(self.ts[k]), marks)

    def cash_at(self, k: int) -> float:
        return self.positions.cash_at(int(self.ts[k]))

    def equity_until(self, k: int) -> tuple[Ints, Floats]:
        """Equity per bar up to ``k`` (marked at each bar's close), as views."""
        return self.ts[: k + 1], self.equity[: k + 1]

    # -- helpers ----------------------------------------------------------------------------
    def _equity_from_fills(self) -> tuple[Floats, Floats]:
        """The store's own equity curve, from the recorded bars and fills."""
        closes = {}
        for symbol, b in self.bars.items():
            full = np.full(len(self.ts), np.nan)
            full[np.searchsorted(self.ts, b.ts)] = b.close
            closes[symbol] = full
        fills = {
            "ts": self.fill_ts,
            "symbol": np.array([f.symbol for f in self.fills], dtype=object),
            "side": np.array([f.side.sign for f in self.fills], dtype=np.int8),
            "quantity": np.array([f.quantity for f in self.fills], dtype=np.float64),
            "price": np.array([f.price for f in self.fills], dtype=np.float64),
            "commission": np.array([f.commission for f in self.fills], dtype=np.float64),
        }
        curve = equity_curve(self.ts, closes, fills, self.capital)
        return curve.cash, curve.equity


_NO_TRADES = TradeColumns(*(np.empty(0, t) for t in (np.int64, float, np.int64, float, float)))


def _head(b: BarColumns, n: int) -> BarColumns:
    return BarColumns(b.ts[:n], b.open[:n], b.high[:n], b.low[:n], b.close[:n], b.volume[:n])


def _indicators(
    con: duckdb.DuckDBPyConnection, run_id: int, symbol: str, bar_ts: Ints
) -> IndicatorColumns:
    """Every indicator line of ``symbol`` aligned on its bars (NaN where a bar has none); one
    numeric query per line keeps strings out of the million-row fetch."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT name FROM run_indicators WHERE run_id = ? AND symbol = ?"
            " ORDER BY name",
            [run_id, symbol],
        ).fetchall()
    ]
    values = np.full((len(bar_ts), len(names)), np.nan)
    for i, name in enumerate(names):
        data = con.execute(
            "SELECT ts, value FROM run_indicators WHERE run_id = ? AND symbol = ? AND name = ?",
            [run_id, symbol, name],
        ).fetchnumpy()
        ts = np.asarray(data["ts"], dtype=np.int64)
        value = np.ma.filled(data["value"].astype(np.float64), np.nan)
        if np.array_equal(ts, bar_ts):  # a value at every bar, as recorded: no search
            values[:, i] = value
            continue
        at = np.searchsorted(bar_ts, ts)
        ok = at < len(bar_ts)
        ok[ok] = bar_ts[at[ok]] == ts[ok]
        values[at[ok], i] = value[ok]
    return IndicatorColumns(ts=bar_ts, names=tuple(names), values=values)


def _numeric_tables(
    con: duckdb.DuckDBPyConnection, run: dict[str, Any]
) -> tuple[dict[str, BarColumns], dict[str, IndicatorColumns], dict[str, npt.NDArray[Any]]]:
    """The run's bars, indicator lines and equity curve; raises ``EmptyRunError``."""
    run_id = int(run["run_id"])
    bars = {}
    for symbol in run["symbols"]:
        columns = run_bars(con, run_id, symbol)
        if len(columns["ts"]):
            bars[symbol] = BarColumns(**{k: np.ascontiguousarray(v) for k, v in columns.items()})
    if not bars:
        raise EmptyRunError(f"run {run_id} recorded no bars: there is nothing to replay")
    indicators = {s: _indicators(con, run_id, s, b.ts) for s, b in bars.items()}
    return bars, {s: i for s, i in indicators.items() if i.names}, _equity(con, run_id)


def _equity(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, npt.NDArray[Any]]:
    """The recorded equity curve: ``ts``, ``cash``, ``equity`` (NaN where NULL).

    Only the columns the replay uses and no ORDER BY: the curve is recorded in time order and a
    plain scan returns it so (sorting a million rows cost twice the read); sorted here only if
    it is not."""
    data = con.execute(
        "SELECT ts, cash, equity FROM run_equity WHERE run_id = ?", [run_id]
    ).fetchnumpy()
    ts = np.asarray(data["ts"], dtype=np.int64)
    columns = {
        "ts": ts,
        "cash": np.ma.filled(data["cash"].astype(np.float64), np.nan),
        "equity": np.ma.filled(data["equity"].astype(np.float64), np.nan),
    }
    if len(ts) > 1 and not bool((ts[1:] >= ts[:-1]).all()):
        order = np.argsort(ts, kind="stable")
        columns = {k: v[order] for k, v in columns.items()}
    return columns


def _trades(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, TradeColumns]:
    t = run_trades(con, run_id)
    out = {}
    for symbol in np.unique(t["symbol"]).tolist() if len(t["symbol"]) else []:
        rows = np.flatnonzero(t["symbol"] == symbol)  # run_trades sorts by exit time
        out[str(symbol)] = TradeColumns(
            np.asarray(t["entry_ts"][rows], dtype=np.int64),
            np.asarray(t["entry_price"][rows], dtype=np.float64),
            np.asarray(t["exit_ts"][rows], dtype=np.int64),
            np.asarray(t["exit_price"][rows], dtype=np.float64),
            np.asarray(t["pnl"][rows], dtype=np.float64),
        )
    return out


def _sorted_union(arrays: list[Ints]) -> Ints:
    """Distinct values of sorted arrays, sorted (a merge: no hashing of a million values)."""
    merged = arrays[0] if len(arrays) == 1 else np.sort(np.concatenate(arrays), kind="stable")
    if not len(merged):
        return merged.astype(np.int64)
    keep = np.empty(len(merged), dtype=bool)
    keep[0] = True
    np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep].astype(np.int64, copy=False)
