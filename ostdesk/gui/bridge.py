"""The GUI bridge: the only place where engine events cross into Qt.

Engine side: a run gets one *tap* (a bus subscriber made by :meth:`GuiBridge.factories`) for
bars and indicator values (as the column blocks their publishers emit every 0.1 s at most) and
order/fill events. The tap is a sink (``in_barrier = False``): the
bus hands it each event by calling ``deque.append`` on the publisher's thread, so the GUI costs
the engine one C-level append per event, never a thread wake-up, and the idle barrier never
waits for the main thread. Errors reach the main thread through an ``ErrorSink`` listener that
also only appends, and the run's end through a done listener (which also emits one queued
signal, so the window shows the end at once rather than at its next tick).

Main-thread side: a ``QTimer`` (every ``interval_ms``: 100 ms by default, never less than 16 ms)
drains the buffer and emits typed batches. Ten times a second is enough since bars come as 0.1 s
blocks and the chart draws at most 4 times a second: at 30 the window's worst stalls were
~10 ms longer for nothing shown sooner. Coalescing rules:

- ``barsReady``: every bar of the batch, as numpy columns per symbol (``BarColumns``).
- ``indicatorsReady``: every indicator value of the batch, per symbol (``IndicatorColumns``).
- ``errorsReady``: every error, in the order reported.
- ``logsReady``: the strategy's messages (``self.log``) as lines with their bar time, at most
  ``LIVE_LOG_LINES`` a flush, the latest, after one line saying how many were left out
  before them (a strategy logging on every bar would otherwise have the log dock lay out
  100,000 lines a second); how many in all is said once more at the run's end.

and, at most every ``slow_ms`` (4 times a second: table rows and numbers need not change
faster than they can be read, and each table update costs the main thread milliseconds), only
while the main thread's CPU time since the last of them is within ``main_thread_share`` of the
time passed (but at least every ``max_slow_ms``), and once more at the run's end:

- ``ordersReady`` / ``fillsReady``: every order event / fill, in publication order.
- ``tradeEventsReady``: what the blotters fold: the order events and fills in publication
  order, then only the *latest* bar of each symbol (marking positions needs nothing older).
- ``positionsReady``: only the *latest* position of each symbol whose position or mark changed
  (booked only once something is connected to it, so connect before the run: the blotters
  book positions themselves, and every fill booked twice on the main thread costs the engine).
- ``progressChanged``: only the latest progress.

The blotters' batches (the first three) hold at most ``LIVE_TRADE_EVENTS`` order events and
fills while the run lasts, ``MAX_TRADE_EVENTS`` after; a backlog goes on at the next flushes,
one batch each, before any newer events and whether or not the slow batches are due; the
latest bars come with its last batch.

``runFinished`` comes once, after the run's last batch: after the run's end, the flushes
follow each other as fast as the window paints until every batch was shown.

The share is a duty cycle for everything these batches set off on the main thread: tables,
the chart (which draws after them), their paints. What they cost depends on the machine, the
window's size and the strategy's trading, so it is measured (``time.thread_time``) rather
than guessed: at 10%, the window slows the engine (which shares that CPU and the GIL) by
roughly as much, wherever it runs. The first slow batches come ``slow_ms`` after the run
starts, so the window's own preparation for the run (clearing the chart, laying out its
panes) counts too.

Bounds: the buffer is a ``deque`` with a ``maxlen`` (``max_events``), and so is the blotters'
backlog, so what is *kept for display* is bounded while the engine may publish without limit
and never waits. If the main thread is held up long enough for either to overflow, the oldest
events are dropped from the display (the recorded run keeps everything) and the log says so.
One flush takes at most ``max_batch`` events, so a backlog is shown over several ticks
instead of stalling the window.

Order: the tap is created by the run's subscriber factories before the broker and the strategy
subscribe, so within every ``publish`` it appends first: an order request is always buffered
before the broker can answer it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QMetaMethod, QObject, QTimer, Signal

from ostdesk.engine import events as ev
from ostdesk.engine.bus import EventBus
from ostdesk.engine.errors import ComponentError
from ostdesk.engine.log_echo import log_line
from ostdesk.engine.portfolio import Portfolio
from ostdesk.engine.runner import BacktestRun, SubscriberFactory
from ostdesk.engine.subscriber import Subscriber
from ostdesk.gui.batches import BarColumns, IndicatorColumns, PositionSnapshot, RunProgress
from ostdesk.gui.strategy_log import MAX_SHOWN_LINES

ORDER_EVENT_TYPES: tuple[type[ev.EventBase], ...] = (
    ev.OrderSubmissionRequest,
    ev.OrderModificationRequest,
    ev.OrderCancellationRequest,
    ev.OrderAccepted,
    ev.OrderRejected,
    ev.ModificationAccepted,
    ev.ModificationRejected,
    ev.CancellationAccepted,
    ev.CancellationRejected,
    ev.OrderExpired,
)
# Bars and indicator values come as their publishers' column blocks, not one event per bar:
# taking a BarProcessed apart per bar cost the engine ~1.5 us a bar and the main thread as much
# again (the window ran the demo at 54% of headless speed with it, 63% without), and one
# BarReceived per bar cost the main thread ~0.1 s of every second of a run.
TAPPED_EVENT_TYPES = (
    ev.BarBlock,
    ev.IndicatorBlock,
    *ORDER_EVENT_TYPES,
    ev.FillEvent,
    ev.StrategyLogged,
)

MAX_EVENTS_KEPT = 1_000_000  # ~25 s of a fast backtest if the window stops draining
MAX_TRADE_EVENTS = 2_500
LIVE_TRADE_EVENTS = 1_000
"""Order events and fills handed to the blotters in one batch, once the run has ended and while
it runs (~10 ms of folding and table updates either way: during a run they share the GIL with
the engine): more wait for the next flush, so a strategy trading on every bar cannot stall
the window for the whole batch its slow tick gathered."""
MAX_ERRORS_KEPT = 1_000
LIVE_LOG_LINES = 50
"""Strategy messages handed to the log dock in one flush (~10 flushes a second): more than a
person reads as they scroll by. At 500, a strategy logging on every bar had the dock trim
5,000 lines a second from its top once full, and the window's run took twice as long."""


