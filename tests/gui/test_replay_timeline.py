"""The replay timeline: the state it computes at any bar equals the state the live run had there.

Two real recorded runs on the demo data: RsiReversion (limit entries, protective stops,
cancellations) and a test strategy that also modifies, lets DAY orders expire, gets rejected,
and submits and cancels within one bar. The live state at bar k is rebuilt from the events the
run published (captured by a sink on its bus), folded through the blotters' own order book and
account the way the bridge feeds them: the bar's order events and fills, then each symbol's
latest bar.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ostdesk import Strategy
from ostdesk.engine import events as ev
from ostdesk.engine.bus import EventBus
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.engine.subscriber import Subscriber
from ostdesk.gui.blotter.book import AccountBook, OrderBook, OrderRecord
from ostdesk.gui.blotter.rewind import BookRewind
from ostdesk.gui.replay.timeline import EmptyRunError, RunTimeline
from ostdesk.indicators import SMA
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import UnknownRunError
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.timeparse import parse_when

TAPPED = tuple(
    t
    for t in ev.ALL_EVENT_TYPES
    if t not in (ev.BarsComplete, ev.OrdersMatched, ev.BarBlock, ev.IndicatorBlock)
)


class Tap(Subscriber):
    """Captures what a run publishes, in publication order (a sink: appends on the publisher's
    thread, like the GUI bridge's tap)."""

    in_barrier = False

    def __init__(self, bus: EventBus, out: list[ev.EventBase]) -> None:
        super().__init__(bus, "replay-test-tap")
        self.enqueue = out.append
        self._subscribe(*TAPPED)


class Busy(Strategy):
    """Exercises every order path: DAY limits that expire, a trailing stop (modify), stop-limits,
    rejected submissions, a submit and cancel in the same bar, and cancels of filled orders."""

    def setup(self) -> None:
        self.sma = self.indicator(SMA(10))
        self.count: dict[str, int] = {}
        self.last_entry: dict[str, int] = {}
        self.stop: dict[str, int] = {}

    def on_bar(self, bar: ev.BarReceived) -> None:
        s, close = bar.symbol, bar.close
        n = self.count[s] = self.count.get(s, 0) + 1
        if n % 7 == 0:
            self.last_entry[s] = self.buy(1, limit=round(close * 0.998, 2), tif=ev.TimeInForce.DAY)
        if n % 11 == 0 and not self.position:
            self.buy(1)
        if n % 3 == 0 and s in self.stop:
            self.modify(self.stop[s], stop=round(close * 0.995, 2))
        if n % 37 == 0:
            self.sell(1, limit=-1.0)  # rejected: invalid price
        if n % 17 == 0:
            self.cancel(self.buy(1, limit=round(close * 0.9, 2)))  # submit and cancel at once
        if n % 19 == 0 and s in self.last_entry:
            self.cancel(self.last_entry[s])  # often already filled or expired: rejected
        if n % 29 == 0:
            self.sell(1, stop=round(close * 0.99, 2), limit=round(close * 0.985, 2))
        if n % 31 == 0 and self.position:
            self.close_position()

    def on_fill(self, fill: ev.FillEvent) -> None:
        s = fill.symbol
        if fill.order_id == self.stop.get(s):
            del self.stop[s]
        elif fill.side is ev.Side.BUY and s not in self.stop:
            self.stop[s] = self.sell(fill.quantity, stop=round(fill.price * 0.99, 2), symbol=s)


@dataclass
class Recorded:
    db: Database
    run_id: int
    live: list[ev.EventBase]
    timeline: RunTimeline


def record(db: Database, config: BacktestConfig) -> tuple[int, list[ev.EventBase]]:
    live: list[ev.EventBase] = []
    run = prepare_backtest(db, config, subscribers=[lambda bus: Tap(bus, live)])
    run.run()
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.recording is not None and run.recording.run_id is not None
    return run.recording.run_id, live


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Recorded]]:
    """Two recorded runs over two demo symbols, made once per module: RsiReversion over the
    whole demo data (15,600 bars), Busy over its first week."""
    db = Database.open(Path(tmp_path_factory.mktemp("replay")) / "replay.duckdb")
    symbols = tuple(install_demo_data(db)[:2])
    out = {}
    for name, strategy, end in (
        ("rsi", RsiReversion, None),
        ("busy", Busy, parse_when("2024-01-13")),
    ):
        config = BacktestConfig(
            strategy=strategy, symbols=symbols, period=ev.BarPeriod.MINUTE, end_ns=end
        )
        run_id, live = record(db, config)
        out[name] = Recorded(db, run_id, live, RunTimeline.load(db, run_id))
    yield out
    db.close()


