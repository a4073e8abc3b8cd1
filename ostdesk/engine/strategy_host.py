"""Runs one :class:`~ostdesk.engine.strategy.Strategy` on the bus, on its own thread.

Per symbol it keeps the price history and a copy of each declared indicator; it books this
strategy's fills in its own portfolio; it turns ``buy``/``sell``/``cancel``/``modify`` into
requests stamped with the market time of the bar being handled.

Seeing a bar's fills before deciding on it: when the strategy holds working orders from before
timestamp T, the bars of T are held back until the simulated broker's ``OrdersMatched(T)``
(published after every fill of T), so ``on_bar`` always sees ``self.position`` after the fills
of its own bar, exactly as backtesting.py or vnpy's backtester do, whatever the thread timing.

Failure policy: the first exception raised by strategy code, ``BaseException`` included
(``sys.exit()``, a ``KeyboardInterrupt`` it raises), halts this strategy (no further callbacks),
is reported to the bus's error sink with its traceback, and ``failed`` is set so the runner ends
the run as ``failed``; everything recorded until then is kept. An :class:`Interrupted` sent by a
cancel (see ``ostdesk.engine.interrupt``) halts it too, without an error.

Every callback after ``setup`` runs on the host's thread, ``on_stop`` included (``finish``
queues it), so strategy code never runs on two threads at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import (
    BarProcessed,
    BarReceived,
    CancellationAccepted,
    CancellationRejected,
    EventBase,
    FillEvent,
    IndicatorBlock,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderCancellationRequest,
    OrderExpired,
    OrderModificationRequest,
    OrderRejected,
    OrdersMatched,
    OrderSubmissionRequest,
    OrderType,
    Side,
    StrategyLogged,
    TimeInForce,
)
from ostdesk.engine.events.base import event_factory
from ostdesk.engine.events.logs import message_text, strategy_logged_factory
from ostdesk.engine.events.market import bar_processed_factory
from ostdesk.engine.indicators import Indicator
from ostdesk.engine.interrupt import Interrupted, UserCodeGuard
from ostdesk.engine.portfolio import Portfolio
from ostdesk.engine.strategy import CloseSeries, IndicatorHandle, SeriesHandle, Strategy
from ostdesk.engine.strategy_state import OrderState, SymbolState
from ostdesk.engine.subscriber import Subscriber

log = logging.getLogger("ostdesk.strategy")
_T = TypeVar("_T")
INDICATOR_BLOCK_ROWS = 4096
INDICATOR_BLOCK_SECONDS = 0.1
"""An ``IndicatorBlock`` holds at most this many bars' values or this much wall time (checked
every 64 bars), so a live chart fed from blocks lags a slow strategy by ~0.1 s at most."""
_submission = event_factory(OrderSubmissionRequest)
"""Builds the requests of ``submit`` (see ``event_factory``)."""
_clock = time.perf_counter
_thread_id = threading.get_ident


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class _RunEnded(EventBase):
    """Queued to the host itself by ``finish`` (never published): the strategy's end then runs
    on the host's thread, after everything queued before it."""


_ORDER_ANSWERS = frozenset(
    {
        OrderAccepted,
        OrderRejected,
        CancellationAccepted,
        OrderExpired,
        ModificationAccepted,
        ModificationRejected,
        CancellationRejected,
    }
)
"""The broker's answers to requests: ``on_order``'s events, fills aside."""


