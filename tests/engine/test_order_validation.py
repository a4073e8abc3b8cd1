"""Malformed orders from strategy code: the broker answers each with a reason and a sentence,
the request on the bus holds only storable values, and no exception reaches the error sink."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from ostdesk import Strategy
from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    CancellationRejected,
    EventBase,
    ModificationRejected,
    OrderAccepted,
    OrderCancellationRequest,
    OrderModificationRequest,
    OrderRejected,
    OrderSubmissionRequest,
    OrderType,
    RejectionReason,
    Side,
    TimeInForce,
)
from ostdesk.engine.order_checks import MAX_QUANTITY
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from tests.engine.broker_harness import BrokerHarness
from tests.engine.data import random_walk_chunk
from tests.engine.helpers import Recorder

REQUESTS = (OrderSubmissionRequest, OrderModificationRequest, OrderCancellationRequest)
FAR_FUTURE = 2_000_000_000_000_000_000


class Sender(Strategy):
    """Buys with ``ORDER``'s keywords on its second bar and, if ``CHANGE`` is set, modifies that
    order with it on the third; keeps every answer of the broker."""

    ORDER: ClassVar[dict[str, Any]] = {}
    CHANGE: ClassVar[dict[str, Any] | None] = None

    def setup(self) -> None:
        self.answers: list[EventBase] = []
        self.order_id = 0

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 2:
            self.order_id = self.buy(**self.ORDER)
        elif len(self.close) == 3 and self.CHANGE is not None:
            self.modify(self.CHANGE.get("order_id", self.order_id), **self.CHANGE.get("to", {}))

    def on_order(self, event: EventBase) -> None:
        self.answers.append(event)


@dataclasses.dataclass
class Outcome:
    run: BacktestRun
    answers: list[EventBase]
    requests: list[EventBase]

    def of(self, kind: type[EventBase]) -> list[Any]:
        return [e for e in self.answers if type(e) is kind]


def _send(order: dict[str, Any], change: dict[str, Any] | None = None, **settings: Any) -> Outcome:
    """A real run (datafeed, bus, broker, strategy host) of one strategy sending ``order``;
    ``settings`` are more of the run's ``BacktestConfig`` (``capital``)."""
    strategy = type("Sends", (Sender,), {"ORDER": order, "CHANGE": change})
    chunk = random_walk_chunk(1, 6)
    config = BacktestConfig(strategy=strategy, symbols=("S0",), period=BarPeriod.MINUTE, **settings)
    taps: list[Recorder] = []

    def tap(bus: Any) -> Recorder:
        taps.append(Recorder(bus, *REQUESTS, name="requests"))
        return taps[0]

    run = BacktestRun(config, [chunk], len(chunk), subscribers=[tap]).run()
    assert isinstance(run.strategy, Sender)
    return Outcome(run, run.strategy.answers, taps[0].seen)


def _assert_clean(outcome: Outcome) -> None:
    """The run went on to its end and no component raised."""
    assert outcome.run.status is RunStatus.COMPLETED
    assert outcome.run.bus.errors.errors == []


def _assert_storable(request: EventBase) -> None:
    """Every field holds a value of its declared type, or None."""
    kinds = {
        "quantity": float,
        "limit_price": float,
        "stop_price": float,
        "expire_ns": int,
        "order_id": int,
        "symbol": str,
        "time_in_force": TimeInForce,
        "invalid": str,
    }
    for name, kind in kinds.items():
        value = getattr(request, name, None)
        assert value is None or type(value) is kind, (name, value)