@pytest.fixture(params=["rsi", "busy"])
def recorded(request: pytest.FixtureRequest, runs: dict[str, Recorded]) -> Recorded:
    return runs[request.param]


# -- the live state, rebuilt from what the run published ----------------------------------------
@dataclass
class LiveState:
    book: OrderBook
    account: AccountBook
    bars: dict[str, list[ev.BarReceived]]
    indicators: dict[str, list[ev.BarProcessed]]


def live_state(live: Sequence[ev.EventBase], ts_ns: int, capital: float) -> LiveState:
    trades: list[ev.EventBase] = []
    bars: dict[str, list[ev.BarReceived]] = {}
    indicators: dict[str, list[ev.BarProcessed]] = {}
    for e in live:
        if e.ts_event_ns > ts_ns:
            continue
        if isinstance(e, ev.BarReceived):
            bars.setdefault(e.symbol, []).append(e)
        elif isinstance(e, ev.BarProcessed):
            indicators.setdefault(e.bar.symbol, []).append(e)
        else:
            trades.append(e)
    book, account = OrderBook(), AccountBook(capital)
    book.apply(trades)
    account.apply([*trades, *(b[-1] for b in bars.values())])
    return LiveState(book, account, bars, indicators)


def replay_state(t: RunTimeline, k: int) -> tuple[OrderBook, AccountBook]:
    book, account = OrderBook(), AccountBook(t.capital)
    events = t.events_until(k)
    book.apply(events)
    account.apply([*events, *t.latest_bars(k).values()])
    return book, account


def order_rows(book: OrderBook) -> list[tuple[object, ...]]:
    def row(o: OrderRecord) -> tuple[object, ...]:
        return (
            o.strategy_id,
            o.order_id,
            o.symbol,
            o.side,
            o.order_type,
            o.quantity,
            o.limit_price,
            o.stop_price,
            o.status,
            o.filled_qty,
            o.avg_fill_price,
            o.reason,
            # live, the broker's answers and the strategy's requests are published by two
            # threads, so their order within one timestamp (and even across timestamps, for a
            # held request) depends on timing; the replay shows the broker's processing order
            tuple(sorted(book.history(o))),
        )

    return [row(o) for o in book.orders]


def fill_rows(fills: Sequence[ev.FillEvent]) -> list[tuple[object, ...]]:
    return [
        (f.ts_event_ns, f.fill_id, f.order_id, f.symbol, f.side, f.quantity, f.price, f.commission)
        for f in fills
    ]


def probe_bars(t: RunTimeline, seed: int = 7) -> list[int]:
    """Bars with a fill and the bars around them, the ends, and random bars (~100 in all)."""
    rng = np.random.default_rng(seed)
    fills = np.unique(t.bar_at_or_before(t.fill_ts))
    fills = rng.choice(fills, size=min(len(fills), 25), replace=False)
    near = np.concatenate([fills - 1, fills, fills + 1])
    chosen = np.concatenate([near, [0, 1, t.last], rng.integers(0, len(t), 20)])
    return sorted({int(k) for k in chosen if 0 <= k <= t.last})


# -- tests ----------------------------------------------------------------------------------------
def test_the_runs_exercise_every_order_path(runs: dict[str, Recorded]) -> None:
    """Guards the other tests: the busy run really has modifies, expiries, rejections..."""
    kinds = {type(e) for e in runs["busy"].timeline.events.events}
    assert {
        ev.ModificationAccepted,
        ev.OrderExpired,
        ev.OrderRejected,
        ev.CancellationAccepted,
        ev.CancellationRejected,
        ev.FillEvent,
    } <= kinds
    assert any(
        o.order_type is ev.OrderType.STOP_LIMIT for o in runs["busy"].timeline.orders.requests
    )
    for r in runs.values():
        assert len(r.timeline.fills) > 20


