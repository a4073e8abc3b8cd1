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
    """The simulated broker has matched the orders it held against every bar at ``ts_event_ns``:
    each fill and expiry of that timestamp has been published before this event.

    Published only for timestamps at which the broker held working orders from earlier
    timestamps. A strategy holding such orders waits for it before its ``on_bar``, so it always
    sees a bar's fills before deciding on that bar, whatever the thread scheduling.
    """
