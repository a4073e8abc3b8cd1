"""The blotters' Qt-free order book and account: lifecycles, batch changes, P&L, drawdown.

``Script`` (also used by the Qt blotter tests) writes engine events the way a strategy and the
broker would publish them, on a clock that advances one minute per event.
"""

from __future__ import annotations

import gc
import math
import weakref
from typing import Any

import pytest

from ostdesk.engine import events as ev
from ostdesk.engine.events import OrderType, RejectionReason, Side, TimeInForce
from ostdesk.gui.blotter.book import AccountBook, OrderBook, OrderStatus

T0 = 1_709_647_200_000_000_000  # 2024-03-05 14:00:00 UTC
MINUTE = 60_000_000_000


class Script:
    """Builds engine events for one strategy; every method appends its event to ``events``."""

    def __init__(self, strategy_id: str = "s1", start_ns: int = T0) -> None:
        self.strategy_id = strategy_id
        self.now = start_ns
        self.events: list[ev.EventBase] = []
        self._fill_id = 0

    def _add(self, event: ev.EventBase) -> ev.EventBase:
        self.events.append(event)
        self.now += MINUTE
        return event

    def _ids(self, order_id: int) -> dict[str, Any]:
        return {"ts_event_ns": self.now, "order_id": order_id, "strategy_id": self.strategy_id}

    def submit(
        self,
        order_id: int,
        symbol: str = "AAPL",
        side: Side = Side.BUY,
        order_type: OrderType = OrderType.MARKET,
        quantity: float = 10.0,
        *,
        limit: float | None = None,
        stop: float | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        expire_ns: int | None = None,
    ) -> ev.EventBase:
        return self._add(
            ev.OrderSubmissionRequest(
                **self._ids(order_id),
                symbol=symbol,
                side=side,
                order_type=order_type,
                quantity=quantity,
                limit_price=limit,
                stop_price=stop,
                time_in_force=tif,
                expire_ns=expire_ns,
            )
        )

    def accept(self, order_id: int) -> ev.EventBase:
        return self._add(ev.OrderAccepted(**self._ids(order_id)))

    def reject(
        self,
        order_id: int,
        reason: RejectionReason = RejectionReason.INVALID_PRICE,
        message: str = "",
    ) -> ev.EventBase:
        return self._add(ev.OrderRejected(**self._ids(order_id), reason=reason, message=message))

    def request_modify(self, order_id: int, **fields: float) -> ev.EventBase:
        return self._add(ev.OrderModificationRequest(**self._ids(order_id), **fields))

    def modified(
        self, order_id: int, quantity: float, limit: float | None = None, stop: float | None = None
    ) -> ev.EventBase:
        return self._add(
            ev.ModificationAccepted(
                **self._ids(order_id),
                quantity=quantity,
                limit_price=limit,
                stop_price=stop,
            )
        )

    def modify_rejected(self, order_id: int, message: str) -> ev.EventBase:
        return self._add(
            ev.ModificationRejected(
                **self._ids(order_id),
                reason=RejectionReason.INVALID_PRICE,
                message=message,
            )
        )

    def request_cancel(self, order_id: int) -> ev.EventBase:
        return self._add(ev.OrderCancellationRequest(**self._ids(order_id)))

    def cancelled(self, order_id: int) -> ev.EventBase:
        return self._add(ev.CancellationAccepted(**self._ids(order_id)))

    def cancel_rejected(self, order_id: int, message: str) -> ev.EventBase:
        return self._add(
            ev.CancellationRejected(
                **self._ids(order_id),
                reason=RejectionReason.ORDER_NOT_WORKING,
                message=message,
            )
        )

    def fill(
        self,
        order_id: int,
        price: float,
        quantity: float = 10.0,
        symbol: str = "AAPL",
        side: Side = Side.BUY,
        commission: float = 1.0,
    ) -> ev.EventBase:
        self._fill_id += 1
        return self._add(
            ev.FillEvent(
                **self._ids(order_id),
                fill_id=self._fill_id,
                symbol=symbol,
                side=side,
                quantity=quantity,
                price=price,
                commission=commission,
            )
        )

    def expire(self, order_id: int) -> ev.EventBase:
        return self._add(ev.OrderExpired(**self._ids(order_id)))

    def bar(self, symbol: str, close: float) -> ev.EventBase:
        return self._add(
            ev.BarReceived(
                ts_event_ns=self.now,
                symbol=symbol,
                period=ev.BarPeriod.MINUTE,
                open=close,
                high=close,
                low=close,
                close=close,
                volume=100.0,
            )
        )