def test_replayed_events_are_the_live_order_events(recorded: Recorded) -> None:
    t = recorded.timeline
    live = [e for e in recorded.live if not isinstance(e, ev.BarReceived | ev.BarProcessed)]
    assert sorted(map(_event_key, t.events.events)) == sorted(map(_event_key, live))
    assert list(t.events.ts) == sorted(t.events.ts)


def test_order_book_at_bar_k_equals_the_live_one(recorded: Recorded) -> None:
    t = recorded.timeline
    for k in probe_bars(t):
        live = live_state(recorded.live, int(t.ts[k]), t.capital)
        book, _ = replay_state(t, k)
        assert order_rows(book) == order_rows(live.book), f"bar {k}"
        assert fill_rows(book.fills) == fill_rows(live.book.fills), f"bar {k}"
        assert list(book.realized_pnl) == list(live.book.realized_pnl), f"bar {k}"


def test_working_orders_at_bar_k_are_the_live_working_orders(recorded: Recorded) -> None:
    t = recorded.timeline
    seen = 0
    for k in probe_bars(t):
        live = live_state(recorded.live, int(t.ts[k]), t.capital)
        expected = [
            (o.strategy_id, o.order_id, o.quantity, o.limit_price, o.stop_price)
            for o in (live.book.orders[i] for i in live.book.working())
        ]
        got = [
            (o.strategy_id, o.order_id, o.quantity, o.limit_price, o.stop_price)
            for o in t.working_orders_at(k)
        ]
        assert got == expected, f"bar {k}"
        seen += len(got)
    assert seen > 0


def test_positions_and_cash_at_bar_k_equal_the_live_account(recorded: Recorded) -> None:
    t = recorded.timeline
    for k in probe_bars(t):
        live = live_state(recorded.live, int(t.ts[k]), t.capital)
        portfolio = live.account.portfolio
        got = t.positions_at(k)
        assert list(got) == live.account.symbols, f"bar {k}"
        for symbol, p in got.items():
            q = portfolio.positions[symbol]
            assert (p.quantity, p.avg_price, p.realized_pnl, p.last_price) == (
                q.quantity,
                q.avg_price,
                q.realized_pnl,
                q.last_price,
            ), f"bar {k} {symbol}"
            assert p.unrealized_pnl == pytest.approx(q.unrealized_pnl(), abs=1e-9)
        assert t.cash_at(k) == portfolio.cash, f"bar {k}"
        assert t.equity[k] == pytest.approx(portfolio.equity, rel=1e-12), f"bar {k}"


def test_bars_and_indicators_until_bar_k_are_the_live_ones(recorded: Recorded) -> None:
    t = recorded.timeline
    for k in probe_bars(t)[::7]:
        live = live_state(recorded.live, int(t.ts[k]), t.capital)
        for symbol in t.symbols:
            bars = t.bars_until(symbol, k)
            expected = live.bars.get(symbol, [])
            assert list(bars.ts) == [b.ts_event_ns for b in expected]
            assert list(bars.close) == [b.close for b in expected]
            assert list(bars.volume) == [b.volume for b in expected]
            ind = t.indicators_until(symbol, k)
            assert ind is not None
            processed = live.indicators.get(symbol, [])
            for i, name in enumerate(ind.names):
                want = [p.values[p.names.index(name)] for p in processed]
                np.testing.assert_array_equal(ind.values[:, i], np.array(want, dtype=float))


def test_fills_and_trades_appear_only_once_the_cursor_reaches_them(recorded: Recorded) -> None:
    t = recorded.timeline
    for k in probe_bars(t):
        cut = int(t.ts[k])
        assert all(f.ts_event_ns <= cut for f in t.fills_until(k))
        assert len(t.fills_until(k)) == sum(f.ts_event_ns <= cut for f in t.fills)
        for symbol in t.symbols:
            cols = t.fill_columns(symbol, k)
            mine = [f for f in t.fills_until(k) if f.symbol == symbol]
            assert list(cols.price) == [f.price for f in mine]
            assert list(cols.side) == [f.side.sign for f in mine]
            trades = t.trades_until(symbol, k)
            assert (trades.exit_ts <= cut).all()
            every = t.trades.get(symbol)
            closed = 0 if every is None else int((every.exit_ts <= cut).sum())
            assert len(trades.pnl) == closed


