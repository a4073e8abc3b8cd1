"""Rolling extremes: the highest high and lowest low of the last ``n`` bars.

Two single-line indicators rather than one with two lines, so a strategy that needs only a
breakout level pays for one deque, and each is a plain series to compare with (``ind[-1]``).
Both plot on the price pane; together they draw a Donchian channel.
"""

from __future__ import annotations

from typing import ClassVar, Self

from ostdesk.engine.indicators.base import Placement, SourcedIndicator, check_length
from ostdesk.engine.indicators.rolling import RollingMax, RollingMin


class Highest(SourcedIndicator):
    """Highest ``source`` value (the high by default) of the last ``n`` bars, this one included.

    First value at bar ``n-1``. A breakout test compares the close with ``highest[-2]``, the
    level before this bar.
    """

    __slots__ = ("_max", "length")

    placement = Placement.PRICE
    lines = ("value",)
    default_source: ClassVar[str] = "high"

    def __init__(self, length: int, source: str = "high") -> None:
        self.length = check_length("Highest length", length)
        super().__init__("Highest", (self.length,), source)
        self._max = RollingMax(self.length)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        self._main.append(self._max.push(x))

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)


class Lowest(SourcedIndicator):
    """Lowest ``source`` value (the low by default) of the last ``n`` bars, this one included.

    First value at bar ``n-1``.
    """

    __slots__ = ("_min", "length")

    placement = Placement.PRICE
    lines = ("value",)
    default_source: ClassVar[str] = "low"

    def __init__(self, length: int, source: str = "low") -> None:
        self.length = check_length("Lowest length", length)
        super().__init__("Lowest", (self.length,), source)
        self._min = RollingMin(self.length)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        self._main.append(self._min.push(x))

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)
