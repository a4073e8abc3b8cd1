"""The simulated broker: fills by order type, no look-ahead, rejections with reasons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ostdesk.engine.commission import CommissionModel, parse_commission
from ostdesk.engine.events import (
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderExpired,
    OrderRejected,
    OrdersMatched,
    OrderType,
    RejectionReason,
    Side,
    TimeInForce,
)
from tests.engine.broker_harness import BrokerHarness

DAY = 86_400_000_000_000


@pytest.fixture
def h() -> Iterator[BrokerHarness]:
    harness = BrokerHarness()
    yield harness
    harness.close()


def test_market_order_fills_at_the_next_bar_open(h: BrokerHarness) -> None:
    h.bar(1, 100, 101, 99, 100.5)
    h.submit(1)
    h.bar(2, 102, 103, 101, 102.5)
    assert h.fills() == [(2, 102, 1)]
    assert h.broker.account.position("X").quantity == 1


def test_order_that_reaches_the_broker_before_its_own_bar_cannot_fill_on_it(
    h: BrokerHarness,
) -> None:
    """The seed's hazard, provoked on purpose: the strategy reacted to bar 2 and its order is in
    the broker's queue before bar 2 itself. It must fill at bar 3's open, never bar 2's."""
    h.bar(1, 100, 101, 99, 100)
    h.submit(1, order_type=OrderType.LIMIT, limit_price=10.0)  # a working order: bars flow
    h.submit(2)  # decided on bar 2, delivered before bar 2
    assert len(h.of(OrderAccepted)) == 1, "held until every bar of ts 2 has been matched"
    h.bar(2, 90, 91, 89, 90)
    assert h.fills() == []
    assert len(h.of(OrderAccepted)) == 2
    h.bar(3, 95, 96, 94, 95)
    assert h.fills() == [(3, 95, 1)]


def test_order_decided_on_a_bar_never_fills_on_it_when_the_broker_was_idle(
    h: BrokerHarness,
) -> None:
    h.submit(2)  # no working orders: accepted at once, but still only from the next bar
    h.bar(2, 90, 91, 89, 90)
    assert h.fills() == []
    h.bar(3, 95, 96, 94, 95)
    assert h.fills() == [(3, 95, 1)]


def test_cancel_decided_on_a_bar_never_prevents_that_bars_fill(h: BrokerHarness) -> None:
    h.bar(1, 100, 101, 99, 100)
    oid = h.submit(1, order_type=OrderType.LIMIT, limit_price=98.0)
    h.cancel(2, oid)  # arrives before bar 2, which trades through the limit
    h.bar(2, 99, 99.5, 97, 98.5)
    assert h.fills() == [(2, 98.0, 1)]
    [rejected] = h.of(CancellationRejected)
    assert rejected.reason is RejectionReason.ORDER_NOT_WORKING
    assert "already filled" in rejected.message


@pytest.mark.parametrize(
    ("side", "limit", "bar", "expected"),
    [
        (Side.BUY, 98.0, (99, 100, 97, 99.5), 98.0),  # reached intrabar: the limit
        (Side.BUY, 98.0, (96, 97, 95, 96.5), 96.0),  # gapped below: the better open
        (Side.BUY, 98.0, (99, 100, 98.5, 99), None),  # never reached
        (Side.SELL, 102.0, (101, 103, 100, 102), 102.0),
        (Side.SELL, 102.0, (104, 105, 103, 104), 104.0),
    ],
)
def test_limit_fills_at_the_better_of_limit_and_open(
    h: BrokerHarness, side: Side, limit: float, bar: tuple[float, ...], expected: float | None
) -> None:
    h.bar(1, 100, 100, 100, 100)
    h.submit(1, side=side, order_type=OrderType.LIMIT, limit_price=limit)
    h.bar(2, *bar)
    assert h.fills() == ([] if expected is None else [(2, expected, 1)])


@pytest.mark.parametrize(
    ("side", "stop", "bar", "expected"),
    [
        (Side.BUY, 102.0, (101, 103, 100, 102.5), 102.0),  # touched intrabar: the stop
        (Side.BUY, 102.0, (104, 105, 103, 104), 104.0),  # gapped through: the worse open
        (Side.SELL, 98.0, (99, 100, 97, 97.5), 98.0),
        (Side.SELL, 98.0, (95, 96, 94, 95), 95.0),
        (Side.SELL, 98.0, (99, 100, 98.5, 99), None),
    ],
)
def test_stop_fills_at_the_worse_of_stop_and_open(
    h: BrokerHarness, side: Side, stop: float, bar: tuple[float, ...], expected: float | None
) -> None:
    h.bar(1, 100, 100, 100, 100)
    h.submit(1, side=side, order_type=OrderType.STOP, stop_price=stop)
    h.bar(2, *bar)
    assert h.fills() == ([] if expected is None else [(2, expected, 1)])