def test_equity_until_bar_k_is_the_recorded_curve(recorded: Recorded) -> None:
    t = recorded.timeline
    eq = recorded.db.connection.execute(
        "SELECT ts, equity FROM run_equity WHERE run_id = ? ORDER BY ts", [recorded.run_id]
    ).fetchnumpy()
    k = len(t) // 3
    ts, equity = t.equity_until(k)
    assert list(ts) == list(eq["ts"][: k + 1])
    assert list(equity) == list(eq["equity"][: k + 1])


def test_seeking_to_the_end_gives_the_final_state(recorded: Recorded) -> None:
    t = recorded.timeline
    book, account = replay_state(t, t.last)
    assert (
        len(book.fills) == len(t.fills) == sum(isinstance(e, ev.FillEvent) for e in recorded.live)
    )
    run = recorded.db.connection.execute(
        "SELECT equity_final FROM runs WHERE run_id = ?", [recorded.run_id]
    ).fetchone()
    assert run is not None
    assert account.equity == pytest.approx(run[0], rel=1e-12)
    assert t.equity[-1] == pytest.approx(run[0], rel=1e-12)


def test_fill_navigation_finds_the_next_and_previous_fill_bars(recorded: Recorded) -> None:
    t = recorded.timeline
    bars = sorted({int(b) for b in t.bar_at_or_before(t.fill_ts)})
    k = bars[3] - 1 if bars[3] - 1 > bars[2] else bars[2]
    assert t.next_fill_bar(bars[2]) == bars[3]
    assert t.next_fill_bar(k) == bars[3]
    assert t.prev_fill_bar(bars[3]) == bars[2]
    assert t.prev_fill_bar(bars[0]) is None
    assert t.next_fill_bar(bars[-1]) is None


def test_a_time_maps_to_the_bar_at_or_before_it(recorded: Recorded) -> None:
    t = recorded.timeline
    assert t.bar_at_or_before(int(t.ts[10])) == 10
    assert t.bar_at_or_before(int(t.ts[10]) + 1) == 10
    assert t.bar_at_or_before(int(t.ts[0]) - 1) == 0
    assert t.bar_at_or_before(int(t.ts[-1]) + 10**12) == t.last


def test_trade_marks_span_each_round_trip_on_the_timeline(runs: dict[str, Recorded]) -> None:
    t = runs["rsi"].timeline
    marks = t.trade_marks()
    assert len(marks.pnl) == sum(len(x.pnl) for x in t.trades.values()) > 0
    assert (marks.entry_bar <= marks.exit_bar).all()
    assert (marks.exit_bar <= t.last).all()


def test_an_interrupted_run_without_results_replays_with_a_rebuilt_equity(
    runs: dict[str, Recorded],
) -> None:
    """A run whose results were never stored (the process died) still replays."""
    r = runs["rsi"]
    con = r.db.connection
    con.execute("CREATE TEMP TABLE saved AS SELECT * FROM run_equity WHERE run_id = ?", [r.run_id])
    con.execute("DELETE FROM run_equity WHERE run_id = ?", [r.run_id])
    try:
        t = RunTimeline.load(r.db, r.run_id)
    finally:
        con.execute("INSERT INTO run_equity SELECT * FROM saved")
        con.execute("DROP TABLE saved")
    assert np.allclose(t.equity, r.timeline.equity, rtol=1e-12)


def test_unknown_and_empty_runs_are_clear_errors(runs: dict[str, Recorded]) -> None:
    db = runs["rsi"].db
    with pytest.raises(UnknownRunError, match="no run with id 999"):
        RunTimeline.load(db, 999)
    con = db.connection
    row = con.execute(
        "INSERT INTO runs (strategy, params, symbols, period, capital, commission,"
        " slippage_ticks, app_version, data_fingerprint, status, started_at)"
        " VALUES ('X', '{}', ['NONE'], 'minute', 1000, 'none', 0, '0', '', 'failed', now())"
        " RETURNING run_id"
    ).fetchone()
    assert row is not None
    with pytest.raises(EmptyRunError, match=f"run {row[0]} recorded no bars"):
        RunTimeline.load(db, row[0])


