"""What the strategy host keeps for its strategy: working orders as the strategy knows them,
and per symbol the price history and a copy of each declared indicator.

Histories are ``array`` columns, as indicator lines are (``ostdesk.engine.indicators.base``):
appending costs one C call, and a block of them crosses to numpy without a copy.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import OrderType, Side, TimeInForce
from ostdesk.engine.indicators import Indicator
from ostdesk.engine.portfolio import Position

_LAST = operator.itemgetter(-1)


class OrderState:
    """A working order as the strategy knows it."""

    __slots__ = (
        "limit",
        "order_id",
        "order_type",
        "quantity",
        "side",
        "status",
        "stop",
        "symbol",
        "tif",
        "ts",
    )

    def __init__(
        self,
        order_id: int,
        symbol: str,
        side: Side,
        order_type: OrderType,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce,
        ts: int,
    ) -> None:
        self.order_id = order_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.quantity = quantity
        self.limit = limit
        self.stop = stop
        self.tif = tif
        self.ts = ts
        self.status = "submitted"

    def __repr__(self) -> str:
        price = f" limit={self.limit}" if self.limit is not None else ""
        price += f" stop={self.stop}" if self.stop is not None else ""
        return (
            f"<order {self.order_id} {self.side.name} {self.quantity:g} {self.symbol} "
            f"{self.order_type.value}{price} {self.status}>"
        )


class SymbolState:
    """One symbol's price history and indicator copies."""

    __slots__ = (
        "appends",
        "blocked",
        "close",
        "feeds",
        "high",
        "indicators",
        "last_values",
        "lines",
        "low",
        "mains",
        "open",
        "position",
        "symbol",
        "ts",
        "updates",
        "volume",
    )

    def __init__(
        self, symbol: str, prototypes: Sequence[Indicator], position: Position | None = None
    ) -> None:
        self.symbol = symbol
        self.position = position
        """The portfolio's position of the symbol (its object, kept: one lookup fewer per bar
        for the host's mark and ``Strategy.position``); None in the host's placeholder."""
        # arrays, not lists, as indicator lines are (``ostdesk.engine.indicators.base``)
        self.ts: array[int] = array("q")
        self.open: array[float] = array("d")
        self.high: array[float] = array("d")
        self.low: array[float] = array("d")
        self.close: array[float] = array("d")
        self.volume: array[float] = array("d")
        self.appends = (
            self.ts.append,
            self.open.append,
            self.high.append,
            self.low.append,
            self.close.append,
            self.volume.append,
        )
        """The histories' bound ``append``s, in bar order (ts, OHLCV): the host's per-bar
        bookkeeping without six attribute and method look-ups."""
        self.indicators = [p.clone() for p in prototypes]
        self.mains = [ind.line(ind.lines[0]) for ind in self.indicators]
        # what the host calls a bar: each indicator's ``close_feed`` if it has one (a call
        # fewer), its ``update`` otherwise; indicators are independent, so order is free
        feeds = [ind.close_feed() for ind in self.indicators]
        self.feeds = [feed for feed in feeds if feed is not None]
        self.updates = [
            ind.update for ind, feed in zip(self.indicators, feeds, strict=True) if feed is None
        ]
        # the live history of every indicator line: their last items are BarProcessed's
        # values, read in one C-level pass
        lines = [ind.line(name) for ind in self.indicators for name in ind.lines]
        self.lines = lines
        self.last_values: Callable[[], tuple[float, ...]] = lambda: tuple(map(_LAST, lines))
        self.blocked = 0  # bars already handed on in an IndicatorBlock

    def take_block(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The bars since the last block: their times and (bars x lines) indicator values."""
        start = self.blocked
        self.blocked = len(self.ts)
        values = np.empty((self.blocked - start, len(self.lines)))
        for j, line in enumerate(self.lines):
            values[:, j] = np.frombuffer(line[start:], dtype=np.float64)
        return np.frombuffer(self.ts[start:], dtype=np.int64), values
