"""All engine events, one small module per family, re-exported here."""

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import (
    BarPeriod,
    OrderType,
    RejectionReason,
    Side,
    TimeInForce,
)
from ostdesk.engine.events.logs import StrategyLogged
from ostdesk.engine.events.market import (
    BarBlock,
    BarProcessed,
    BarReceived,
    BarsComplete,
    IndicatorBlock,
)
from ostdesk.engine.events.orders import FillEvent, OrderExpired, OrdersMatched
from ostdesk.engine.events.requests import (
    OrderCancellationRequest,
    OrderModificationRequest,
    OrderSubmissionRequest,
)
from ostdesk.engine.events.responses import (
    CancellationAccepted,
    CancellationRejected,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderRejected,
)

ALL_EVENT_TYPES: tuple[type[EventBase], ...] = (
    BarReceived,
    BarProcessed,
    BarsComplete,
    BarBlock,
    IndicatorBlock,
    OrderSubmissionRequest,
    OrderModificationRequest,
    OrderCancellationRequest,
    OrderAccepted,
    OrderRejected,
    ModificationAccepted,
    ModificationRejected,
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    OrderExpired,
    OrdersMatched,
    StrategyLogged,
)

__all__ = [
    "ALL_EVENT_TYPES",
    "BarBlock",
    "BarPeriod",
    "BarProcessed",
    "BarReceived",
    "BarsComplete",
    "CancellationAccepted",
    "CancellationRejected",
    "EventBase",
    "FillEvent",
    "IndicatorBlock",
    "ModificationAccepted",
    "ModificationRejected",
    "OrderAccepted",
    "OrderCancellationRequest",
    "OrderExpired",
    "OrderModificationRequest",
    "OrderRejected",
    "OrderSubmissionRequest",
    "OrderType",
    "OrdersMatched",
    "RejectionReason",
    "Side",
    "StrategyLogged",
    "TimeInForce",
]