def _event_key(e: ev.EventBase) -> tuple[object, ...]:
    values = [getattr(e, f.name) for f in dataclasses.fields(e) if f.name != "ts_created_ns"]
    return (e.ts_event_ns, type(e).__name__, *[_plain(v) for v in values])


def _plain(v: object) -> object:
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return getattr(v, "name", v)


def test_the_timeline_imports_no_qt() -> None:
    """The state at any bar can be computed (and tested) without a GUI."""
    code = (
        "import sys, ostdesk.gui.replay.timeline\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- rewinding the blotters' books ---------------------------------------------------------------
def account_rows(account: AccountBook) -> list[tuple[object, ...]]:
    p = account.portfolio
    return [(p.cash, p.commission, tuple(account.symbols))] + [
        (s, q.quantity, q.avg_price, q.realized_pnl, q.commission, q.last_price)
        for s, q in sorted(p.positions.items())
    ]


def folded(events: Sequence[ev.EventBase], capital: float) -> tuple[OrderBook, AccountBook]:
    book, account = OrderBook(), AccountBook(capital)
    book.apply(events)
    account.apply(events)
    return book, account


def book_rows(book: OrderBook) -> list[tuple[object, ...]]:
    """Every order with its exact history (same events, same order), then fills and P&L."""
    assert all(o.index == i for i, o in enumerate(book.orders))
    orders = [
        (*row[:-1], tuple(book.history(o)))
        for row, o in zip(order_rows(book), book.orders, strict=True)
    ]
    return [*orders, *fill_rows(book.fills), tuple(book.realized_pnl), tuple(book.working())]


def same_books(a: tuple[OrderBook, AccountBook], b: tuple[OrderBook, AccountBook]) -> None:
    assert book_rows(a[0]) == book_rows(b[0])
    assert account_rows(a[1]) == account_rows(b[1])


def test_rewound_books_equal_the_books_folded_from_the_start(recorded: Recorded) -> None:
    """At any event count, forwards again from there, and with the full book left intact."""
    events, capital = recorded.timeline.events.events, recorded.timeline.capital
    rewind = BookRewind(events, capital)
    n = len(events)
    rng = np.random.default_rng(5)
    counts = sorted({0, 1, n - 1, n, *range(0, n, max(1, n // 40)), *rng.integers(0, n, 40)})
    for e in counts:
        rewound = rewind.books_at(int(e))
        same_books(rewound, folded(events[:e], capital))
        if e in (n // 3, counts[len(counts) // 2]):
            book, account = rewound
            book.apply(events[e:])
            account.apply(events[e:])
            same_books((book, account), folded(events, capital))
    same_books(rewind.books_at(n), folded(events, capital))
    with pytest.raises(IndexError, match="outside the run"):
        rewind.books_at(n + 1)


def test_a_run_with_a_duplicate_order_id_is_rewound_by_folding() -> None:
    def submit(ts: int) -> ev.OrderSubmissionRequest:
        return ev.OrderSubmissionRequest(
            ts_event_ns=ts,
            order_id=1,
            strategy_id="s",
            symbol="AAA",
            side=ev.Side.BUY,
            order_type=ev.OrderType.LIMIT,
            quantity=1.0,
            limit_price=10.0,
            stop_price=None,
            time_in_force=ev.TimeInForce.GTC,
            expire_ns=None,
        )

    events: list[ev.EventBase] = [
        submit(1),
        ev.OrderAccepted(ts_event_ns=1, order_id=1, strategy_id="s"),
        submit(2),
        ev.OrderRejected(
            ts_event_ns=2,
            order_id=1,
            strategy_id="s",
            reason=ev.RejectionReason.DUPLICATE_ORDER_ID,
            message="order id 1 is already in use",
        ),
        ev.CancellationAccepted(ts_event_ns=3, order_id=1, strategy_id="s"),
    ]
    rewind = BookRewind(events, 1000.0)
    for e in range(len(events) + 1):
        same_books(rewind.books_at(e), folded(events[:e], 1000.0))
    assert rewind.books_at(4)[0].orders[0].status.value == "Accepted"
