"""Requests a strategy sends to a broker. Requests are nouns; the broker answers with facts."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import OrderType, Side, TimeInForce


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderSubmissionRequest(EventBase):
    """Ask for a new order. ``ts_event_ns`` is the market time of the decision (the bar seen),
    which is what keeps the broker from filling the order on that same bar."""

    order_id: int
    strategy_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: float
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_ns: int | None = None


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderModificationRequest(EventBase):
    """Change a working order; ``None`` leaves a field as it is."""

    order_id: int
    strategy_id: str
    quantity: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderCancellationRequest(EventBase):
    """Cancel a working order."""

    order_id: int
    strategy_id: str
