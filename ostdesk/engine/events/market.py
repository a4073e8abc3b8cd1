"""Market data events: a bar as received, and a bar after a strategy computed its indicators."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase
from ostdesk.engine.events.enums import BarPeriod


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class BarReceived(EventBase):
    """One OHLCV bar; ``ts_event_ns`` is the bar's open time (UTC)."""

    symbol: str
    period: BarPeriod
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class BarProcessed(EventBase):
    """A bar as a strategy saw it, with its indicator values (``names[i]`` -> ``values[i]``).

    Tuples rather than a dict keep the event immutable and cheap to build once per bar.
    """

    strategy_id: str
    bar: BarReceived
    names: tuple[str, ...]
    values: tuple[float, ...]


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class BarsComplete(EventBase):
    """The datafeed has published every bar of ``ts_event_ns`` (``count`` of them).

    Published after the bars of one timestamp and before the idle barrier; the simulated broker
    answers it with ``OrdersMatched``.
    """

    count: int
