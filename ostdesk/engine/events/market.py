"""Market data events: a bar as received, and a bar after a strategy computed its indicators."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events.base import EventBase, event_factory
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


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class BarBlock(EventBase):
    """The bars the datafeed has just published, as columns (``symbol_index`` into
    ``symbols``), in publication order; ``ts_event_ns`` is the last bar's time.

    For sinks that keep every bar (the recorder): one event per few thousand bars instead of a
    Python object per bar to take apart. The arrays are views the publisher never changes.
    """

    symbols: tuple[str, ...]
    period: BarPeriod
    ts: npt.NDArray[np.int64]
    symbol_index: npt.NDArray[np.int32]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class IndicatorBlock(EventBase):
    """A strategy's indicator values for the bars it processed since its last block, as
    columns sorted by time: row ``i`` is the bar of ``symbols[symbol_index[i]]`` at ``ts[i]``
    and ``values[i, j]`` the value of line ``names[j]``.

    The columnar twin of ``BarProcessed`` for sinks that keep every value (the recorder)."""

    strategy_id: str
    names: tuple[str, ...]
    symbols: tuple[str, ...]
    ts: npt.NDArray[np.int64]
    symbol_index: npt.NDArray[np.int32]
    values: npt.NDArray[np.float64]


def bar_processed_factory() -> Callable[
    [int, str, BarReceived, tuple[str, ...], tuple[float, ...]], BarProcessed
]:
    """Builds ``BarProcessed`` (see ``event_factory``): it is made once per bar whenever
    someone listens for it."""
    return event_factory(BarProcessed)
