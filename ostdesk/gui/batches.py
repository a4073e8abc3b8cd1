"""The typed batches the GUI bridge emits: plain data, built on the main thread, read by widgets.

Bars and indicator values are numpy columns per symbol, so a chart appends a batch with a few
array operations instead of a Python call per bar.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import BarProcessed, BarReceived

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_TS = attrgetter("ts_event_ns")


@dataclasses.dataclass(frozen=True, slots=True)
class BarColumns:
    """One symbol's bars of a batch, oldest first; ``ts`` is each bar's open time (ns, UTC)."""

    ts: Ints
    open: Floats
    high: Floats
    low: Floats
    close: Floats
    volume: Floats

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def from_events(cls, bars: Sequence[BarReceived]) -> BarColumns:
        n = len(bars)

        def column(name: str) -> Floats:
            return np.fromiter(map(attrgetter(name), bars), np.float64, n)

        return cls(
            ts=np.fromiter(map(_TS, bars), np.int64, n),
            open=column("open"),
            high=column("high"),
            low=column("low"),
            close=column("close"),
            volume=column("volume"),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class IndicatorColumns:
    """One symbol's indicator values of a batch: ``values[:, i]`` is indicator ``names[i]``."""

    ts: Ints
    names: tuple[str, ...]
    values: Floats

    def column(self, name: str) -> Floats:
        return self.values[:, self.names.index(name)]

    @classmethod
    def from_events(cls, events: Sequence[BarProcessed]) -> IndicatorColumns:
        n = len(events)
        ts = np.fromiter((e.bar.ts_event_ns for e in events), np.int64, n)
        names = events[0].names
        values = np.array([e.values for e in events], dtype=np.float64).reshape(n, len(names))
        return cls(ts=ts, names=names, values=values)


@dataclasses.dataclass(frozen=True, slots=True)
class PositionSnapshot:
    """A symbol's position after a batch (average cost, as ``engine.portfolio`` books it)."""

    symbol: str
    quantity: float
    avg_price: float
    last_price: float
    realized_pnl: float
    unrealized_pnl: float


@dataclasses.dataclass(frozen=True, slots=True)
class RunProgress:
    """Where the current run is: ``fraction`` of its bars, ``status`` as ``RunStatus.value``."""

    run_id: int | None
    fraction: float
    bars: int
    total_bars: int
    bars_per_second: float
    elapsed: float
    status: str