def statuses(book: OrderBook, order_id: int, strategy_id: str = "s1") -> list[str]:
    order = book.find(strategy_id, order_id)
    assert order is not None
    return [label for _, label in book.history(order)]


def test_limit_order_accepted_modified_then_filled_records_each_step() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=100.0)
    s.accept(1)
    s.request_modify(1, limit_price=101.0)
    s.modified(1, quantity=10.0, limit=101.0)
    s.fill(1, price=101.0)
    book = OrderBook()
    book.apply(s.events)
    order = book.find("s1", 1)
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert order.limit_price == 101.0
    assert order.avg_fill_price == 101.0
    assert order.updated_ns == s.events[-1].ts_event_ns
    assert statuses(book, 1) == ["Submitted", "Accepted", "Modify requested", "Modified", "Filled"]


def test_rejected_order_keeps_the_brokers_message_as_reason() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.STOP, stop=-5.0)
    s.reject(1, RejectionReason.INVALID_PRICE, "stop price must be positive")
    book = OrderBook()
    book.apply(s.events)
    order = book.find("s1", 1)
    assert order is not None
    assert (order.status, order.reason) == (OrderStatus.REJECTED, "stop price must be positive")


def test_rejection_without_message_reads_the_reason_code() -> None:
    s = Script()
    s.submit(1)
    s.reject(1, RejectionReason.INSUFFICIENT_BUYING_POWER)
    book = OrderBook()
    book.apply(s.events)
    assert book.orders[0].reason == "Insufficient buying power"


def test_cancel_request_shows_until_answered_then_cancelled() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=90.0)
    s.accept(1)
    s.request_cancel(1)
    book = OrderBook()
    book.apply(s.events)
    assert book.orders[0].status is OrderStatus.CANCEL_REQUESTED
    changes = book.apply([s.cancelled(1)])
    assert book.orders[0].status is OrderStatus.CANCELLED
    assert book.orders[0].reason == "Cancelled on request"
    assert changes.working_ended == [0]


def test_refused_cancel_returns_to_the_previous_status() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, quantity=10.0, limit=90.0)
    s.accept(1)
    s.fill(1, price=90.0, quantity=4.0)
    s.request_cancel(1)
    s.cancel_rejected(1, "too late")
    book = OrderBook()
    book.apply(s.events)
    order = book.orders[0]
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.reason == "Cancel rejected: too late"


def test_acceptance_arriving_after_a_cancel_request_keeps_cancel_requested() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=90.0)
    s.request_cancel(1)
    s.accept(1)
    book = OrderBook()
    book.apply(s.events)
    assert book.orders[0].status is OrderStatus.CANCEL_REQUESTED
    book.apply([s.cancel_rejected(1, "no")])
    assert book.orders[0].status is OrderStatus.ACCEPTED


def test_day_order_expires_with_a_reason() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=50.0, tif=TimeInForce.DAY)
    s.accept(1)
    s.expire(1)
    book = OrderBook()
    book.apply(s.events)
    assert (book.orders[0].status, book.orders[0].reason) == (
        OrderStatus.EXPIRED,
        "Time in force DAY ended",
    )


def test_partial_fills_average_the_fill_price() -> None:
    s = Script()
    s.submit(1, quantity=30.0)
    s.accept(1)
    s.fill(1, price=10.0, quantity=10.0)
    book = OrderBook()
    book.apply(s.events)
    assert book.orders[0].status is OrderStatus.PARTIALLY_FILLED
    book.apply([s.fill(1, price=13.0, quantity=20.0)])
    order = book.orders[0]
    assert order.status is OrderStatus.FILLED
    assert order.filled_qty == 30.0
    assert order.avg_fill_price == pytest.approx(12.0)


def test_modification_rejected_keeps_the_order_and_says_why() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=100.0)
    s.accept(1)
    s.request_modify(1, limit_price=-1.0)
    s.modify_rejected(1, "limit price must be positive")
    book = OrderBook()
    book.apply(s.events)
    order = book.orders[0]
    assert (order.status, order.limit_price) == (OrderStatus.ACCEPTED, 100.0)
    assert order.reason == "Modify rejected: limit price must be positive"


def test_duplicate_order_id_rejection_leaves_the_original_order_alone() -> None:
    s = Script()
    s.submit(1, limit=100.0, order_type=OrderType.LIMIT)
    s.accept(1)
    s.submit(1, symbol="MSFT")
    s.reject(1, RejectionReason.DUPLICATE_ORDER_ID, "order id 1 already used")
    book = OrderBook()
    book.apply(s.events)
    assert len(book.orders) == 1
    assert (book.orders[0].symbol, book.orders[0].status) == ("AAPL", OrderStatus.ACCEPTED)