@pytest.mark.parametrize(
    ("order", "reason", "message"),
    [
        pytest.param(
            {"quantity": "abc"},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity 'abc' is not a number",
            id="text quantity",
        ),
        pytest.param(
            {"quantity": None},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity is missing (None)",
            id="quantity None",
        ),
        pytest.param(
            {"quantity": 0},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity must be a positive number, got 0",
            id="quantity zero",
        ),
        pytest.param(
            {"quantity": -5},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity must be a positive number, got -5",
            id="negative quantity",
        ),
        pytest.param(
            {"quantity": math.nan},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity must be a positive number, got nan",
            id="NaN quantity",
        ),
        pytest.param(
            {"quantity": math.inf},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity must be a positive number, got inf",
            id="infinite quantity",
        ),
        pytest.param(
            {"quantity": True},
            RejectionReason.INVALID_QUANTITY,
            "order 1: quantity True is a bool, not a number",
            id="bool quantity",
        ),
        pytest.param(
            {"limit": "99.5"},
            RejectionReason.INVALID_PRICE,
            "order 1: limit price '99.5' is not a number",
            id="text price",
        ),
        pytest.param(
            {"limit": math.nan},
            RejectionReason.INVALID_PRICE,
            "order 1: limit price must be a positive finite number, got nan",
            id="NaN price",
        ),
        pytest.param(
            {"tif": "FOO"},
            RejectionReason.INVALID_TIME_IN_FORCE,
            "order 1: time in force 'FOO' is not one of GTC, DAY, GTD",
            id="unknown time in force",
        ),
        pytest.param(
            {"tif": TimeInForce.GTD, "expire_ns": "x"},
            RejectionReason.INVALID_EXPIRY,
            "order 1: expire_ns 'x' is not an integer time in ns",
            id="text expire_ns",
        ),
        pytest.param(
            {"tif": "gtd"},
            RejectionReason.INVALID_EXPIRY,
            "order 1: a GTD order needs an expiry time after its submission time",
            id="GTD without expiry",
        ),
        pytest.param(
            {"quantity": 1e300},
            RejectionReason.ORDER_TOO_LARGE,
            "order 1: quantity 1e+300 exceeds 9,007,199,254,740,992 units",
            id="1e300 units",
        ),
        pytest.param(
            {"symbol": 5},
            RejectionReason.UNKNOWN_SYMBOL,
            "order 1: symbol 5 is not a symbol name (a str)",
            id="symbol not text",
        ),
    ],
)
def test_a_malformed_order_is_rejected_with_a_reason_and_a_message(
    order: dict[str, Any], reason: RejectionReason, message: str
) -> None:
    outcome = _send(order)
    _assert_clean(outcome)
    [rejected] = outcome.of(OrderRejected)
    assert rejected.reason is reason
    assert rejected.message.startswith(message)
    assert outcome.of(OrderAccepted) == []
    [request] = outcome.requests  # the attempt is on the bus, as a storable request
    _assert_storable(request)
    assert outcome.run.broker is not None and outcome.run.broker.fills == []


def test_a_request_replaces_an_unreadable_field_by_none_and_says_why() -> None:
    request = OrderSubmissionRequest(
        ts_event_ns=1,
        order_id=1,
        strategy_id="s",
        symbol="X",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity="abc",  # type: ignore[arg-type]
        limit_price="1",  # type: ignore[arg-type]
    )
    assert request.quantity is None and request.limit_price is None
    assert request.invalid == "quantity 'abc' is not a number"  # the first one


def test_a_time_in_force_name_is_accepted_in_any_case() -> None:
    outcome = _send({"limit": 1.0, "tif": "day"})
    _assert_clean(outcome)
    assert outcome.of(OrderRejected) == []
    assert len(outcome.of(OrderAccepted)) == 1
    [request] = outcome.requests
    assert request.time_in_force is TimeInForce.DAY


def test_a_numpy_integer_expiry_is_accepted_as_an_int() -> None:
    outcome = _send({"limit": 1.0, "tif": "GTD", "expire_ns": np.int64(FAR_FUTURE)})
    _assert_clean(outcome)
    assert len(outcome.of(OrderAccepted)) == 1
    [request] = outcome.requests
    assert type(request.expire_ns) is int and request.expire_ns == FAR_FUTURE


def test_numbers_of_other_types_are_accepted_as_floats() -> None:
    outcome = _send({"quantity": np.float32(2.0), "limit": np.int64(1)})
    _assert_clean(outcome)
    assert len(outcome.of(OrderAccepted)) == 1
    [request] = outcome.requests
    assert (type(request.quantity), type(request.limit_price)) == (float, float)


def test_a_modify_with_a_nan_price_is_rejected_with_a_reason() -> None:
    outcome = _send({"limit": 1.0}, change={"to": {"limit": math.nan}})
    _assert_clean(outcome)
    [rejected] = outcome.of(ModificationRejected)
    assert rejected.reason is RejectionReason.INVALID_PRICE
    assert rejected.message == "order 1: limit price must be a positive finite number, got nan"


def test_a_modify_with_a_text_quantity_is_rejected_with_a_reason() -> None:
    outcome = _send({"limit": 1.0}, change={"to": {"quantity": "ten"}})
    _assert_clean(outcome)
    [rejected] = outcome.of(ModificationRejected)
    assert rejected.reason is RejectionReason.INVALID_QUANTITY
    assert rejected.message == "order 1: quantity 'ten' is not a number"
    _assert_storable(outcome.requests[-1])


