"""The simulated broker: validates requests, matches working orders against bars, books fills.

No look-ahead and the same fills on every run, whatever the thread scheduling. A request
decided at market time T carries ``ts_event_ns == T``; it may reach this broker's queue before
bar T does (the strategy's thread can be faster than the datafeed's delivery to the broker), so
the broker holds every request of T until the datafeed's ``BarsComplete(T)`` says all bars of T
have been matched, and only then applies it. An order thus never trades on the bar it was
decided on, a cancel decided at T never prevents a fill at T, and account-dependent checks
(buying power) always see the account after T's fills. Requests are applied in arrival order.

The broker listens to market data only while it holds working orders (or always, when the
buying-power check needs prices): with nothing to match, a bar would only wake its thread, and
one thread wake-up per timestamp is most of a backtest's cost. With no working order there is
nothing a request could race, so requests are then applied at once.

How an order fills within a bar is :mod:`ostdesk.engine.matching`'s; how long it is live, and
when its expiry is published, :mod:`ostdesk.engine.time_in_force`'s.

What is refused, always with an ``OrderRejected`` (``ModificationRejected``,
``CancellationRejected``) that carries a :class:`RejectionReason` and a sentence naming the
order and the field, never with an exception:

- a request whose fields could not be read (``invalid``: text where a number belongs, an
  unknown time-in-force name, see :mod:`ostdesk.engine.events.order_fields`);
- a quantity that is not a finite number > 0, or is over ``order_checks.MAX_QUANTITY`` units;
- a limit or stop price that is not a finite number > 0, a missing price the order type needs
  or one it does not take; a GTD order without an expiry after its submission;
- a reused order id, a symbol the run does not trade, an order that is no longer working;
- with ``max_leverage``, an order that needs more buying power than the account has; without
  it, an order that adds more than ``SIZE_BOUND_EQUITY`` times the account's equity (or its
  starting capital, if that is more) of exposure, valued at its limit or stop, else at the last
  price the broker saw of its symbol.

The broker follows bars only while it holds working orders, so a market order may arrive
before it has seen any price of its symbol (a strategy's first order): nothing to value it at.
Such an order is accepted and checked at the moment the broker first has a price for it, when
it is matched against its first bar: at the price it would fill at (slippage included), against
the account as it is then. If it is over the bound (or the buying power) it does not fill: the
broker answers with an ``OrderRejected`` (``ORDER_TOO_LARGE``, or ``INSUFFICIENT_BUYING_POWER``)
after the ``OrderAccepted``, and the order ends as rejected. No order escapes the bound; only
these orders pay for the check, once, when they would fill.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ostdesk.engine import matching, order_checks, time_in_force
from ostdesk.engine.bus import EventBus
from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import (
    BarReceived,
    BarsComplete,
    CancellationAccepted,
    CancellationRejected,
    EventBase,
    FillEvent,
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
    RejectionReason,
    Side,
    TimeInForce,
)
from ostdesk.engine.events.base import event_factory
from ostdesk.engine.order_checks import Problem
from ostdesk.engine.portfolio import Portfolio, Position
from ostdesk.engine.subscriber import Subscriber

SIZE_BOUND_EQUITY = 1_000.0
"""Without a leverage limit, an order may add at most this many times the account's equity (its
starting capital, if that is more: an account in a drawdown still trades) of exposure: a bound
against runaway sizes (1e300 units), far above any margin rule."""


# the events of every order, made without their ``__init__`` (see ``event_factory``)
_accepted = event_factory(OrderAccepted)
_matched = event_factory(OrdersMatched)
_fill_event = event_factory(FillEvent)


class _WorkingOrder:
    """The broker's mutable copy of a live order."""

    __slots__ = (
        "end_ns",
        "expire_ns",
        "is_buy",
        "limit",
        "order_id",
        "order_type",
        "quantity",
        "side",
        "stop",
        "strategy_id",
        "symbol",
        "tif",
        "triggered",
        "ts",
        "unpriced",
    )

    def __init__(self, req: OrderSubmissionRequest) -> None:
        # only a request whose fields were all read (no ``invalid``) becomes an order
        assert req.symbol is not None and req.quantity is not None
        assert req.time_in_force is not None
        self.order_id = req.order_id
        self.strategy_id = req.strategy_id
        self.symbol = req.symbol
        self.side = req.side
        self.is_buy = req.side is Side.BUY
        self.order_type = req.order_type
        self.quantity = req.quantity
        self.limit = req.limit_price
        self.stop = req.stop_price
        self.tif = req.time_in_force
        self.expire_ns = req.expire_ns
        self.ts = req.ts_event_ns
        self.end_ns: int | None = None  # end of life, known at its first bar (time_in_force)
        self.triggered = False
        self.unpriced = False  # accepted with no price to value it at: checked when it fills


