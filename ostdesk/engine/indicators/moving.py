"""Moving averages: SMA, EMA and WMA of one bar input (the close by default)."""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from typing import Self

from ostdesk.engine.indicators.base import Placement, SourcedIndicator, check_length
from ostdesk.engine.indicators.rolling import RollingMean, SeededEma

_NAN = math.nan


class SMA(SourcedIndicator):
    """Simple moving average: ``mean(x[t-n+1 .. t])``; first value at bar ``n-1``."""

    __slots__ = ("_mean", "length")

    placement = Placement.PRICE
    lines = ("value",)

    def __init__(self, length: int, source: str = "close") -> None:
        self.length = check_length("SMA length", length)
        super().__init__("SMA", (self.length,), source)
        self._mean = RollingMean(self.length)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        self._main.append(self._mean.push(x))

    def close_feed(self) -> tuple[Callable[[float], float], array[float]] | None:
        if self._pick is None and type(self).update is SMA.update:  # not a subclass's own
            return self._mean.push, self._main
        return None

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)


class EMA(SourcedIndicator):
    """Exponential moving average, ``e[t] = e[t-1] + a*(x[t] - e[t-1])`` with ``a = 2/(n+1)``.

    Seeded by the SMA of the first ``n`` values (TA-Lib's convention), so the first value is at
    bar ``n-1`` and equals ``SMA(n)`` there.
    """

    __slots__ = ("_ema", "length")

    placement = Placement.PRICE
    lines = ("value",)

    def __init__(self, length: int, source: str = "close") -> None:
        self.length = check_length("EMA length", length)
        super().__init__("EMA", (self.length,), source)
        self._ema = SeededEma(self.length, 2.0 / (self.length + 1))

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        self._main.append(self._ema.push(x))

    def close_feed(self) -> tuple[Callable[[float], float], array[float]] | None:
        if self._pick is None and type(self).update is EMA.update:  # not a subclass's own
            return self._ema.push, self._main
        return None

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)


class WMA(SourcedIndicator):
    """Linearly weighted moving average: ``sum(k * x[t-n+k], k=1..n) / (n(n+1)/2)``.

    The newest value weighs ``n``, the oldest 1; first value at bar ``n-1``. Kept in O(1) from
    the window sum ``S`` and weighted sum ``W``: ``W' = W - S + n*x``, ``S' = S - x_old + x``,
    both re-summed exactly each time the window wraps (see ``rolling``).
    """

    __slots__ = ("_buf", "_count", "_divisor", "_i", "_sum", "_wsum", "length")

    placement = Placement.PRICE
    lines = ("value",)

    def __init__(self, length: int, source: str = "close") -> None:
        self.length = n = check_length("WMA length", length)
        super().__init__("WMA", (n,), source)
        self._divisor = n * (n + 1) / 2.0
        self._buf = [0.0] * n
        self._i = 0
        self._count = 0
        self._sum = 0.0
        self._wsum = 0.0

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        n = self.length
        buf = self._buf
        i = self._i
        count = self._count
        if count < n:
            count = self._count = count + 1
            self._wsum += count * x
            self._sum += x
        else:
            self._wsum += n * x - self._sum
            self._sum += x - buf[i]
        buf[i] = x
        i += 1
        if i == n:
            i = 0
            self._sum = math.fsum(buf)
            self._wsum = math.fsum([k * v for k, v in enumerate(buf, 1)])
        self._i = i
        self._main.append(self._wsum / self._divisor if count == n else _NAN)

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)