def test_a_modify_naming_no_order_is_rejected_with_a_reason() -> None:
    outcome = _send({"limit": 1.0}, change={"order_id": "first", "to": {"quantity": 2}})
    _assert_clean(outcome)
    [rejected] = outcome.of(ModificationRejected)
    assert rejected.reason is RejectionReason.UNKNOWN_ORDER
    assert rejected.message == "order id 'first' is not an integer"
    assert rejected.order_id is None


@pytest.fixture
def h() -> Iterator[BrokerHarness]:
    harness = BrokerHarness(capital=100_000.0)
    yield harness
    harness.close()


def _priced(h: BrokerHarness) -> None:
    """A working order makes the broker follow the bars: it then knows X's last price (100)."""
    h.submit(1, order_type=OrderType.LIMIT, limit_price=1.0)
    h.bar(2, 100, 100, 100, 100)


def test_an_order_past_1000_times_equity_at_the_last_price_is_refused(h: BrokerHarness) -> None:
    _priced(h)
    h.submit(2, quantity=1_000_001)
    [rejected] = h.of(OrderRejected)
    assert rejected.reason is RejectionReason.ORDER_TOO_LARGE
    assert rejected.message == (
        "order 2: quantity 1,000,001 at 100 adds 100,000,100 of exposure, over 100,000,000, the "
        "bound of an account without a leverage limit (1,000 times the larger of equity 100,000 "
        "and starting capital 100,000)"
    )


def test_an_order_within_the_size_bound_is_accepted(h: BrokerHarness) -> None:
    _priced(h)
    h.submit(2, quantity=1_000_000)
    assert h.of(OrderRejected) == []
    assert len(h.of(OrderAccepted)) == 2


def test_a_limit_order_is_sized_at_its_limit_before_any_price_is_seen(h: BrokerHarness) -> None:
    h.submit(1, order_type=OrderType.LIMIT, limit_price=1e6, quantity=1e6)
    [rejected] = h.of(OrderRejected)
    assert rejected.reason is RejectionReason.ORDER_TOO_LARGE


def test_a_modify_past_the_size_bound_is_refused(h: BrokerHarness) -> None:
    h.submit(1, order_type=OrderType.LIMIT, limit_price=10.0)
    h.modify(1, 1, quantity=MAX_QUANTITY / 2)
    [rejected] = h.of(ModificationRejected)
    assert rejected.reason is RejectionReason.ORDER_TOO_LARGE


# The broker follows bars only while it holds working orders: a strategy's first market order
# reaches it before it has seen any price of the symbol, and is checked when it would fill.


@pytest.mark.parametrize("quantity", [1e7, 1e15])
def test_a_first_market_order_past_the_size_bound_is_refused_and_never_fills(
    quantity: float,
) -> None:
    outcome = _send({"quantity": quantity})
    _assert_clean(outcome)
    assert [type(e) for e in outcome.answers] == [OrderAccepted, OrderRejected]
    [rejected] = outcome.of(OrderRejected)
    assert rejected.reason is RejectionReason.ORDER_TOO_LARGE
    broker = outcome.run.broker
    assert broker is not None and broker.fills == []
    assert broker.account.equity == 100_000.0
    assert outcome.run.strategy is not None and outcome.run.strategy.orders == {}


def test_a_first_market_order_within_the_size_bound_fills() -> None:
    outcome = _send({"quantity": 900_000})  # ~9e7 of exposure at ~100: under 1e8
    _assert_clean(outcome)
    assert outcome.of(OrderRejected) == []
    assert outcome.run.broker is not None
    [fill] = outcome.run.broker.fills
    assert fill.quantity == 900_000


def test_an_account_of_1e_minus_300_refuses_its_first_order() -> None:
    outcome = _send({"quantity": 1}, capital=1e-300)
    _assert_clean(outcome)
    [rejected] = outcome.of(OrderRejected)
    assert rejected.reason is RejectionReason.ORDER_TOO_LARGE
    assert "over 1e-297, the bound" in rejected.message
    assert "equity 1e-300 and starting capital 1e-300" in rejected.message
    assert outcome.run.broker is not None and outcome.run.broker.fills == []


