"""Momentum oscillators: RSI, MACD and the (slow) Stochastic."""

from __future__ import annotations

import math
from typing import Self

from ostdesk.engine.indicators.base import (
    Indicator,
    Placement,
    SourcedIndicator,
    check_length,
)
from ostdesk.engine.indicators.rolling import RollingMax, RollingMean, RollingMin, SeededEma

_NAN = math.nan


class RSI(SourcedIndicator):
    """Wilder's relative strength index, ``100 * G / (G + L)``, in [0, 100].

    ``G`` and ``L`` are Wilder averages (``alpha = 1/n``) of the bar-to-bar gains and losses,
    seeded by the simple mean of the first ``n`` of them (Wilder/TA-Lib), so the first value is
    at bar ``n`` (bar 0 has no change). With no gains and no losses at all it reads 50, the
    neutral level (TA-Lib reads 0 there).
    """

    __slots__ = ("_gain", "_loss", "_prev", "length")

    placement = Placement.PANE
    lines = ("value",)

    def __init__(self, length: int = 14, source: str = "close") -> None:
        self.length = n = check_length("RSI length", length)
        super().__init__("RSI", (n,), source)
        self._gain = SeededEma(n, 1.0 / n)
        self._loss = SeededEma(n, 1.0 / n)
        self._prev = _NAN

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        change = x - self._prev  # NaN on the first bar
        self._prev = x
        if change != change:
            self._main.append(_NAN)
            return
        gain = self._gain.push(change if change > 0.0 else 0.0)
        loss = self._loss.push(-change if change < 0.0 else 0.0)
        total = gain + loss  # NaN during warm-up
        if total > 0.0:
            self._main.append(100.0 * gain / total)
        else:
            self._main.append(50.0 if total == 0.0 else _NAN)

    def clone(self) -> Self:
        return type(self)(self.length, source=self.source)


class MACD(SourcedIndicator):
    """Moving average convergence/divergence: ``macd = EMA(fast) - EMA(slow)``.

    ``signal = EMA(signal)`` of the MACD values and ``histogram = macd - signal``. Every EMA is
    seeded by the SMA of its first inputs (see ``EMA``); each EMA starts on its own first bar, so
    ``macd`` is ready at bar ``slow-1`` and ``signal``/``histogram`` at ``slow+signal-2``
    (33 for 12/26/9). TA-Lib instead delays the fast EMA's seed to align with the slow one, so
    its first values differ slightly; the difference decays with the fast EMA.
    """

    __slots__ = ("_fast", "_signal", "_slow", "fast", "signal", "slow")

    placement = Placement.PANE
    lines = ("macd", "signal", "histogram")

    def __init__(
        self, fast: int = 12, slow: int = 26, signal: int = 9, source: str = "close"
    ) -> None:
        self.fast = check_length("MACD fast length", fast)
        self.slow = check_length("MACD slow length", slow)
        self.signal = check_length("MACD signal length", signal)
        if self.fast >= self.slow:
            raise ValueError(
                f"MACD fast length must be < slow length, got fast={fast!r}, slow={slow!r}"
            )
        super().__init__("MACD", (self.fast, self.slow, self.signal), source)
        self._fast = SeededEma(self.fast, 2.0 / (self.fast + 1))
        self._slow = SeededEma(self.slow, 2.0 / (self.slow + 1))
        self._signal = SeededEma(self.signal, 2.0 / (self.signal + 1))

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        pick = self._pick
        x = close if pick is None else pick(open, high, low, close, volume)
        macd = self._fast.push(x) - self._slow.push(x)
        signal = self._signal.push(macd) if macd == macd else _NAN
        macd_line, signal_line, histogram_line = self._history
        macd_line.append(macd)
        signal_line.append(signal)
        histogram_line.append(macd - signal)

    def clone(self) -> Self:
        return type(self)(self.fast, self.slow, self.signal, source=self.source)


class Stochastic(Indicator):
    """Slow stochastic oscillator, in [0, 100].

    Raw ``%K = 100 * (close - LL) / (HH - LL)`` over the last ``k`` highs/lows (50 when the
    range is flat; TA-Lib reads 0), ``k = SMA(smooth_k)`` of raw %K and ``d = SMA(d)`` of ``k``.
    ``k`` is first ready at bar ``k+smooth_k-2``, ``d`` at ``k+smooth_k+d-3`` (15 and 17 for
    14/3/3). ``smooth_k=1`` gives the fast stochastic.
    """

    __slots__ = ("_d", "_highest", "_k", "_lowest", "d", "k", "smooth_k")

    placement = Placement.PANE
    lines = ("k", "d")

    def __init__(self, k: int = 14, smooth_k: int = 3, d: int = 3) -> None:
        self.k = check_length("Stochastic k length", k)
        self.smooth_k = check_length("Stochastic smooth_k length", smooth_k)
        self.d = check_length("Stochastic d length", d)
        super().__init__(f"Stoch({self.k},{self.smooth_k},{self.d})")
        self._highest = RollingMax(self.k)
        self._lowest = RollingMin(self.k)
        self._k = RollingMean(self.smooth_k)
        self._d = RollingMean(self.d)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        hh = self._highest.push(high)
        ll = self._lowest.push(low)
        k_line, d_line = self._history
        if hh != hh:
            k_line.append(_NAN)
            d_line.append(_NAN)
            return
        span = hh - ll
        k = self._k.push(100.0 * (close - ll) / span if span > 0.0 else 50.0)
        k_line.append(k)
        d_line.append(self._d.push(k) if k == k else _NAN)

    def clone(self) -> Self:
        return type(self)(self.k, self.smooth_k, self.d)
