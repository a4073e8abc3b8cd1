"""Requests a strategy sends to a broker. Requests are nouns; the broker answers with facts.

A request checks its fields as it is built (:mod:`ostdesk.engine.events.order_fields`): it
holds values of its declared types, and a value strategy code passed that cannot be one is
``None``, with ``invalid`` saying which and why; the broker rejects such a request with that
sentence. The common case, every field already of its type, costs a few type tests.
"""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import OrderType, Side, TimeInForce
from ostdesk.engine.events.order_fields import (
    CANCELLATION,
    INT64,
    MODIFICATION,
    SUBMISSION,
    check_fields,
)

_FLOAT_OR_NONE = frozenset((float, type(None)))


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderSubmissionRequest(EventBase):
    """Ask for a new order. ``ts_event_ns`` is the market time of the decision (the bar seen),
    which is what keeps the broker from filling the order on that same bar.

    ``symbol``, ``quantity`` and ``time_in_force`` are ``None`` only in a request whose
    ``invalid`` says why."""

    order_id: int
    strategy_id: str
    symbol: str | None
    side: Side
    order_type: OrderType
    quantity: float | None
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce | None = TimeInForce.GTC
    expire_ns: int | None = None
    invalid: str | None = dataclasses.field(default=None, init=False)
    """Why the request cannot be an order (its first malformed field), or None."""

    def __post_init__(self) -> None:
        if not (
            self.quantity.__class__ is float
            and self.limit_price.__class__ in _FLOAT_OR_NONE
            and self.stop_price.__class__ in _FLOAT_OR_NONE
            and self.time_in_force.__class__ is TimeInForce
            and self.expire_ns is None
            and self.symbol.__class__ is str
        ):
            check_fields(self, SUBMISSION)


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderModificationRequest(EventBase):
    """Change a working order; ``None`` leaves a field as it is (``order_id`` is ``None`` only
    when ``invalid`` says why)."""

    order_id: int | None
    strategy_id: str
    quantity: float | None = None
    limit_price: float | None = None
    stop_price: float | None = None
    invalid: str | None = dataclasses.field(default=None, init=False)
    """Why the request cannot change an order (its first malformed field), or None."""

    def __post_init__(self) -> None:
        if not (
            self.quantity.__class__ in _FLOAT_OR_NONE
            and self.limit_price.__class__ in _FLOAT_OR_NONE
            and self.stop_price.__class__ in _FLOAT_OR_NONE
            and self.order_id.__class__ is int
            and self.order_id in INT64
        ):
            check_fields(self, MODIFICATION)


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderCancellationRequest(EventBase):
    """Cancel a working order (``order_id`` is ``None`` only when ``invalid`` says why)."""

    order_id: int | None
    strategy_id: str
    invalid: str | None = dataclasses.field(default=None, init=False)
    """Why the request cannot name an order, or None."""

    def __post_init__(self) -> None:
        if not (self.order_id.__class__ is int and self.order_id in INT64):
            check_fields(self, CANCELLATION)
