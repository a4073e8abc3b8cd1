"""The GUI bridge: engine threads only append; the main thread drains typed, coalesced batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from ostdesk import Strategy
from ostdesk.engine import events as ev
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.subscriber import Subscriber
from ostdesk.gui.batches import BarColumns, PositionSnapshot
from ostdesk.gui.bridge import (
    LIVE_LOG_LINES,
    LIVE_TRADE_EVENTS,
    MAX_TRADE_EVENTS,
    GuiBridge,
    gap_line,
)
from ostdesk.gui.strategy_log import MAX_SHOWN_LINES
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk

SYMBOLS = ("AAA", "BBB")


def bars(*rows: tuple[int, str, float]) -> ev.BarBlock:
    """A datafeed's block of bars ``(ts, symbol, close)`` over SYMBOLS."""
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    close = np.array([r[2] for r in rows], dtype=np.float64)
    return ev.BarBlock(
        ts_event_ns=int(ts[-1]),
        symbols=SYMBOLS,
        period=BarPeriod.MINUTE,
        ts=ts,
        symbol_index=np.array([SYMBOLS.index(r[1]) for r in rows], dtype=np.int32),
        open=close,
        high=close,
        low=close,
        close=close,
        volume=np.ones(len(rows)),
    )


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def taps(qtbot, bus: EventBus) -> Iterator[tuple[GuiBridge, list[Subscriber]]]:  # type: ignore[no-untyped-def]
    bridge = GuiBridge(slow_ms=0, main_thread_share=1.0)
    subscribers = [factory(bus) for factory in bridge.factories()]
    yield bridge, subscribers
    for sub in subscribers:
        sub.shutdown()


def fill(fill_id: int, symbol: str, side: ev.Side, qty: float, price: float) -> ev.FillEvent:
    return ev.FillEvent(
        ts_event_ns=fill_id,
        fill_id=fill_id,
        order_id=fill_id,
        strategy_id="s",
        symbol=symbol,
        side=side,
        quantity=qty,
        price=price,
        commission=0.0,
    )


def accepted(order_id: int) -> ev.OrderAccepted:
    return ev.OrderAccepted(ts_event_ns=order_id, order_id=order_id, strategy_id="s")


def collect(signal) -> list:  # type: ignore[no-untyped-def]
    out: list = []
    signal.connect(out.append)
    return out


