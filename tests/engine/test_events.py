"""Events are immutable value objects with slots, stamped with two clocks."""

from __future__ import annotations

import dataclasses

import pytest

from ostdesk.engine import events
from ostdesk.engine.events import (
    ALL_EVENT_TYPES,
    BarPeriod,
    BarReceived,
    EventBase,
    OrderType,
    Side,
    TimeInForce,
)
from ostdesk.engine.events.base import event_factory


def test_every_event_class_is_frozen_and_slotted() -> None:
    classes = {EventBase, *ALL_EVENT_TYPES}
    exported = {
        obj for obj in vars(events).values() if isinstance(obj, type) and issubclass(obj, EventBase)
    }
    assert exported == classes, "every event class is listed in ALL_EVENT_TYPES"
    for cls in classes:
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, cls
        assert "__slots__" in cls.__dict__, cls
        assert not hasattr(cls, "__dict__") or "__dict__" not in cls.__dict__.get("__slots__", ())


def test_event_cannot_be_mutated() -> None:
    bar = BarReceived(
        ts_event_ns=1,
        symbol="A",
        period=BarPeriod.MINUTE,
        open=1,
        high=2,
        low=0.5,
        close=1.5,
        volume=10,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        bar.close = 3.0  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        bar.extra = 1  # type: ignore[attr-defined]


def test_created_timestamp_defaults_to_wall_clock() -> None:
    bar = BarReceived(
        ts_event_ns=1, symbol="A", period=BarPeriod.DAY, open=1, high=1, low=1, close=1, volume=0
    )
    assert bar.ts_created_ns > 1_600_000_000_000_000_000


def test_bar_period_parse_accepts_names_and_refuses_others() -> None:
    assert BarPeriod.parse("Minute") is BarPeriod.MINUTE
    assert BarPeriod.parse("1d") is BarPeriod.DAY
    with pytest.raises(ValueError, match="unknown bar period 'weekly'"):
        BarPeriod.parse("weekly")


def _without_created(event: EventBase) -> EventBase:
    return dataclasses.replace(event, ts_created_ns=0)


def test_event_factory_builds_what_the_constructor_builds_malformed_requests_included() -> None:
    """The order path's builders (``event_factory``) give events equal to ``cls(...)``: fields,
    defaults, and a request's own checks (``invalid``, names converted)."""
    fields = ("ts_event_ns", "order_id", "strategy_id", "symbol", "side", "order_type")
    fields += ("quantity", "limit_price", "stop_price", "time_in_force", "expire_ns")
    make = event_factory(events.OrderSubmissionRequest)
    cases = [
        (5, 1, "S", "A", Side.BUY, OrderType.MARKET, 1.0, None, None, TimeInForce.GTC, None),
        (5, 2, "S", "A", Side.SELL, OrderType.LIMIT, 2, 9.5, None, "day", None),  # converted
        (5, 3, "S", "A", Side.BUY, OrderType.MARKET, "lots", None, None, TimeInForce.GTC, None),
    ]
    for values in cases:
        built = make(*values)
        expected = events.OrderSubmissionRequest(**dict(zip(fields, values, strict=True)))
        assert _without_created(built) == _without_created(expected)
        assert built.ts_created_ns > 1_600_000_000_000_000_000
    assert make(*cases[2]).invalid is not None
    assert make(*cases[1]).time_in_force is TimeInForce.DAY
    matched = event_factory(events.OrdersMatched)(7)
    assert _without_created(matched) == _without_created(events.OrdersMatched(ts_event_ns=7))
    with pytest.raises(TypeError, match="order_id"):
        event_factory(events.OrderAccepted)(5, strategy_id="S")  # as the constructor would