def test_stop_limit_triggers_and_fills_on_the_same_bar(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    h.submit(1, order_type=OrderType.STOP_LIMIT, stop_price=102.0, limit_price=103.0)
    h.bar(2, 101, 104, 100.5, 103.5)
    assert h.fills() == [(2, 102.0, 1)]


def test_stop_limit_triggered_inside_a_bar_with_its_limit_below_the_stop_waits(
    h: BrokerHarness,
) -> None:
    """The bar's low (98) may have come before the trigger at 102: no fill on that bar, as a
    limit from the next (it filled at 99 on the trigger bar before)."""
    h.bar(1, 100, 100, 100, 100)
    h.submit(1, order_type=OrderType.STOP_LIMIT, stop_price=102.0, limit_price=99.0)
    h.bar(2, 100, 103, 98, 101)
    assert h.fills() == []
    h.bar(3, 100, 101, 98.5, 99)
    assert h.fills() == [(3, 99.0, 1)]


def test_stop_limit_gap_above_the_limit_waits_as_a_limit(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    oid = h.submit(1, order_type=OrderType.STOP_LIMIT, stop_price=102.0, limit_price=103.0)
    h.bar(2, 105, 106, 104, 105)  # triggered at the open, but never back to 103
    assert h.fills() == []
    h.modify(2, oid, stop_price=101.0)  # the stop is spent
    [rejected] = h.of(ModificationRejected)
    assert rejected.reason is RejectionReason.ORDER_NOT_WORKING
    assert "already triggered" in rejected.message
    h.modify(2, oid, limit_price=104.5)  # the limit can still move
    [accepted] = h.of(ModificationAccepted)
    assert accepted.limit_price == 104.5 and accepted.stop_price == 102.0
    h.bar(3, 105, 105.5, 104, 104.2)
    assert h.fills() == [(3, 104.5, 1)]


def test_modified_limit_applies_from_the_next_bar(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    oid = h.submit(1, order_type=OrderType.LIMIT, limit_price=95.0)
    h.bar(2, 99, 100, 98, 99)
    h.modify(2, oid, limit_price=98.5, quantity=3)
    h.bar(3, 99, 99.5, 98, 98.8)
    assert h.fills() == [(3, 98.5, 3)]


def test_cancel_after_fill_is_rejected_and_unknown_orders_are_named(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    oid = h.submit(1)
    h.bar(2, 101, 101, 101, 101)
    h.cancel(2, oid)
    h.cancel(2, 999)
    first, second = h.of(CancellationRejected)
    assert first.reason is RejectionReason.ORDER_NOT_WORKING
    assert first.message == f"order {oid}: the order is already filled"
    assert second.reason is RejectionReason.UNKNOWN_ORDER
    assert second.message == "order 999: no such order"


def test_cancel_working_order(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    oid = h.submit(1, order_type=OrderType.LIMIT, limit_price=90.0)
    h.cancel(1, oid)
    h.bar(2, 89, 89, 88, 88)
    assert h.fills() == []
    assert [e.order_id for e in h.of(CancellationAccepted)] == [oid]


@pytest.mark.parametrize(
    ("fields", "reason", "text"),
    [
        (
            {"quantity": 0},
            RejectionReason.INVALID_QUANTITY,
            "quantity must be a positive number, got 0",
        ),
        ({"quantity": -5}, RejectionReason.INVALID_QUANTITY, "got -5"),
        ({"quantity": float("nan")}, RejectionReason.INVALID_QUANTITY, "got nan"),
        ({"order_type": OrderType.LIMIT}, RejectionReason.MISSING_PRICE, "needs a limit price"),
        (
            {"order_type": OrderType.STOP_LIMIT, "limit_price": 1.0},
            RejectionReason.MISSING_PRICE,
            "needs a stop price",
        ),
        (
            {"order_type": OrderType.LIMIT, "limit_price": float("nan")},
            RejectionReason.INVALID_PRICE,
            "limit price must be a positive finite number",
        ),
        (
            {"order_type": OrderType.STOP, "stop_price": -1.0},
            RejectionReason.INVALID_PRICE,
            "stop price must be a positive finite number",
        ),
        ({"limit_price": 5.0}, RejectionReason.UNEXPECTED_PRICE, "market order takes no limit"),
        ({"time_in_force": TimeInForce.GTD}, RejectionReason.INVALID_EXPIRY, "needs an expiry"),
        ({"symbol": "NOPE"}, RejectionReason.UNKNOWN_SYMBOL, "unknown symbol 'NOPE'"),
    ],
)
def test_invalid_orders_are_rejected_with_reason_and_message(
    fields: dict[str, object], reason: RejectionReason, text: str
) -> None:
    h = BrokerHarness(symbols=["X"])
    try:
        h.bar(1, 100, 100, 100, 100)
        h.submit(1, **fields)  # type: ignore[arg-type]
        [rejected] = h.of(OrderRejected)
        assert rejected.reason is reason
        assert text in rejected.message
        assert rejected.message.startswith("order 1:")
        h.bar(2, 100, 100, 100, 100)
        assert h.fills() == []
    finally:
        h.close()


def test_duplicate_order_id_is_rejected(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    h.submit(1, order_id=7)
    h.submit(1, order_id=7)
    [rejected] = h.of(OrderRejected)
    assert rejected.reason is RejectionReason.DUPLICATE_ORDER_ID


def test_day_order_expires_at_the_first_bar_of_the_next_day(h: BrokerHarness) -> None:
    h.bar(DAY + 1, 100, 100, 100, 100)
    h.submit(DAY + 1, order_type=OrderType.LIMIT, limit_price=90.0, time_in_force=TimeInForce.DAY)
    h.bar(DAY + 2, 95, 96, 94, 95)
    assert h.of(OrderExpired) == []
    h.bar(2 * DAY + 5, 89, 89, 80, 85)  # would have filled, but the order died with its day
    assert [e.ts_event_ns for e in h.of(OrderExpired)] == [2 * DAY + 5]
    assert h.fills() == []


def test_gtd_order_expires_at_its_expiry(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    h.submit(
        1, order_type=OrderType.LIMIT, limit_price=90.0, time_in_force=TimeInForce.GTD, expire_ns=3
    )
    h.bar(2, 95, 96, 94, 95)
    h.bar(3, 89, 89, 80, 85)
    assert len(h.of(OrderExpired)) == 1
    assert h.fills() == []


def test_commission_models() -> None:
    assert CommissionModel(per_unit=0.01, minimum=1.0)(50, 10.0) == 1.0
    assert CommissionModel(per_unit=0.01, minimum=1.0)(500, 10.0) == 5.0
    assert CommissionModel(percent=0.1)(10, 100.0) == pytest.approx(1.0)
    assert parse_commission("per_unit=0.005,min=1") == CommissionModel(per_unit=0.005, minimum=1)
    assert parse_commission("0.1%") == CommissionModel(percent=0.1)
    assert parse_commission("none").is_free
    with pytest.raises(ValueError, match="unknown commission field 'fee'"):
        parse_commission("fee=1")
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        parse_commission("per_unit=-1")


def test_fills_carry_commission_and_slippage_against_the_trader() -> None:
    h = BrokerHarness(
        commission=CommissionModel(per_unit=0.5, minimum=1.0),
        slippage_ticks=2,
        tick_size=0.05,
        capital=1000.0,
    )
    try:
        h.bar(1, 100, 100, 100, 100)
        h.submit(1, quantity=4)
        h.bar(2, 100, 101, 99, 100)
        [fill] = h.of(FillEvent)
        assert fill.price == pytest.approx(100.1)
        assert fill.commission == 2.0
        assert h.broker.account.cash == pytest.approx(1000 - 4 * 100.1 - 2.0)
    finally:
        h.close()


def test_insufficient_buying_power_is_rejected_with_amounts() -> None:
    h = BrokerHarness(capital=1_000.0, max_leverage=1.0)
    try:
        h.bar(1, 100, 100, 100, 100)
        h.submit(1, quantity=5)
        h.submit(1, quantity=20)
        [rejected] = h.of(OrderRejected)
        assert rejected.reason is RejectionReason.INSUFFICIENT_BUYING_POWER
        assert "needs 2,000.00 of buying power, 500.00 available" in rejected.message
    finally:
        h.close()


def test_orders_matched_follows_a_timestamp_with_working_orders(h: BrokerHarness) -> None:
    h.bar(1, 100, 100, 100, 100)
    assert h.of(OrdersMatched) == []
    h.submit(1, order_type=OrderType.LIMIT, limit_price=50.0)
    h.bar(2, 100, 100, 100, 100)
    assert [e.ts_event_ns for e in h.of(OrdersMatched)] == [2]
