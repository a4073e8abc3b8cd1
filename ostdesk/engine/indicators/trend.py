"""Trend strength: Wilder's Average Directional Index with its directional indicators."""

from __future__ import annotations

import math
from typing import Self

from ostdesk.engine.indicators.base import Indicator, Placement, check_length
from ostdesk.engine.indicators.rolling import SeededEma

_NAN = math.nan


class ADX(Indicator):
    """Wilder's ADX with +DI and -DI, all in [0, 100].

    From the second bar on: ``up = high - prev_high``, ``down = prev_low - low``;
    ``+DM = up`` if ``up > down and up > 0`` else 0; ``-DM = down`` if ``down > up and down > 0``
    else 0; ``TR`` as in ``ATR``. ``+DI = 100 * W(+DM) / W(TR)`` (likewise -DI), where ``W`` is
    Wilder's average seeded by the mean of the first ``n`` values (Wilder's original; TA-Lib seeds
    with ``n-1`` values plus one smoothing step). ``DX = 100 * |+DI - -DI| / (+DI + -DI)`` and
    ``ADX = W(DX)``. +DI/-DI are ready at bar ``n``, ADX at bar ``2n-1`` (27 for 14). A flat
    market (zero range, or no directional movement) reads 0.
    """

    __slots__ = (
        "_adx",
        "_minus",
        "_plus",
        "_prev_close",
        "_prev_high",
        "_prev_low",
        "_tr",
        "length",
    )

    placement = Placement.PANE
    lines = ("adx", "plus_di", "minus_di")

    def __init__(self, length: int = 14) -> None:
        self.length = n = check_length("ADX length", length)
        super().__init__(f"ADX({n})")
        alpha = 1.0 / n
        self._tr = SeededEma(n, alpha)
        self._plus = SeededEma(n, alpha)
        self._minus = SeededEma(n, alpha)
        self._adx = SeededEma(n, alpha)
        self._prev_high = self._prev_low = self._prev_close = _NAN

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        prev_high = self._prev_high
        prev_low = self._prev_low
        prev_close = self._prev_close
        self._prev_high = high
        self._prev_low = low
        self._prev_close = close
        adx_line, plus_line, minus_line = self._history
        if prev_close != prev_close:  # first bar: no movement yet
            adx_line.append(_NAN)
            plus_line.append(_NAN)
            minus_line.append(_NAN)
            return
        up = high - prev_high
        down = prev_low - low
        tr = high - low
        gap = abs(high - prev_close)
        if gap > tr:
            tr = gap
        gap = abs(low - prev_close)
        if gap > tr:
            tr = gap
        atr = self._tr.push(tr)
        plus_dm = self._plus.push(up if up > down and up > 0.0 else 0.0)
        minus_dm = self._minus.push(down if down > up and down > 0.0 else 0.0)
        if atr != atr:
            adx_line.append(_NAN)
            plus_line.append(_NAN)
            minus_line.append(_NAN)
            return
        plus_di = 100.0 * plus_dm / atr if atr > 0.0 else 0.0
        minus_di = 100.0 * minus_dm / atr if atr > 0.0 else 0.0
        total = plus_di + minus_di
        dx = 100.0 * abs(plus_di - minus_di) / total if total > 0.0 else 0.0
        adx_line.append(self._adx.push(dx))
        plus_line.append(plus_di)
        minus_line.append(minus_di)

    def clone(self) -> Self:
        return type(self)(self.length)