class SimulatedBroker(Subscriber):
    """A backtest broker on the bus.

    ``max_leverage`` enables the buying-power check (1.0 = cash account: gross exposure may not
    exceed equity); ``None`` disables it. ``tick_size`` (per symbol, or one for all) scales
    ``slippage_ticks``, applied against the trader on market and stop fills.
    """

    essential = True  # an order it failed to answer leaves the run's record untrue

    def __init__(
        self,
        bus: EventBus,
        *,
        capital: float = 100_000.0,
        commission: CommissionModel | None = None,
        slippage_ticks: float = 0.0,
        tick_size: float | dict[str, float] = 0.01,
        symbols: Iterable[str] | None = None,
        max_leverage: float | None = None,
        name: str = "broker",
    ) -> None:
        self.account = Portfolio(capital)
        self.commission = commission or CommissionModel()
        self.slippage_ticks = slippage_ticks
        self._tick_size = tick_size
        self.symbols = frozenset(symbols) if symbols is not None else None
        self.max_leverage = max_leverage
        self._working: dict[str, dict[int, _WorkingOrder]] = {}
        self._orders: dict[int, _WorkingOrder] = {}
        self._ended: dict[int, str] = {}  # order id -> how it ended, for clear rejections
        self._fill_ids = 0
        self.fills: list[FillEvent] = []
        self._current_ts: int | None = None
        self._complete_ts = -(2**63)
        self._held_orders_at_ts = False
        self._deferred: list[EventBase] = []
        self._requests: dict[type[EventBase], Callable[[Any], None]] = {
            OrderSubmissionRequest: self._on_submission,
            OrderModificationRequest: self._on_modification,
            OrderCancellationRequest: self._on_cancellation,
        }
        self._handlers: dict[type[EventBase], Callable[[Any], None]] = {
            BarReceived: self._on_bar,
            BarsComplete: self._on_bars_complete,
            **dict.fromkeys(self._requests, self._on_request),
        }
        self._listening = False
        super().__init__(bus, name=name)
        self._subscribe(*self._requests)
        if max_leverage is not None:
            self._listen(True)

    def _listen(self, on: bool) -> None:
        """(Un)subscribe from bars; runs on this broker's thread, within a timestamp's phase,
        so the change is in place before the datafeed publishes the next timestamp."""
        if on == self._listening:
            return
        self._listening = on
        if on:
            self._subscribe(BarReceived, BarsComplete)
        else:
            self._unsubscribe(BarReceived, BarsComplete)

    def _on_request(self, request: EventBase) -> None:
        if not self._listening:  # no working order: nothing a request decided now could race
            self._complete_ts = max(self._complete_ts, request.ts_event_ns)
        if request.ts_event_ns <= self._complete_ts:
            self._requests[type(request)](request)
            if self._orders:
                self._listen(True)
        else:
            self._deferred.append(request)

    # -- market ------------------------------------------------------------------------------
    def _on_bar(self, bar: BarReceived) -> None:
        ts = bar.ts_event_ns
        if ts != self._current_ts:
            self._current_ts = ts
            self._held_orders_at_ts = bool(self._orders)
        orders = self._working.get(bar.symbol)
        if orders:
            self._match(bar, orders)
        self.account.mark(bar.symbol, bar.close)

    def _on_bars_complete(self, event: BarsComplete) -> None:
        self._complete_ts = event.ts_event_ns
        if self._deferred:
            deferred, self._deferred = self._deferred, []
            for request in deferred:
                self._on_request(request)
        if self._held_orders_at_ts:
            self._publish(_matched(event.ts_event_ns))
        if not self._orders and not self._deferred and self.max_leverage is None:
            self._listen(False)

    def _match(self, bar: BarReceived, orders: dict[int, _WorkingOrder]) -> None:
        ts = bar.ts_event_ns
        bar_end = ts + bar.period._value_  # ``value`` is an enum property, slow per bar
        o, h, lo = bar.open, bar.high, bar.low
        for order in list(orders.values()):
            if order.ts >= ts:
                continue  # decided at or after this bar: it cannot trade on it
            end = order.end_ns
            if end is None:
                end = order.end_ns = time_in_force.end_of_life(order.tif, order.expire_ns, ts)
            if ts >= end:
                self._expire(order, ts)
                continue
            price, order.triggered = matching.fill_price(
                order.order_type, order.is_buy, order.limit, order.stop, order.triggered, o, h, lo
            )
            if price == price:  # not NaN
                price = self._slipped(order, price)
                if order.unpriced and self._refused_at_first_price(order, price, ts):
                    continue
                self._fill(order, price, ts)
            elif bar_end >= end:  # its last live bar: say so now, not at the next bar
                self._expire(order, ts)

    def _expire(self, order: _WorkingOrder, ts: int) -> None:
        self._end(order, "expired")
        self._publish(
            OrderExpired(ts_event_ns=ts, order_id=order.order_id, strategy_id=order.strategy_id)
        )

    def _refused_at_first_price(self, order: _WorkingOrder, price: float, ts: int) -> bool:
        """Check an order accepted before any price of its symbol was seen, now that it would
        fill at ``price``; if it is over the bound, end it with an ``OrderRejected``."""
        oid = f"order {order.order_id}"
        signed = order.quantity if order.is_buy else -order.quantity
        if self.max_leverage is None:
            problem = self._check_size(oid, order.symbol, signed, price)
        else:
            problem = self._check_buying_power(oid, order.symbol, signed, price, order)
        if problem is None:
            order.unpriced = False
            return False
        reason, message = problem
        self._end(order, "rejected")
        self._publish(
            OrderRejected(
                ts_event_ns=ts,
                order_id=order.order_id,
                strategy_id=order.strategy_id,
                reason=reason,
                message=f"{message}; checked at its fill price, as no price of {order.symbol} "
                "was known when it was accepted",
            )
        )
        return True

    def _slipped(self, order: _WorkingOrder, price: float) -> float:
        if not self.slippage_ticks or order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            return price
        tick = self._tick_size
        size = tick.get(order.symbol, 0.01) if isinstance(tick, dict) else tick
        shift = self.slippage_ticks * size
        return price + shift if order.is_buy else max(price - shift, size)

    def _fill(self, order: _WorkingOrder, price: float, ts: int) -> None:
        qty = order.quantity
        fee = self.commission(qty, price)
        self.account.apply_fill(order.symbol, qty if order.is_buy else -qty, price, fee)
        self._fill_ids += 1
        self._end(order, "filled")
        fill = _fill_event(
            ts,
            self._fill_ids,
            order.order_id,
            order.strategy_id,
            order.symbol,
            order.side,
            qty,
            price,
            fee,
        )
        self.fills.append(fill)
        self._publish(fill)

    def _end(self, order: _WorkingOrder, how: str) -> None:
        del self._working[order.symbol][order.order_id]
        del self._orders[order.order_id]
        self._ended[order.order_id] = how

    # -- requests ----------------------------------------------------------------------------
    def _on_submission(self, req: OrderSubmissionRequest) -> None:
        problem = self._check_submission(req)
        if problem is not None:
            reason, message = problem
            self._publish(
                OrderRejected(
                    ts_event_ns=req.ts_event_ns,
                    order_id=req.order_id,
                    strategy_id=req.strategy_id,
                    reason=reason,
                    message=message,
                )
            )
            self._ended.setdefault(req.order_id, "rejected")
            return
        order = _WorkingOrder(req)
        if order.limit is None and order.stop is None:
            position = self.account.positions.get(order.symbol)
            order.unpriced = position is None or not math.isfinite(position.last_price)
        self._working.setdefault(order.symbol, {})[req.order_id] = order
        self._orders[req.order_id] = order
        self._publish(_accepted(req.ts_event_ns, req.order_id, req.strategy_id))

    def _check_submission(self, req: OrderSubmissionRequest) -> Problem | None:
        oid = f"order {req.order_id}"
        if req.order_id in self._orders or req.order_id in self._ended:
            return RejectionReason.DUPLICATE_ORDER_ID, f"{oid}: this order id was already used"
        if req.invalid is not None:
            return order_checks.invalid_problem(req.order_id, req.invalid)
        assert req.symbol is not None and req.quantity is not None  # as invalid is None
        if self.symbols is not None and req.symbol not in self.symbols:
            return (
                RejectionReason.UNKNOWN_SYMBOL,
                f"{oid}: unknown symbol {req.symbol!r}; this run trades "
                f"{', '.join(sorted(self.symbols))}",
            )
        problem = order_checks.quantity_problem(oid, req.quantity) or order_checks.prices_problem(
            oid, req.order_type, req.limit_price, req.stop_price
        )
        if problem is not None:
            return problem
        if req.time_in_force is TimeInForce.GTD and (
            req.expire_ns is None or req.expire_ns <= req.ts_event_ns
        ):
            return (
                RejectionReason.INVALID_EXPIRY,
                f"{oid}: a GTD order needs an expiry time after its submission time",
            )
        signed = req.quantity if req.side is Side.BUY else -req.quantity
        ref = req.limit_price or req.stop_price
        if self.max_leverage is None:
            return self._check_size(oid, req.symbol, signed, ref)
        return self._check_buying_power(oid, req.symbol, signed, ref)

    def _added_exposure(
        self, symbol: str, signed: float, ref: float | None
    ) -> tuple[float, float] | None:
        """The units an order adds to the position's size and the price to value them at (its
        limit or stop, else the last price seen); None if it reduces the position (always
        allowed) or no price was seen yet (nothing to judge it by: a market order is then checked
        when it fills, see ``_refused_at_first_price``)."""
        position: Position | None = self.account.positions.get(symbol)
        held = position.quantity if position is not None else 0.0
        added = abs(held + signed) - abs(held)
        if added <= 0:
            return None
        if ref is None:
            ref = position.last_price if position is not None else math.nan
        return (added, ref) if math.isfinite(ref) else None

    def _check_size(
        self, oid: str, symbol: str, signed: float, ref: float | None
    ) -> Problem | None:
        added = self._added_exposure(symbol, signed, ref)
        if added is None:
            return None
        units, price = added
        account = self.account
        capital = account.initial_capital
        exposure = units * price
        if exposure <= SIZE_BOUND_EQUITY * capital:
            return None  # within the bound whatever the equity: no need to add it up
        equity = account.equity
        # capital first: max() keeps it over a NaN equity (a NaN price in the data)
        bound = SIZE_BOUND_EQUITY * max(capital, equity)
        if exposure <= bound:
            return None
        return (
            RejectionReason.ORDER_TOO_LARGE,
            f"{oid}: quantity {abs(signed):,.12g} at {price:,.12g} adds {exposure:,.12g} of "
            f"exposure, over {bound:,.12g}, the bound of an account without a leverage limit "
            f"({SIZE_BOUND_EQUITY:,.0f} times the larger of equity {equity:,.12g} and starting "
            f"capital {capital:,.12g})",
        )

    def _check_buying_power(
        self,
        oid: str,
        symbol: str,
        signed: float,
        ref: float | None,
        own: _WorkingOrder | None = None,
    ) -> Problem | None:
        """Whether the account can carry the order; ``own`` is the order itself when it is
        already working (checked at its fill), so it is not counted among the pending."""
        assert self.max_leverage is not None
        added = self._added_exposure(symbol, signed, ref)
        if added is None:
            return None
        account = self.account
        exposure = sum(abs(p.market_value()) for p in account.positions.values())
        pending = sum(
            o.quantity * (o.limit or o.stop or self._last(o.symbol))
            for o in self._orders.values()
            if o is not own
        )
        needed = added[0] * added[1]
        available = account.equity * self.max_leverage - exposure - pending
        if needed > available:
            return (
                RejectionReason.INSUFFICIENT_BUYING_POWER,
                f"{oid}: needs {needed:,.2f} of buying power, {max(available, 0.0):,.2f} available",
            )
        return None

    def _last(self, symbol: str) -> float:
        pos = self.account.positions.get(symbol)
        price = pos.last_price if pos is not None else math.nan
        return price if math.isfinite(price) else 0.0

    def _working_order(
        self, order_id: int | None, invalid: str | None
    ) -> tuple[_WorkingOrder | None, Problem | None]:
        """The working order, or why a request about it must be refused."""
        if invalid is not None:
            return None, order_checks.invalid_problem(order_id, invalid)
        assert order_id is not None  # as invalid is None
        order = self._orders.get(order_id)
        if order is not None:
            return order, None
        how = self._ended.get(order_id)
        if how is None:
            return None, (RejectionReason.UNKNOWN_ORDER, f"order {order_id}: no such order")
        return None, (
            RejectionReason.ORDER_NOT_WORKING,
            f"order {order_id}: the order is already {how}",
        )

    def _on_modification(self, req: OrderModificationRequest) -> None:
        order, problem = self._working_order(req.order_id, req.invalid)
        if order is not None:
            problem = self._check_modification(order, req)
        if problem is not None:
            self._publish(
                ModificationRejected(
                    ts_event_ns=req.ts_event_ns,
                    order_id=req.order_id,
                    strategy_id=req.strategy_id,
                    reason=problem[0],
                    message=problem[1],
                )
            )
            return
        assert order is not None
        if req.quantity is not None:
            order.quantity = req.quantity
        if req.limit_price is not None:
            order.limit = req.limit_price
        if req.stop_price is not None:
            order.stop = req.stop_price
        self._publish(
            ModificationAccepted(
                ts_event_ns=req.ts_event_ns,
                order_id=order.order_id,
                strategy_id=req.strategy_id,
                quantity=order.quantity,
                limit_price=order.limit,
                stop_price=order.stop,
            )
        )

    def _check_modification(
        self, order: _WorkingOrder, req: OrderModificationRequest
    ) -> Problem | None:
        problem = order_checks.modification_problem(order.order_type, order.triggered, req)
        if problem is not None or self.max_leverage is not None:
            return problem
        quantity = order.quantity if req.quantity is None else req.quantity
        limit = req.limit_price or order.limit
        stop = req.stop_price or order.stop
        signed = quantity if order.is_buy else -quantity
        return self._check_size(f"order {req.order_id}", order.symbol, signed, limit or stop)

    def _on_cancellation(self, req: OrderCancellationRequest) -> None:
        order, problem = self._working_order(req.order_id, req.invalid)
        if order is None:
            assert problem is not None
            self._publish(
                CancellationRejected(
                    ts_event_ns=req.ts_event_ns,
                    order_id=req.order_id,
                    strategy_id=req.strategy_id,
                    reason=problem[0],
                    message=problem[1],
                )
            )
            return
        self._end(order, "cancelled")
        self._publish(
            CancellationAccepted(
                ts_event_ns=req.ts_event_ns, order_id=order.order_id, strategy_id=req.strategy_id
            )
        )
