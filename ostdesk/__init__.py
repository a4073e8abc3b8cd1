"""ostdesk: research, backtest and replay trading strategies on an event-driven engine.

The public surface for strategy authors (each name is described in ``docs/strategy-api.md``)::

    from ostdesk import Strategy, Param, OrderRejected
    from ostdesk.indicators import SMA
"""

from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderExpired,
    OrderRejected,
    OrderType,
    RejectionReason,
    Side,
    TimeInForce,
)
from ostdesk.engine.params import Param, ParamError
from ostdesk.engine.portfolio import Position
from ostdesk.engine.strategy import Strategy

__version__ = "0.1.0"

__all__ = [
    "BarPeriod",
    "BarReceived",
    "CancellationAccepted",
    "CancellationRejected",
    "FillEvent",
    "ModificationAccepted",
    "ModificationRejected",
    "OrderAccepted",
    "OrderExpired",
    "OrderRejected",
    "OrderType",
    "Param",
    "ParamError",
    "Position",
    "RejectionReason",
    "Side",
    "Strategy",
    "TimeInForce",
    "__version__",
]