class StrategyHost(Subscriber):
    """The subscriber that feeds a strategy its events and carries out its orders."""

    def __init__(
        self,
        bus: EventBus,
        strategy: Strategy,
        *,
        symbols: Sequence[str],
        capital: float = 100_000.0,
        strategy_id: str | None = None,
        order_id_base: int = 0,
        wait_for_broker: bool = True,
    ) -> None:
        self.strategy = strategy
        self.strategy_id = strategy_id or type(strategy).__name__
        self.symbols = tuple(symbols)
        self.portfolio = Portfolio(capital)
        self.working: dict[int, OrderState] = {}
        self.failed: BaseException | None = None
        self.interrupted = False
        """Whether a cancel interrupted strategy code (a halt, not a failure)."""
        self.guard = UserCodeGuard()
        self._live = True  # strategy code still gets calls: neither failed nor interrupted
        self.now = 0
        self.bars_seen = 0
        self._hook_at: tuple[int, str] | None = None
        """The bar time and symbol of the fill or broker answer a hook is handling (see
        ``_call_hook``)."""
        self._symbol_set = frozenset(self.symbols)
        self._symbol_index = {symbol: i for i, symbol in enumerate(self.symbols)}
        self._wait_for_broker = wait_for_broker
        self._next_order_id = order_id_base
        self._prototypes: list[Indicator] = []
        self._names: tuple[str, ...] | None = None
        self._make_processed = bar_processed_factory()
        self._make_logged = strategy_logged_factory()
        self._blocked_bars = 0  # bars_seen when the last IndicatorBlock was published
        self._block_started = _clock()
        self._states: dict[str, SymbolState] = {}
        self._held: list[BarReceived] = []
        self._held_ts = 0
        self.series: dict[str, SeriesHandle] = {
            name: SeriesHandle(self, name) for name in ("open", "high", "low", "volume")
        }
        self.series["close"] = CloseSeries(self, "close")
        self.current = SymbolState(self.symbols[0] if self.symbols else "", ())
        self.current_mains: list[array[float]] = []
        """``current.mains``, refilled in place when the symbol changes: indicator handles
        keep this list and index it, two attribute reads a read fewer."""
        self._handlers: dict[type[EventBase], Callable[[Any], None]] = {
            BarReceived: self._on_bar_event,
            OrdersMatched: self._on_orders_matched,
            FillEvent: self._on_fill,
            OrderAccepted: self._on_accepted,
            OrderRejected: self._on_order_ended,
            CancellationAccepted: self._on_order_ended,
            OrderExpired: self._on_order_ended,
            ModificationAccepted: self._on_modified,
            ModificationRejected: self._on_order_answer,
            CancellationRejected: self._on_order_answer,
            _RunEnded: self._on_run_ended,
        }
        strategy._host = self
        kind = type(strategy)
        self._on_fill_hook = None if kind.on_fill is Strategy.on_fill else strategy.on_fill
        self._on_order_hook = None if kind.on_order is Strategy.on_order else strategy.on_order
        """The strategy's hooks; None where it keeps the base class's, which does nothing:
        not calling it spares ~3 µs an order."""
        if self._on_order_hook is None:
            # no hook: handling the broker's answers publishes nothing, and the barrier need
            # not wait for it (the next timestamp's bars then reach the broker at once: two
            # thread hand-offs fewer per order); they are still handled in order, before them
            self.uncounted = _ORDER_ANSWERS
        # a subscriber first (its worker idles until subscribed): a setup() that raises is
        # reported on the bus like any strategy error
        super().__init__(bus, name=f"strategy-{self.strategy_id}")
        self._call(strategy.setup)
        self._subscribe(*self._handlers)

    # -- used by Strategy ----------------------------------------------------------------------
    def add_indicator(self, indicator: Indicator) -> IndicatorHandle:
        if self._states:
            raise RuntimeError("declare indicators in setup(), before the first bar")
        labels = set(self.indicator_names)
        if labels & set(indicator.line_labels()):
            raise ValueError(
                f"indicator {indicator.label} is declared twice; "
                "declare it once and use the same handle"
            )
        self._prototypes.append(indicator)
        self._names = None
        return IndicatorHandle(self, len(self._prototypes) - 1, indicator)

    @property
    def indicator_names(self) -> tuple[str, ...]:
        """One name per indicator line, in declaration order (also BarProcessed's names)."""
        if self._names is None:
            self._names = tuple(name for p in self._prototypes for name in p.line_labels())
        return self._names

    def indicator_layout(self) -> list[tuple[str, str, str]]:
        """Where each indicator line is drawn: ``(line name, "price" | "pane", group)``; lines
        of one multi-line indicator (a MACD's macd/signal/histogram) share the group."""
        return [
            (name, p.placement.value, p.label) for p in self._prototypes for name in p.line_labels()
        ]

    def state(self, symbol: str) -> SymbolState:
        st = self._states.get(symbol)
        if st is None:
            if symbol not in self._symbol_set:
                raise KeyError(
                    f"{symbol!r} is not traded by this run (symbols: {', '.join(self.symbols)})"
                )
            st = self._states[symbol] = SymbolState(
                symbol, self._prototypes, self.portfolio.position(symbol)
            )
        return st

    def submit(
        self,
        is_buy: bool,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce | str,
        expire_ns: int | None,
        symbol: str | None,
    ) -> int:
        return self._engine_work(
            self._submit, is_buy, quantity, limit, stop, tif, expire_ns, symbol
        )

    def _submit(
        self,
        is_buy: bool,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce | str,
        expire_ns: int | None,
        symbol: str | None,
    ) -> int:
        symbol = symbol or self.current.symbol
        if limit is not None and stop is not None:
            kind = OrderType.STOP_LIMIT
        elif limit is not None:
            kind = OrderType.LIMIT
        elif stop is not None:
            kind = OrderType.STOP
        else:
            kind = OrderType.MARKET
        self._next_order_id += 1
        oid = self._next_order_id
        side = Side.BUY if is_buy else Side.SELL
        sid = self.strategy_id  # tif may be a name: the request converts it
        request = _submission(
            self.now, oid, sid, symbol, side, kind, quantity, limit, stop, tif, expire_ns
        )
        if request.invalid is None:  # else the broker rejects it at once: it never works
            assert request.symbol is not None and request.quantity is not None
            assert request.time_in_force is not None
            self.working[oid] = OrderState(
                oid,
                request.symbol,
                side,
                kind,
                request.quantity,
                request.limit_price,
                request.stop_price,
                request.time_in_force,
                self.now,
            )
        self._publish(request)
        return oid

    def cancel(self, order_id: int) -> None:
        request = OrderCancellationRequest(
            ts_event_ns=self.now, order_id=order_id, strategy_id=self.strategy_id
        )
        self._engine_work(self._publish, request)

    def modify(
        self, order_id: int, quantity: float | None, limit: float | None, stop: float | None
    ) -> None:
        request = OrderModificationRequest(
            ts_event_ns=self.now,
            order_id=order_id,
            strategy_id=self.strategy_id,
            quantity=quantity,
            limit_price=limit,
            stop_price=stop,
        )
        self._engine_work(self._publish, request)

    def close_position(self, symbol: str | None) -> int | None:
        """Flatten a symbol's position with a market order (None if already flat)."""
        qty = self.portfolio.position(symbol or self.current.symbol).quantity
        if qty == 0.0:
            return None
        return self.submit(qty < 0, abs(qty), None, None, TimeInForce.GTC, None, symbol)

    def log(self, message: object) -> None:
        """Publish ``message`` (``str()`` of it, cut at ``MAX_MESSAGE_CHARS``) as a
        :class:`StrategyLogged` at the bar being handled; the CLI, the window and the recorder
        take it from the bus. ``str()`` runs first, as strategy code an interrupt may stop."""
        text = message_text(message)
        if self._bus.has_subscribers(StrategyLogged):
            symbol = self.current.symbol if self.bars_seen else ""  # "" in setup: no bar yet
            ts = self.now
            if self._hook_at is not None:  # on_fill/on_order: at the bar the event concerns
                ts, symbol = self._hook_at
            event = self._make_logged(ts, self.strategy_id, symbol, text)
            self._engine_work(self._publish, event)

    def _engine_work(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` for strategy code that called into the engine (an order, a log line):
        no interrupt may land in it; one that came meanwhile is raised once it is done."""
        outer = self.guard.pause()
        try:
            return fn(*args)
        finally:
            self.guard.resume(outer)

    # -- events --------------------------------------------------------------------------------
    def _on_bar_event(self, bar: BarReceived, fresh: bool = True) -> None:
        """Handle a bar: its indicators, then ``on_bar``. ``fresh`` (from the bus) first
        checks whether it must wait for the broker (``_hold``); held bars come back with
        ``fresh=False``. One function for both, as the bus's handler: a Python call fewer a
        bar than a check that then calls the handling."""
        if fresh and (self._held or self.working) and self._hold(bar):
            return
        st = self._states.get(bar.symbol)
        if st is not self.current:  # another symbol: the handles read its lines from now on
            if st is None:
                if bar.symbol not in self._symbol_set:
                    return
                st = self.state(bar.symbol)
            self.current = st
            self.current_mains[:] = st.mains
        self.now = ts = bar.ts_event_ns
        self.bars_seen += 1
        o, h, lo, c, v = bar.open, bar.high, bar.low, bar.close, bar.volume
        add_ts, add_open, add_high, add_low, add_close, add_volume = st.appends
        add_ts(ts)
        add_open(o)
        add_high(h)
        add_low(lo)
        add_close(c)
        add_volume(v)
        for push, line in st.feeds:
            line.append(push(c))
        for update in st.updates:
            update(o, h, lo, c, v)
        st.position.last_price = c  # type: ignore[union-attr]  # portfolio.mark, inlined
        if st.indicators:
            has = self._bus.has_subscribers
            if has(BarProcessed):
                self._publish(
                    self._make_processed(
                        bar.ts_event_ns,
                        self.strategy_id,
                        bar,
                        self.indicator_names,
                        st.last_values(),
                    )
                )
            if not self.bars_seen & 63 and has(IndicatorBlock):
                rows = self.bars_seen - self._blocked_bars
                if rows >= INDICATOR_BLOCK_ROWS or _clock() - self._block_started >= (
                    INDICATOR_BLOCK_SECONDS
                ):
                    self._publish_indicator_block()

        if self._live:
            guard = self.guard
            try:  # _call, inlined on the per-bar path
                try:
                    guard.inside = _thread_id()
                    self.strategy.on_bar(bar)
                finally:
                    guard.inside = 0  # guard.leave(), its common case inlined
                    if guard.sent:
                        guard.leave()
            except BaseException as exc:
                self._halt(exc)

    def _hold(self, bar: BarReceived) -> bool:
        """Whether ``bar`` is not handled now: held until the broker's ``OrdersMatched`` of
        its timestamp (the strategy holds an order from before it), or not this run's."""
        if bar.symbol not in self._symbol_set:
            return True
        ts = bar.ts_event_ns
        if self._held:
            if ts == self._held_ts:
                self._held.append(bar)
                return True
            self._release_held()  # no OrdersMatched came (not a simulated broker): go on
        # working keeps submission order and orders are stamped with a time that never goes
        # back, so its first order is its oldest: one look instead of a scan per bar
        if self._wait_for_broker and self.working and next(iter(self.working.values())).ts < ts:
            self._held.append(bar)
            self._held_ts = ts
            return True
        return False

    def _on_orders_matched(self, event: OrdersMatched) -> None:
        if self._held and event.ts_event_ns == self._held_ts:
            self._release_held()

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for bar in held:
            self._on_bar_event(bar, False)

    def _publish_indicator_block(self) -> None:
        """Hand the indicator values of the bars since the last block on as one
        ``IndicatorBlock``, read from the indicators' own histories: nothing is gathered
        per bar, which cost ~1 µs a bar when it was."""
        self._blocked_bars = self.bars_seen
        self._block_started = _clock()
        names = self.indicator_names
        if not names:
            return
        index = self._symbol_index
        ts_parts, codes, value_parts = [], [], []
        for symbol, st in self._states.items():
            if st.blocked < len(st.ts):
                ts, values = st.take_block()
                ts_parts.append(ts)
                codes.append(np.full(len(ts), index[symbol], dtype=np.int32))
                value_parts.append(values)
        if not ts_parts:
            return
        ts_all = np.concatenate(ts_parts)
        order = np.argsort(ts_all, kind="stable")
        self._publish(
            IndicatorBlock(
                ts_event_ns=int(ts_all[order[-1]]),
                strategy_id=self.strategy_id,
                names=names,
                symbols=self.symbols,
                ts=ts_all[order],
                symbol_index=np.concatenate(codes)[order],
                values=np.concatenate(value_parts)[order],
            )
        )

    def _on_fill(self, fill: FillEvent) -> None:
        if fill.strategy_id != self.strategy_id:
            return
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        self.portfolio.apply_fill(fill.symbol, signed, fill.price, fill.commission)
        order = self.working.pop(fill.order_id, None)
        if order is not None:  # the broker fills an order whole (docs/orders.md)
            order.quantity = 0.0
            order.status = "filled"
        if self._live and self._on_fill_hook is not None:
            self._call_hook(fill, fill.symbol, self._on_fill_hook)

    def _on_accepted(self, event: OrderAccepted) -> None:
        if event.strategy_id != self.strategy_id:
            return
        order = self.working.get(event.order_id)
        if order is not None:
            order.status = "accepted"
        self._notify(event, order)

    def _on_modified(self, event: ModificationAccepted) -> None:
        if event.strategy_id != self.strategy_id:
            return
        order = self.working.get(event.order_id)
        if order is not None:
            order.quantity = event.quantity
            order.limit = event.limit_price
            order.stop = event.stop_price
        self._notify(event, order)

    def _on_order_ended(self, event: OrderRejected | CancellationAccepted | OrderExpired) -> None:
        if event.strategy_id != self.strategy_id:
            return
        order = self.working.pop(event.order_id, None)
        if isinstance(event, OrderRejected):  # its message names the order: "order 3: ..."
            log.warning("[%s] rejected %s", self.strategy_id, event.message)
        self._notify(event, order)

    def _on_order_answer(self, event: ModificationRejected | CancellationRejected) -> None:
        if event.strategy_id == self.strategy_id:
            self._notify(event, self.working.get(event.order_id) if event.order_id else None)

    def _notify(self, event: EventBase, order: OrderState | None) -> None:
        """``on_order(event)``; what it logs names the order's symbol when the order is known."""
        if self._live and self._on_order_hook is not None:
            symbol = self.current.symbol if order is None else order.symbol
            self._call_hook(event, symbol, self._on_order_hook)

    def market_time(self) -> int:
        """The time strategy code sees: the bar being handled, or the one a hook's event is of."""
        return self.now if self._hook_at is None else self._hook_at[0]

    def _call_hook(self, event: EventBase, symbol: str, hook: Callable[[Any], None]) -> None:
        """``hook(event)``, with what it logs stamped with ``symbol`` and the event's bar if
        that is later than the last bar handled: an expiry or a fill on bar T+1 comes before
        ``on_bar`` of T+1, and a replay must not show its message a bar early."""
        self._hook_at = (max(event.ts_event_ns, self.now), symbol)
        try:
            self._call(hook, event)
        finally:
            self._hook_at = None

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        """Call strategy code, marked as such for a cancel to interrupt it (see ``interrupt``);
        whatever it raises halts the strategy, never the thread."""
        guard = self.guard
        try:
            try:
                guard.inside = _thread_id()
                fn(*args)
            finally:
                guard.leave()
        except BaseException as exc:
            self._halt(exc)

    def _halt(self, exc: BaseException) -> None:
        """Strategy code raised (or was interrupted): it gets no more calls, and the run hears
        of a failure. Runs in an ``except``, where nothing can be pending any more (the guard
        sends one exception per stay in strategy code); ``leave`` again in case the first
        ``leave`` was where the exception landed."""
        self.guard.leave()
        self._live = False
        if isinstance(exc, Interrupted):
            self.interrupted = True
            log.info("[%s] interrupted by a cancel", self.strategy_id)
            return
        self.failed = exc
        self._bus.errors.report(f"strategy {self.strategy_id}", exc)

    def _on_exception(self, exc: BaseException) -> None:
        """An error outside strategy code (an indicator's update, say) halts it too: the run
        must end ``failed``, not carry on with a strategy that missed a bar."""
        if self._live:
            self._halt(exc)
        else:
            super()._on_exception(exc)

    def finish(self) -> None:
        """Queue the strategy's end (held bars, the last indicator block, ``on_stop``) to the
        host's thread; the runner calls this once the system is idle after the last bar, and
        waits for idle again."""
        self._bus.idle.add(1)  # what publish would count: the barrier waits for it
        self._enqueue(_RunEnded(ts_event_ns=self.now))

    def _on_run_ended(self, event: _RunEnded) -> None:
        if self._held:
            self._release_held()
        if self._bus.has_subscribers(IndicatorBlock):
            self._publish_indicator_block()
        if self._live:
            self._call(self.strategy.on_stop)
