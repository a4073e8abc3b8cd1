"""The broker's answers to requests. Rejections carry a reason code and a sentence for humans."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import RejectionReason


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderAccepted(EventBase):
    order_id: int
    strategy_id: str


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class OrderRejected(EventBase):
    order_id: int
    strategy_id: str
    reason: RejectionReason
    message: str


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class ModificationAccepted(EventBase):
    """The order now has these values (all of them, not only the changed ones)."""

    order_id: int
    strategy_id: str
    quantity: float
    limit_price: float | None
    stop_price: float | None


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class ModificationRejected(EventBase):
    """``order_id`` is ``None`` when the request named no order (it was not an integer)."""

    order_id: int | None
    strategy_id: str
    reason: RejectionReason
    message: str


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class CancellationAccepted(EventBase):
    order_id: int
    strategy_id: str


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class CancellationRejected(EventBase):
    """``order_id`` is ``None`` when the request named no order (it was not an integer)."""

    order_id: int | None
    strategy_id: str
    reason: RejectionReason
    message: str
