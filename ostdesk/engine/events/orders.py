"""What happens to working orders in the market: fills, expiries, and the broker's per-bar mark."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import Side


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class FillEvent(EventBase):
    """An execution. ``quantity`` is positive; ``side`` gives the direction."""

    fill_id: int
    order_id: int
    strategy_id: str
    symbol: str
    side: Side
    quantity: float
    price: float
    commission: float


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderExpired(EventBase):
    order_id: int
    strategy_id: str


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrdersMatched(EventBase):
    """The simulated broker has matched its working orders on ``symbol`` against the bar at
    ``ts_event_ns``: every fill or expiry of that bar has already been published.

    A strategy holding working orders waits for this before its ``on_bar``, so it always sees
    the fills of a bar before deciding on it, whatever the thread scheduling.
    """

    symbol: str