def test_a_first_market_order_is_refused_at_its_fill_price_with_the_right_numbers(
    h: BrokerHarness,
) -> None:
    h.submit(1, quantity=1e7)
    h.bar(2, 100, 100, 100, 100)
    assert h.fills() == []
    [rejected] = h.of(OrderRejected)
    assert (rejected.ts_event_ns, rejected.reason) == (2, RejectionReason.ORDER_TOO_LARGE)
    assert rejected.message == (
        "order 1: quantity 10,000,000 at 100 adds 1,000,000,000 of exposure, over 100,000,000, "
        "the bound of an account without a leverage limit (1,000 times the larger of equity "
        "100,000 and starting capital 100,000); checked at its fill price, as no price of X was "
        "known when it was accepted"
    )


def test_a_refused_first_order_ends_as_rejected(h: BrokerHarness) -> None:
    h.submit(1, quantity=1e7)
    h.bar(2, 100, 100, 100, 100)
    h.cancel(2, 1)
    [refused] = h.of(CancellationRejected)
    assert refused.message == "order 1: the order is already rejected"


def test_the_size_bound_grows_with_equity_over_the_starting_capital() -> None:
    harness = BrokerHarness(capital=1.0)
    try:
        harness.submit(1, quantity=1)
        harness.bar(2, 1, 1, 1, 1)  # fills 1 unit at 1: cash 0, equity 1
        harness.bar(3, 5, 5, 5, 5)  # not followed: nothing works
        harness.submit(4, order_type=OrderType.LIMIT, limit_price=1.0)
        harness.bar(5, 5, 5, 5, 5)  # marks X at 5: equity 5
        harness.submit(5, quantity=1_001, limit_price=5.0, order_type=OrderType.LIMIT)
        [rejected] = harness.of(OrderRejected)
        assert rejected.message == (
            "order 3: quantity 1,001 at 5 adds 5,005 of exposure, over 5,000, the bound of an "
            "account without a leverage limit (1,000 times the larger of equity 5 and starting "
            "capital 1)"
        )
    finally:
        harness.close()


def test_a_first_market_order_past_the_buying_power_is_refused_when_it_would_fill() -> None:
    harness = BrokerHarness(capital=1_000.0, max_leverage=1.0)
    try:
        harness.submit(1, quantity=20)  # no price of X seen yet
        harness.bar(2, 100, 100, 100, 100)
        assert harness.fills() == []
        [rejected] = harness.of(OrderRejected)
        assert rejected.reason is RejectionReason.INSUFFICIENT_BUYING_POWER
        assert rejected.message.startswith(
            "order 1: needs 2,000.00 of buying power, 1,000.00 available"
        )
    finally:
        harness.close()


def test_a_cancel_naming_no_order_is_rejected_and_stored_as_none(h: BrokerHarness) -> None:
    h.cancel(1, "abc")  # type: ignore[arg-type]
    [rejected] = h.of(CancellationRejected)
    assert rejected.reason is RejectionReason.UNKNOWN_ORDER
    assert rejected.message == "order id 'abc' is not an integer"
    assert rejected.order_id is None
    assert h.bus.errors.errors == []


class _Watches(Sender):
    """Notes its working orders right after placing its order."""

    def on_bar(self, bar: BarReceived) -> None:
        super().on_bar(bar)
        if len(self.close) == 2:
            self.working_after = dict(self.orders)


def test_a_malformed_order_is_never_listed_among_the_strategys_working_orders() -> None:
    strategy = type("Watches", (_Watches,), {"ORDER": {"quantity": "abc"}})
    config = BacktestConfig(strategy=strategy, symbols=("S0",), period=BarPeriod.MINUTE)
    chunk = random_walk_chunk(1, 6)
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert isinstance(run.strategy, _Watches)
    assert run.strategy.working_after == {}
    assert [type(e) for e in run.strategy.answers] == [OrderRejected]


def test_a_time_in_force_name_is_listed_as_its_member_among_working_orders() -> None:
    strategy = type("Watches", (_Watches,), {"ORDER": {"quantity": 1, "limit": 1e-6, "tif": "gtc"}})
    config = BacktestConfig(strategy=strategy, symbols=("S0",), period=BarPeriod.MINUTE)
    chunk = random_walk_chunk(1, 6)
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert isinstance(run.strategy, _Watches)
    [order] = run.strategy.working_after.values()
    assert order.tif is TimeInForce.GTC and order.quantity == 1.0