def test_same_order_id_in_two_strategies_are_two_orders() -> None:
    a, b = Script("a"), Script("b")
    a.submit(1, symbol="AAPL")
    b.submit(1, symbol="MSFT")
    book = OrderBook()
    book.apply(a.events + b.events)
    assert [o.symbol for o in book.orders] == ["AAPL", "MSFT"]


def test_batch_changes_separate_new_updated_and_working_transitions() -> None:
    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=10.0)
    s.accept(1)
    s.submit(2, order_type=OrderType.LIMIT, limit=10.0)
    s.accept(2)
    book = OrderBook()
    first = book.apply(s.events)
    assert (first.inserted, first.updated, first.working_added) == (range(0, 2), [], [0, 1])

    batch = [
        s.fill(1, price=10.0),  # ends a working order
        s.request_modify(2, limit_price=11.0),  # updates a working order
        s.submit(3),  # born and ended in the batch: never working as far as views care
        s.reject(3, message="no"),
        s.submit(4, order_type=OrderType.LIMIT, limit=9.0),  # born working
    ]
    changes = book.apply(batch)
    assert changes.inserted == range(2, 4)
    assert sorted(changes.updated) == [0, 1]
    assert changes.working_ended == [0]
    assert changes.working_updated == [1]
    assert changes.working_added == [3]
    assert changes.fills == range(0, 1)
    assert book.working() == [1, 3]


def test_events_for_unknown_orders_change_nothing_but_fills_are_listed() -> None:
    s = Script()
    s.modify_rejected(7, "unknown order")
    s.fill(8, price=5.0)
    book = OrderBook()
    changes = book.apply(s.events)
    assert book.orders == []
    assert changes.fills == range(0, 1)
    assert changes.updated == []


def test_fill_realised_pnl_uses_average_cost() -> None:
    s = Script()
    s.fill(1, price=100.0, quantity=10.0)
    s.fill(2, price=110.0, quantity=10.0)
    s.fill(3, price=120.0, quantity=15.0, side=Side.SELL)
    book = OrderBook()
    book.apply(s.events)
    assert list(book.realized_pnl) == [0.0, 0.0, pytest.approx(15 * 15.0)]
    assert book.fill(2).fill is s.events[2]


def test_account_marks_positions_and_tracks_drawdown_from_the_peak() -> None:
    s = Script()
    s.fill(1, price=100.0, quantity=10.0, commission=0.0)
    s.bar("AAPL", 110.0)  # +100: new peak 10,100
    s.bar("MSFT", 1.0)  # not traded: ignored
    s.bar("AAPL", 95.0)  # -150 from peak
    account = AccountBook(10_000.0)
    changed = account.apply(s.events)
    assert changed == {"AAPL"}
    assert account.symbols == ["AAPL"]
    assert "MSFT" not in account.portfolio.positions
    assert account.equity == pytest.approx(9_950.0)
    assert account.peak_equity == pytest.approx(10_100.0)
    assert account.drawdown == pytest.approx(150.0)
    assert account.max_drawdown == pytest.approx(150.0)
    assert account.total_pnl == pytest.approx(-50.0)


def test_flat_position_keeps_its_realised_pnl() -> None:
    s = Script()
    s.fill(1, price=100.0, quantity=10.0, commission=0.0)
    s.fill(2, price=104.0, quantity=10.0, side=Side.SELL, commission=0.0)
    account = AccountBook(1_000.0)
    account.apply(s.events)
    position = account.portfolio.positions["AAPL"]
    assert position.quantity == 0.0
    assert position.realized_pnl == pytest.approx(40.0)
    assert position.unrealized_pnl() == 0.0
    assert not math.isnan(position.last_price)


def test_a_book_thrown_away_is_freed_without_the_cycle_collector() -> None:
    """Replays replace their books on every seek: a reference cycle would leave each one (and
    its records) for a cycle collection that stalls the window."""

    s = Script()
    s.submit(1, order_type=OrderType.LIMIT, limit=100.0)
    s.accept(1)
    s.fill(1, price=100.0)
    book = OrderBook()
    book.apply(s.events)
    gone = weakref.ref(book)
    gc.disable()
    try:
        del book
        assert gone() is None
    finally:
        gc.enable()
