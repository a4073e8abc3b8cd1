"""Volatility measures: Average True Range and Bollinger Bands."""

from __future__ import annotations

import math
from typing import Self

from ostdesk.engine.indicators.base import (
    Indicator,
    Placement,
    SourcedIndicator,
    check_length,
    check_positive,
)
from ostdesk.engine.indicators.rolling import RollingMoments, SeededEma

_NAN = math.nan


class ATR(Indicator):
    """Wilder's Average True Range.

    ``TR = max(high - low, |high - prev_close|, |low - prev_close|)``, and ``high - low`` on the
    first bar. ``ATR`` is the Wilder average (``alpha = 1/n``) of TR seeded by the mean of the
    first ``n`` TRs, so the first value is at bar ``n-1``.
    """

    __slots__ = ("_atr", "_prev_close", "length")

    placement = Placement.PANE
    lines = ("value",)

    def __init__(self, length: int = 14) -> None:
        self.length = n = check_length("ATR length", length)
        super().__init__(f"ATR({n})")
        self._atr = SeededEma(n, 1.0 / n)
        self._prev_close = _NAN

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        tr = high - low
        prev = self._prev_close
        if prev == prev:
            up = high - prev if high > prev else prev - high
            down = low - prev if low > prev else prev - low
            if up > tr:
                tr = up
            if down > tr:
                tr = down
        self._prev_close = close
        self._main.append(self._atr.push(tr))

    def clone(self) -> Self:
        return type(self)(self.length)


class Bollinger(SourcedIndicator):
    """Bollinger Bands: ``middle = SMA(n)``, ``upper/lower = middle +/- k * std``.

    ``std`` is the population standard deviation of the window (ddof=0, as TA-Lib);
    ``width = (upper - lower) / middle`` is a ratio, not a price. First values at bar ``n-1``.
    """

    __slots__ = ("_moments", "k", "length")

    placement = Placement.PRICE
    lines = ("middle", "upper", "lower", "width")

    def __init__(self, length: int = 20, k: float = 2.0, source: str = "close") -> None:
        self.length = check_length("Bollinger length", length, minimum=2)
        self.k = check_positive("Bollinger k", k)
        super().__init__("BB", (self.length, f"{self.k:g}"), source)
        self._moments = RollingMoments(self.length)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        middle, std = self._moments.push(x)
        half = self.k * std
        upper = middle + half
        lower = middle - half
        middle_line, upper_line, lower_line, width_line = self._history
        middle_line.append(middle)
        upper_line.append(upper)
        lower_line.append(lower)
        width_line.append((upper - lower) / middle if middle != 0.0 else _NAN)

    def clone(self) -> Self:
        return type(self)(self.length, self.k, source=self.source)
