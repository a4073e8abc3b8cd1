"""ostdesk: research, backtest and replay trading strategies on an event-driven engine.

The public surface for strategy authors::

    from ostdesk import Strategy, Param
    from ostdesk.indicators import SMA
"""

from ostdesk.engine.events import BarReceived, FillEvent, OrderType, Side, TimeInForce
from ostdesk.engine.params import Param, ParamError
from ostdesk.engine.strategy import Strategy

__version__ = "0.1.0"

__all__ = [
    "BarReceived",
    "FillEvent",
    "OrderType",
    "Param",
    "ParamError",
    "Side",
    "Strategy",
    "TimeInForce",
    "__version__",
]