def test_publishing_never_waits_for_the_main_thread(taps, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    bridge, _ = taps

    def publish() -> None:
        for i in range(20_000):
            bus.publish(bars((i, SYMBOLS[i % 2], 100.0 + i)))

    worker = threading.Thread(target=publish)
    worker.start()
    worker.join(timeout=10)  # the main thread runs no event loop meanwhile

    assert not worker.is_alive()
    assert bus.idle.pending == 0  # the taps take no part in the idle barrier
    assert len(bridge._events) == 20_000


def test_bars_arrive_as_numpy_columns_per_symbol(taps, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    bridge, _ = taps
    batches = collect(bridge.barsReady)
    bus.publish(bars(*[(i, SYMBOLS[i % 2], float(i)) for i in range(6)]))
    bus.publish(bars(*[(i, SYMBOLS[i % 2], float(i)) for i in range(6, 10)]))
    bridge.flush()

    (batch,) = batches
    assert set(batch) == set(SYMBOLS)
    a: BarColumns = batch["AAA"]
    assert a.ts.dtype == np.int64 and a.close.dtype == np.float64
    assert a.ts.tolist() == [0, 2, 4, 6, 8]
    assert a.close.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert len(batch["BBB"]) == 5


def test_positions_are_coalesced_to_the_latest_per_symbol(taps, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    bridge, _ = taps
    positions = collect(bridge.positionsReady)
    bus.publish(fill(1, "AAA", ev.Side.BUY, 2, 10.0))
    bus.publish(bars((1, "AAA", 11.0)))
    bus.publish(fill(2, "AAA", ev.Side.BUY, 2, 12.0))
    bus.publish(bars((2, "AAA", 13.0)))
    bus.publish(bars((2, "BBB", 50.0)))  # never traded: no position row
    bridge.flush()

    (batch,) = positions
    assert list(batch) == ["AAA"]
    aaa: PositionSnapshot = batch["AAA"]
    assert aaa.quantity == 4
    assert aaa.avg_price == pytest.approx(11.0)
    assert aaa.last_price == 13.0
    assert aaa.unrealized_pnl == pytest.approx(8.0)


def test_blotter_batches_keep_publication_order_and_only_the_latest_bar_per_symbol(
    taps,  # type: ignore[no-untyped-def]
    bus: EventBus,
) -> None:
    bridge, _ = taps
    trade_batches = collect(bridge.tradeEventsReady)
    orders, fills = collect(bridge.ordersReady), collect(bridge.fillsReady)
    events = [accepted(1), fill(2, "AAA", ev.Side.BUY, 1, 10.0), accepted(3)]
    bus.publish(bars((1, "AAA", 1.0)))
    bus.publish(events[0])
    bus.publish(bars((2, "AAA", 2.0)))
    bus.publish(events[1])
    bus.publish(events[2])
    bus.publish(bars((3, "AAA", 3.0)))
    bridge.flush()

    (batch,) = trade_batches
    assert batch[:3] == events
    assert [(type(e), e.close) for e in batch[3:]] == [(ev.BarReceived, 3.0)]
    assert orders == [[events[0], events[2]]]
    assert fills == [[events[1]]]


def test_a_large_trade_backlog_reaches_the_blotters_in_bounded_batches_in_order(
    taps,  # type: ignore[no-untyped-def]
    bus: EventBus,
) -> None:
    bridge, _ = taps
    trade_batches = collect(bridge.tradeEventsReady)
    n = 2 * LIVE_TRADE_EVENTS + 10  # no run has ended: batches of a live run
    for i in range(n):
        bus.publish(accepted(i))
    bus.publish(bars((1, "AAA", 1.0)))
    bridge.flush()
    bus.publish(accepted(n))  # newer: after the backlog
    bridge.flush()
    bridge.flush()
    bridge.flush()  # nothing left

    assert [len(b) for b in trade_batches] == [LIVE_TRADE_EVENTS, LIVE_TRADE_EVENTS, 12]
    events = [e for b in trade_batches for e in b]
    assert [e.order_id for e in events[:-1]] == list(range(n + 1))
    assert type(events[-1]) is ev.BarReceived, "the latest bar comes after the trades before it"


class _Clocks:
    """Wall and CPU time the test moves by hand, in seconds."""

    def __init__(self) -> None:
        self.wall = self.cpu = 1_000.0

    def spend(self, wall: float, cpu: float) -> None:
        self.wall += wall
        self.cpu += cpu


def test_slow_batches_wait_while_the_main_thread_is_busier_than_its_share(qtbot) -> None:  # type: ignore[no-untyped-def]
    clocks = _Clocks()
    bridge = GuiBridge(
        slow_ms=250,
        main_thread_share=0.1,
        max_slow_ms=2_000,
        clock=lambda: clocks.wall,
        cpu_clock=lambda: clocks.cpu,
    )
    bus = EventBus()
    (tap,) = [factory(bus) for factory in bridge.factories()]
    batches = collect(bridge.tradeEventsReady)
    bridge.flush()  # the last slow batches: now
    bus.publish(accepted(1))
    clocks.spend(wall=0.1, cpu=0.0)
    bridge.flush()
    assert batches == [], "sooner than slow_ms"
    clocks.spend(wall=0.2, cpu=0.05)  # 50 ms of CPU in 300 ms: over 10%
    bridge.flush()
    assert batches == []
    clocks.spend(wall=0.3, cpu=0.0)  # 50 ms in 600 ms: within 10%
    bridge.flush()
    assert [[e.order_id for e in b] for b in batches] == [[1]]

    bus.publish(accepted(2))
    clocks.spend(wall=1.9, cpu=1.9)  # busy all along: held back...
    bridge.flush()
    assert len(batches) == 1
    clocks.spend(wall=0.1, cpu=0.1)  # ...but never longer than max_slow_ms
    bridge.flush()
    tap.shutdown()
    assert [[e.order_id for e in b] for b in batches] == [[1], [2]]


def test_the_blotters_backlog_is_bounded_like_the_buffer(qtbot, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    batch = LIVE_TRADE_EVENTS
    bridge = GuiBridge(slow_ms=0, main_thread_share=1.0, max_events=3 * batch)
    (tap,) = [factory(bus) for factory in bridge.factories()]
    batches, warnings = collect(bridge.tradeEventsReady), collect(bridge.displayDropped)
    published = 0
    for _ in range(4):  # each flush gets two batches' worth and shows one
        for _ in range(2 * batch):
            bus.publish(accepted(published))
            published += 1
        bridge.flush()
    for _ in range(4):
        bridge.flush()
    tap.shutdown()

    shown = [e.order_id for b in batches for e in b]
    assert len(warnings) == 1 and "recorded run has them all" in warnings[0]
    assert shown == sorted(set(shown)), "in publication order, each once"
    assert shown[-1] == published - 1
    assert len(shown) == published - 2 * batch, "the oldest beyond max_events"


class FlipsEveryBar(Strategy):
    """An order on every bar: a backlog of trade events for the window."""

    def on_bar(self, bar: ev.BarReceived) -> None:
        if self.position:
            self.close_position()
        else:
            self.buy(1)


def test_a_run_ending_with_a_backlog_finishes_once_after_its_last_batch(qtbot) -> None:  # type: ignore[no-untyped-def]
    order: list[str] = []
    bridge = GuiBridge()
    bridge.tradeEventsReady.connect(lambda b: order.append(f"trades {len(b)}"))
    last: list[list[ev.EventBase]] = []
    bridge.tradeEventsReady.connect(lambda b: last.__setitem__(slice(None), [b]))
    bridge.runFinished.connect(lambda r: order.append("finished"))
    run = make_run(bridge, strategy=FlipsEveryBar, n_bars=3_000)
    bridge.attach(run)
    run.start()
    assert run.wait(30)  # no event loop yet: ~18,000 trade events wait for the window

    with qtbot.waitSignal(bridge.runFinished, timeout=10_000):
        pass
    QApplication.processEvents()  # a flush left queued would show now

    assert order.count("finished") == 1 and order[-1] == "finished"
    batches = [int(o.split()[1]) for o in order[:-1]]
    assert len(batches) >= 3 and max(batches) <= MAX_TRADE_EVENTS + len(SYMBOLS)
    assert sum(batches) > 15_000
    (final,) = last
    kinds = [type(e) for e in final]
    assert kinds[-len(SYMBOLS) :] == [ev.BarReceived] * len(SYMBOLS), "latest bars come last"
    assert ev.BarReceived not in kinds[: -len(SYMBOLS)]
    bridge.attach(make_run(bridge))  # the previous run was shown: a new one may follow
    with pytest.raises(RuntimeError, match="still showing"):
        bridge.attach(make_run(bridge))


def test_the_display_buffer_is_bounded_not_the_engine(qtbot, bus: EventBus) -> None:  # type: ignore[no-untyped-def]
    bridge = GuiBridge(max_events=100)
    (tap,) = [factory(bus) for factory in bridge.factories()]
    for i in range(1_000):
        bus.publish(bars((i, "AAA", float(i))))
    batches, warnings = collect(bridge.barsReady), collect(bridge.displayDropped)
    bridge.flush()
    tap.shutdown()

    (batch,) = batches
    assert batch["AAA"].ts.tolist() == list(range(900, 1_000))  # the newest are kept
    assert len(warnings) == 1 and "recorded run has them all" in warnings[0]


def make_run(bridge: GuiBridge, strategy: type[Strategy] = SmaCross, n_bars: int = 3_000):  # type: ignore[no-untyped-def]
    config = BacktestConfig(
        strategy=strategy,
        symbols=SYMBOLS,
        period=BarPeriod.MINUTE,
        params={"fast": 5, "slow": 20} if strategy is SmaCross else {},
    )
    chunk = random_walk_chunk(len(SYMBOLS), n_bars)
    return BacktestRun(config, [chunk], len(chunk), subscribers=bridge.factories())


def test_run_finished_comes_once_after_every_bar_was_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = GuiBridge(max_batch=100)  # the backlog after the end takes several flushes
    shown = [0]
    order: list[str] = []
    bridge.barsReady.connect(lambda b: shown.__setitem__(0, shown[0] + sum(map(len, b.values()))))
    bridge.barsReady.connect(lambda b: order.append("bars"))
    bridge.runFinished.connect(lambda r: order.append("finished"))
    run = make_run(bridge)
    bridge.attach(run)
    run.start()
    run.wait(30)  # no event loop yet: everything is still buffered

    with qtbot.waitSignal(bridge.runFinished, timeout=10_000):
        pass

    assert run.status is RunStatus.COMPLETED
    assert shown[0] == run.bars_processed == 6_000
    assert order.count("finished") == 1 and order[-1] == "finished"
    assert order.count("bars") >= 1


def test_batches_come_at_most_about_sixty_times_a_second(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = GuiBridge()
    batches = collect(bridge.barsReady)
    run = make_run(bridge, n_bars=20_000)
    bridge.attach(run)
    with qtbot.waitSignal(bridge.runFinished, timeout=60_000):
        run.start()

    assert len(batches) > 1  # live, not one batch at the end
    assert len(batches) <= run.elapsed * 62.5 + 3


class RaisesOnFifthBar(Strategy):
    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        if len(self.close) == 5:
            raise ValueError("bad bar")


def test_a_strategy_error_reaches_the_main_thread_as_an_error_batch(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = GuiBridge()
    errors = collect(bridge.errorsReady)
    run = make_run(bridge, RaisesOnFifthBar, n_bars=200)
    bridge.attach(run)
    with qtbot.waitSignal(bridge.runFinished, timeout=10_000):
        run.start()

    reported = [e for batch in errors for e in batch]
    assert run.status is RunStatus.FAILED
    assert any("ValueError: bad bar" in e.message for e in reported)
    assert all(e.traceback for e in reported)


def test_a_run_that_never_started_is_detached_without_run_finished(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = GuiBridge()
    finished = collect(bridge.runFinished)
    first = make_run(bridge)
    bridge.attach(first)
    bridge.detach(first)  # its start() raised
    assert bridge.run is None and finished == []
    second = make_run(bridge)
    bridge.attach(second)  # the window is ready for the next run
    with qtbot.waitSignal(bridge.runFinished, timeout=30_000):
        second.start()
    assert finished == [second]


def logged(i: int) -> ev.StrategyLogged:
    day = 1_092_873_600_000_000_000  # 2004-08-19 00:00 UTC
    return ev.StrategyLogged(
        ts_event_ns=day + i * 60_000_000_000, strategy_id="s", symbol="AAA", message=f"m{i}"
    )


def test_strategy_messages_arrive_as_lines_with_their_bar_time_and_not_as_trades(
    taps,  # type: ignore[no-untyped-def]
    bus: EventBus,
) -> None:
    bridge, _ = taps
    lines, trades = collect(bridge.logsReady), collect(bridge.tradeEventsReady)
    order = accepted(1)
    bus.publish(logged(0))
    bus.publish(order)
    bus.publish(logged(1))
    bridge.flush()

    assert lines == [["2004-08-19 00:00 s: m0", "2004-08-19 00:01 s: m1"]]
    assert trades == [[order]]


def test_a_flood_of_messages_hands_the_log_only_the_latest_after_a_line_saying_how_many_not(
    taps,  # type: ignore[no-untyped-def]
    bus: EventBus,
) -> None:
    bridge, _ = taps
    lines = collect(bridge.logsReady)
    for i in range(LIVE_LOG_LINES + 250):
        bus.publish(logged(i))
    bridge.flush()
    for i in range(3):  # a flush that took every message: no gap to say
        bus.publish(logged(LIVE_LOG_LINES + 250 + i))
    bridge.flush()
    for i in range(LIVE_LOG_LINES + 1):
        bus.publish(logged(i))
    bridge.flush()

    first, second, third = lines
    assert first[0] == gap_line(250) == "… 250 messages not shown …"
    assert len(first) == LIVE_LOG_LINES + 1
    assert first[1].endswith(": m250") and first[-1].endswith(f": m{LIVE_LOG_LINES + 249}")
    assert [line.rsplit(": ", 1)[1] for line in second] == [
        f"m{LIVE_LOG_LINES + 250 + i}" for i in range(3)
    ]
    assert third[0] == "… 1 message not shown …" and third[1].endswith(": m1")


class Chatty(Strategy):
    """Logs on every bar: more than the log dock is handed."""

    def on_bar(self, bar: ev.BarReceived) -> None:
        self.log(f"close {bar.close:.4f}")


@pytest.mark.parametrize(
    ("bars", "where"),
    [
        (3_000, "Run details lists them all (its Log tab)"),
        (
            MAX_SHOWN_LINES + 500,
            f'Run details lists the first {MAX_SHOWN_LINES:,}; "Export log…" there writes all',
        ),
    ],
)
def test_a_run_that_logged_more_than_was_shown_says_how_many_and_where_all_are(
    qtbot,  # type: ignore[no-untyped-def]
    bars: int,
    where: str,
) -> None:
    bridge = GuiBridge(interval_ms=1_000)  # few flushes for the whole run: most left out
    dropped, lines = collect(bridge.displayDropped), collect(bridge.logsReady)
    chunk = random_walk_chunk(1, bars)
    config = BacktestConfig(strategy=Chatty, symbols=("S0",), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk), subscribers=bridge.factories())
    bridge.attach(run)
    with qtbot.waitSignal(bridge.runFinished, timeout=30_000):
        run.start()
    shown = [line for batch in lines for line in batch if not line.startswith("… ")]
    left_out = bars - len(shown)
    # how many flushes the run took, so how many lines were left out, depends on the machine's
    # load: the end says exactly that many, or nothing, and where to find them all
    said = [
        f"the strategy logged faster than the log can show: {left_out:,} of its messages "
        f"are not in it; {where}"
    ]
    assert [t for t in dropped if "logged faster" in t] == (said if left_out else [])
    gaps = [int(line.split()[1].replace(",", "")) for b in lines for line in b if line[0] == "…"]
    assert sum(gaps) == left_out  # each gap said where it is
