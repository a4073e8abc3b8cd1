"""Events are immutable value objects with slots, stamped with two clocks."""

from __future__ import annotations

import dataclasses

import pytest

from ostdesk.engine import events
from ostdesk.engine.events import ALL_EVENT_TYPES, BarPeriod, BarReceived, EventBase


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