class EventTap(Subscriber):
    """A sink that appends the GUI's event types to one buffer, on the publisher's thread.

    Its worker thread only waits for ``shutdown`` (the runner shuts every extra subscriber down).
    """

    in_barrier = False

    def __init__(self, bus: EventBus, buffer: deque[ev.EventBase]) -> None:
        super().__init__(bus, "gui-bridge")
        self.enqueue = buffer.append
        self._subscribe(*TAPPED_EVENT_TYPES)


class GuiBridge(QObject):
    """Turns one run at a time into batches for widgets; see the module docstring for the rules."""

    barsReady = Signal(object)  # dict[str, BarColumns]
    indicatorsReady = Signal(object)  # dict[str, IndicatorColumns]
    ordersReady = Signal(object)  # list[EventBase]
    fillsReady = Signal(object)  # list[FillEvent]
    tradeEventsReady = Signal(object)  # list[EventBase]: for Blotters.apply
    positionsReady = Signal(object)  # dict[str, PositionSnapshot]
    progressChanged = Signal(object)  # RunProgress
    errorsReady = Signal(object)  # list[ComponentError]
    logsReady = Signal(object)  # list[str]: strategy messages, one line each
    displayDropped = Signal(str)  # a sentence: what the display lost and why
    runFinished = Signal(object)  # BacktestRun
    _ended = Signal()  # emitted on the runner thread, delivered (queued) on the main thread

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        interval_ms: int = 100,
        slow_ms: int = 250,
        max_slow_ms: int = 2_000,
        main_thread_share: float = 0.1,
        max_batch: int = 100_000,
        max_events: int = MAX_EVENTS_KEPT,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        """``clock`` and ``cpu_clock`` (wall time, and the calling thread's CPU time, in
        seconds) drive the slow batches; tests pass their own."""
        super().__init__(parent)
        if interval_ms < 16:
            raise ValueError(
                f"interval_ms must be at least 16 (60 timed flushes a second), got {interval_ms}"
            )
        self._events: deque[ev.EventBase] = deque(maxlen=max_events)
        self._max_events = max_events
        self._trades: list[ev.EventBase] = []  # held for the next slow tick (at most max_events)
        self._backlog = False  # whether the last slow batches left trades for the next flush
        self._errors: deque[ComponentError] = deque(maxlen=MAX_ERRORS_KEPT)
        self._finished: deque[BacktestRun] = deque()
        self._max_batch = max_batch
        self._slow_s = slow_ms / 1000
        self._max_slow_s = max_slow_ms / 1000
        self._share = main_thread_share
        self._clock, self._cpu_clock = clock, cpu_clock
        self._run: BacktestRun | None = None
        self._bars_shown = 0
        self._overflowed = False
        self._logs_left_out = 0
        self._logs_seen = 0
        self._with_symbol = False  # whether log lines name their symbol (several traded)
        self._last_slow = 0.0
        self._cpu_at_slow = 0.0  # the main thread's CPU time at the last slow batches
        self._latest_bars: dict[str, ev.BarReceived] = {}
        self._portfolio = Portfolio(1.0)
        self._book = False  # whether this run's positions are booked (see the docstring)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._drain = QTimer(self, singleShot=True, interval=0)  # one pending at most
        self._drain.timeout.connect(self.flush)
        self._ended.connect(self._drain.start)

    # -- engine side (called on engine threads: append only) -----------------------------------
    def factories(self) -> list[SubscriberFactory]:
        """Subscriber factories for ``prepare_backtest(..., subscribers=...)``."""
        buffer = self._events
        return [lambda bus: EventTap(bus, buffer)]

    def _on_error(self, error: ComponentError) -> None:
        self._errors.append(error)

    def _on_done(self, run: BacktestRun) -> None:
        self._finished.append(run)
        self._ended.emit()  # a flush now, not at the next tick (up to interval_ms later)

    # -- main thread -----------------------------------------------------------------------------
    def attach(self, run: BacktestRun) -> None:
        """Follow ``run`` (call before ``run.start()``): its errors, progress and end. Only
        once the previous run's ``runFinished`` came: until then its batches are being shown."""
        if self._run is not None:
            raise RuntimeError("the bridge is still showing the previous run")
        self._run = run
        self._bars_shown = 0
        self._overflowed = False
        self._logs_left_out = 0
        self._logs_seen = 0
        self._with_symbol = len(run.config.symbols) > 1
        self._trades = []
        self._backlog = False
        self._latest_bars = {}
        self._portfolio = Portfolio(run.config.capital)
        self._book = False
        self._last_slow, self._cpu_at_slow = self._clock(), self._cpu_clock()
        run.bus.errors.add_listener(self._on_error)
        run.add_done_listener(self._on_done)
        self._timer.start()

    def detach(self, run: BacktestRun) -> None:
        """Stop following ``run`` without a ``runFinished``: for a run that never started."""
        if run is self._run:
            self._events.clear()
        self._unfollow(run)

    def finish_now(self) -> None:
        """Show what is buffered and emit ``runFinished`` now if the followed run has ended
        (closing the window: no event loop may run again)."""
        while self._run is not None and self._finished:
            self.flush()

    def report_error(self, error: ComponentError) -> None:
        """Show an error raised outside a run (e.g. a GUI slot) like the engine's."""
        self._errors.append(error)
        if not self._timer.isActive():
            self._drain.start()

    @property
    def run(self) -> BacktestRun | None:
        return self._run

    def flush(self) -> None:
        """Drain the buffer and emit the batches: every ``interval_ms``, and as fast as the
        window paints while a finished run's backlog lasts."""
        finished = self._finished.popleft() if self._finished else None
        if len(self._events) == self._events.maxlen:
            self._dropped()
        bars: list[ev.BarBlock] = []
        indicators: list[ev.IndicatorBlock] = []
        logs: list[ev.StrategyLogged] = []
        trades = self._trades
        bar_type, indicator_type, log_type = ev.BarBlock, ev.IndicatorBlock, ev.StrategyLogged
        for event in _take(self._events, self._max_batch):
            kind = type(event)
            if kind is bar_type:
                bars.append(event)  # type: ignore[arg-type]
            elif kind is indicator_type:
                indicators.append(event)  # type: ignore[arg-type]
            elif kind is log_type:
                logs.append(event)  # type: ignore[arg-type]
            else:
                trades.append(event)
        if len(trades) > self._max_events:  # a backlog is bounded like the buffer
            del trades[: len(trades) - self._max_events]
            self._dropped()
        errors = _take(self._errors, MAX_ERRORS_KEPT)
        if bars:
            self._emit_bars(bars)
        if indicators and self.isSignalConnected(QMetaMethod.fromSignal(self.indicatorsReady)):
            self._emit_indicators(indicators)  # built only for a listener: not free
        if errors:
            self.errorsReady.emit(errors)
        if logs:
            self._emit_logs(logs)
        now = self._clock()
        slow = finished is not None or self._slow_due(now)
        if slow:
            self._last_slow, self._cpu_at_slow = now, self._cpu_clock()
        shown = bool(bars or trades)
        if slow or self._backlog:
            # while the engine runs, the main thread has the GIL about half the time: a
            # batch's stall is then several times its CPU time
            limit = MAX_TRADE_EVENTS if finished is not None else LIVE_TRADE_EVENTS
            self._trades = trades[limit:]
            self._backlog = bool(self._trades)
            self._emit_trades(trades[:limit], with_bars=not self._backlog)
        if slow:
            self._emit_progress()
        if finished is not None:
            if self._events or self._backlog or shown:
                # the backlog first, and runFinished (whose slots load the recorded results)
                # after the window painted the last batch, not in the same stall
                self._finished.appendleft(finished)
                self._drain.start()  # the engine is done: at the window's pace
            else:
                self._finish(finished)

    def _slow_due(self, now: float) -> bool:
        """Whether the slow batches may go (see the module docstring)."""
        passed = now - self._last_slow
        if passed < self._slow_s:
            return False
        if passed >= self._max_slow_s or self._share >= 1.0:
            return True
        return self._cpu_clock() - self._cpu_at_slow <= self._share * passed

    def _dropped(self) -> None:
        if not self._overflowed:
            self._overflowed = True
            self.displayDropped.emit(
                "the engine publishes faster than the window can show: the oldest events were "
                "left out of the display (the recorded run has them all)"
            )

    def _emit_logs(self, logs: list[ev.StrategyLogged]) -> None:
        self._logs_seen += len(logs)
        left_out = len(logs) - LIVE_LOG_LINES
        with_symbol = self._with_symbol
        lines = [log_line(e, with_symbol=with_symbol) for e in logs[-LIVE_LOG_LINES:]]
        if left_out > 0:  # a gap in the log is said where it is
            self._logs_left_out += left_out
            lines.insert(0, gap_line(left_out))
        self.logsReady.emit(lines)

    def _emit_bars(self, blocks: list[ev.BarBlock]) -> None:
        columns = _concat_blocks(blocks)
        ts, index = columns["ts"], columns["symbol_index"]
        self._bars_shown += len(ts)
        symbols = blocks[0].symbols  # one datafeed a run: one symbols tuple
        batch: dict[str, BarColumns] = {}
        for code in np.unique(index).tolist():
            mine = index == code
            bars = BarColumns(
                ts=ts[mine],
                open=columns["open"][mine],
                high=columns["high"][mine],
                low=columns["low"][mine],
                close=columns["close"][mine],
                volume=columns["volume"][mine],
            )
            batch[symbols[code]] = bars
            self._latest_bars[symbols[code]] = bars.bar_event(-1, symbols[code], blocks[0].period)
        self.barsReady.emit(batch)

    def _emit_indicators(self, blocks: list[ev.IndicatorBlock]) -> None:
        parts: dict[str, list[IndicatorColumns]] = {}
        for block in blocks:
            for code in np.unique(block.symbol_index).tolist():
                mine = block.symbol_index == code
                parts.setdefault(block.symbols[code], []).append(
                    IndicatorColumns(
                        ts=block.ts[mine], names=block.names, values=block.values[mine]
                    )
                )
        self.indicatorsReady.emit({s: IndicatorColumns.concat(p) for s, p in parts.items()})

    def _emit_trades(self, trades: list[ev.EventBase], *, with_bars: bool) -> None:
        latest: dict[str, ev.BarReceived] = {}
        if with_bars:  # the latest bars follow the last of the trades they came after
            latest, self._latest_bars = self._latest_bars, {}
        if not trades and not latest:
            return
        fills = [e for e in trades if type(e) is ev.FillEvent]
        orders = [e for e in trades if type(e) is not ev.FillEvent]
        if orders:
            self.ordersReady.emit(orders)
        if fills:
            self.fillsReady.emit(fills)
        self.tradeEventsReady.emit([*trades, *latest.values()])
        self._book = self._book or self.isSignalConnected(
            QMetaMethod.fromSignal(self.positionsReady)
        )
        if self._book:
            changed = self._book_positions(fills, latest)
            if changed:
                self.positionsReady.emit(changed)

    def _book_positions(
        self, fills: list[ev.FillEvent], latest: dict[str, ev.BarReceived]
    ) -> dict[str, PositionSnapshot]:
        portfolio = self._portfolio
        touched = set()
        for f in fills:
            signed = f.quantity * f.side.sign
            portfolio.apply_fill(f.symbol, signed, f.price, f.commission)
            touched.add(f.symbol)
        for symbol, bar in latest.items():
            position = portfolio.position(symbol)
            if position or symbol in touched:
                portfolio.mark(symbol, bar.close)
                touched.add(symbol)
        snapshots = {}
        for symbol in sorted(touched):
            p = portfolio.position(symbol)
            snapshots[symbol] = PositionSnapshot(
                symbol=symbol,
                quantity=p.quantity,
                avg_price=p.avg_price,
                last_price=p.last_price,
                realized_pnl=p.realized_pnl,
                unrealized_pnl=p.unrealized_pnl(),
            )
        return snapshots

    def _emit_progress(self) -> None:
        run = self._run
        if run is None:
            return
        feed = run.datafeed
        self.progressChanged.emit(
            RunProgress(
                run_id=run.recording.run_id if run.recording is not None else None,
                fraction=run.progress,
                bars=run.bars_processed,
                total_bars=feed.total_bars if feed is not None else 0,
                bars_per_second=run.bars_per_second,
                elapsed=run.elapsed,
                status=run.status.value,
            )
        )

    def _finish(self, run: BacktestRun) -> None:
        missed = run.bars_processed - self._bars_shown
        self._unfollow(run)  # a finished run is the controller's to keep, not the bridge's
        if missed > 0:
            self.displayDropped.emit(
                f"{missed:,} bars were published faster than the window could take them and "
                "are not drawn (the recorded run has them all)"
            )
        if self._logs_left_out:
            self.displayDropped.emit(
                f"the strategy logged faster than the log can show: {self._logs_left_out:,} "
                f"of its messages are not in it; {_where_all(self._logs_seen)}"
            )
        self.runFinished.emit(run)

    def _unfollow(self, run: BacktestRun) -> None:
        run.bus.errors.remove_listener(self._on_error)
        if run is self._run:
            self._timer.stop()
            self._drain.stop()
            self._run = None


def gap_line(count: int) -> str:
    """The line standing for ``count`` messages left out of the live log."""
    return f"… {count:,} message{'s' if count != 1 else ''} not shown …"


def _where_all(count: int) -> str:
    """Where a person finds all ``count`` messages of a run (the recorded run keeps them)."""
    if count > MAX_SHOWN_LINES:
        return f'Run details lists the first {MAX_SHOWN_LINES:,}; "Export log…" there writes all'
    return "Run details lists them all (its Log tab)"


def _concat_blocks(blocks: list[ev.BarBlock]) -> dict[str, np.ndarray[Any, Any]]:
    fields = ("ts", "symbol_index", "open", "high", "low", "close", "volume")
    if len(blocks) == 1:
        return {f: getattr(blocks[0], f) for f in fields}
    return {f: np.concatenate([getattr(b, f) for b in blocks]) for f in fields}


def _take(buffer: deque[Any], limit: int) -> list[Any]:
    """Pop up to ``limit`` items from the left; safe while engine threads append on the right."""
    n = min(len(buffer), limit)
    pop = buffer.popleft
    return [pop() for _ in range(n)]
