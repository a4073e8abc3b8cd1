"""The typed batches the GUI bridge emits: plain data, built on the main thread, read by widgets.

Bars and indicator values are numpy columns per symbol, so a chart appends a batch with a few
array operations instead of a Python call per bar.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import BarPeriod, BarReceived, FillEvent

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


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
    def concat(cls, parts: Sequence[BarColumns]) -> BarColumns:
        """Batches of one symbol, oldest first, as one (no copy for a single batch)."""
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__slots__))

    def bar_event(
        self, i: int, symbol: str, period: BarPeriod, created_ns: int | None = None
    ) -> BarReceived:
        """Bar ``i`` as the event the blotters mark positions with (made now by default)."""
        return BarReceived(
            ts_event_ns=int(self.ts[i]),
            ts_created_ns=time.time_ns() if created_ns is None else created_ns,
            symbol=symbol,
            period=period,
            open=float(self.open[i]),
            high=float(self.high[i]),
            low=float(self.low[i]),
            close=float(self.close[i]),
            volume=float(self.volume[i]),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class IndicatorColumns:
    """One symbol's indicator values of a batch: ``values[:, i]`` is indicator ``names[i]``."""

    ts: Ints
    names: tuple[str, ...]
    values: Floats

    @classmethod
    def concat(cls, parts: Sequence[IndicatorColumns]) -> IndicatorColumns:
        """Batches of one symbol's lines, oldest first, as one (no copy for a single one)."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            ts=np.concatenate([p.ts for p in parts]),
            names=parts[0].names,
            values=np.concatenate([p.values for p in parts]),
        )

    def column(self, name: str) -> Floats:
        return self.values[:, self.names.index(name)]


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


@dataclasses.dataclass(frozen=True, slots=True)
class FillColumns:
    """One symbol's fills as the chart takes them; ``side`` is +1 buy / -1 sell."""

    ts: Ints
    side: npt.NDArray[np.int8]
    quantity: Floats
    price: Floats
    order_id: Ints

    @classmethod
    def from_events(cls, fills: Sequence[FillEvent]) -> FillColumns:
        n = len(fills)
        return cls(
            np.fromiter((f.ts_event_ns for f in fills), np.int64, n),
            np.fromiter((f.side.sign for f in fills), np.int8, n),
            np.fromiter((f.quantity for f in fills), np.float64, n),
            np.fromiter((f.price for f in fills), np.float64, n),
            np.fromiter((f.order_id for f in fills), np.int64, n),
        )
