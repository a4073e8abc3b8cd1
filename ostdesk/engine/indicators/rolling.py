"""O(1) rolling accumulators the indicators are built from; they keep no history.

Running sums drift: each add/subtract rounds, and after a large value leaves the window its
rounding error stays behind in the sum. The windowed accumulators therefore re-sum their window
exactly (``math.fsum``) each time the ring buffer wraps, which costs O(n) once per n updates
(amortised O(1)) and bounds the error to what one window's worth of updates can add; the
rolling mean also compensates its running sum, so that within a window it stays exact too.

Inputs are assumed finite (the datafeed rejects NaN bars); a NaN would poison the sums until
the next re-sum.
"""

from __future__ import annotations

import math
from collections import deque

_NAN = math.nan


class RollingMean:
    """Mean of the last ``n`` values; NaN until ``n`` values have been pushed.

    The running sum is compensated (Neumaier) and re-summed exactly at each wrap, keeping the
    re-sum's own rounding error: otherwise, when a large value leaves the window, its rounding
    error stays behind, e.g. the mean of (0.001, 0.001) after a 16 came out 0.0010000000000012,
    above the window's maximum.
    """

    __slots__ = ("_buf", "_comp", "_full", "_i", "_n", "_sum")

    def __init__(self, n: int) -> None:
        self._n = n
        self._buf = [0.0] * n
        self._i = 0
        self._sum = 0.0
        self._comp = 0.0
        self._full = False

    def push(self, x: float) -> float:
        buf = self._buf
        i = self._i
        s, c = self._sum, self._comp
        t = s + x  # Neumaier: add x, then remove the value leaving, keeping each rounding error
        c += (s - t) + x if abs(s) >= abs(x) else (x - t) + s
        old = -buf[i]
        s = t + old
        c += (t - s) + old if abs(t) >= abs(old) else (old - s) + t
        buf[i] = x
        i += 1
        if i == self._n:
            i = 0
            s = math.fsum(buf)  # the exact sum, rounded; its rounding error goes to ``c``
            buf.append(-s)
            c = math.fsum(buf)
            buf.pop()
            self._full = True
        self._i = i
        self._sum, self._comp = s, c
        return (s + c) / self._n if self._full else _NAN


class RollingMoments:
    """Mean and population standard deviation (ddof=0) of the last ``n`` values.

    Updated with the sliding form of Welford's algorithm (no ``sum(x**2) - n*mean**2``
    cancellation at high price levels), and recomputed by two exact passes on each wrap.
    """

    __slots__ = ("_buf", "_count", "_i", "_m2", "_mean", "_n")

    def __init__(self, n: int) -> None:
        self._n = n
        self._buf = [0.0] * n
        self._i = 0
        self._count = 0
        self._mean = 0.0
        self._m2 = 0.0

    def push(self, x: float) -> tuple[float, float]:
        buf = self._buf
        i = self._i
        n = self._n
        mean = self._mean
        if self._count < n:
            count = self._count + 1
            self._count = count
            d = x - mean
            new_mean = mean + d / count
            self._m2 += d * (x - new_mean)
        else:
            old = buf[i]
            new_mean = mean + (x - old) / n
            self._m2 += (x - old) * (x - new_mean + old - mean)
        self._mean = new_mean
        buf[i] = x
        i += 1
        if i == n:
            i = 0
            new_mean = self._mean = math.fsum(buf) / n
            self._m2 = math.fsum([(v - new_mean) * (v - new_mean) for v in buf])
        self._i = i
        if self._count < n:
            return _NAN, _NAN
        m2 = self._m2
        return new_mean, math.sqrt(m2 / n) if m2 > 0.0 else 0.0


class SeededEma:
    """Exponential average with smoothing ``alpha``, seeded by the mean of the first ``n`` values.

    ``alpha = 2/(n+1)`` gives the classic EMA, ``alpha = 1/n`` Wilder's smoothing (RSI, ATR, ADX);
    both are TA-Lib's conventions. The first value comes with the ``n``-th input.
    """

    __slots__ = ("_alpha", "_count", "_n", "_value")

    def __init__(self, n: int, alpha: float) -> None:
        self._n = n
        self._alpha = alpha
        self._count = 0
        self._value = 0.0

    def push(self, x: float) -> float:
        count = self._count
        if count >= self._n:
            v = self._value
            v += self._alpha * (x - v)
            self._value = v
            return v
        count += 1
        self._count = count
        self._value += x
        if count < self._n:
            return _NAN
        v = self._value = self._value / count
        return v


class RollingMax:
    """Highest of the last ``n`` values via a monotonic deque (amortised O(1) per push)."""

    __slots__ = ("_count", "_idx", "_n", "_vals")

    def __init__(self, n: int) -> None:
        self._n = n
        self._count = 0
        self._idx: deque[int] = deque()
        self._vals: deque[float] = deque()

    def push(self, x: float) -> float:
        vals = self._vals
        idx = self._idx
        i = self._count
        self._count = i + 1
        while vals and vals[-1] <= x:
            vals.pop()
            idx.pop()
        vals.append(x)
        idx.append(i)
        if idx[0] <= i - self._n:
            idx.popleft()
            vals.popleft()
        return vals[0] if i + 1 >= self._n else _NAN


class RollingMin:
    """Lowest of the last ``n`` values via a monotonic deque (amortised O(1) per push)."""

    __slots__ = ("_count", "_idx", "_n", "_vals")

    def __init__(self, n: int) -> None:
        self._n = n
        self._count = 0
        self._idx: deque[int] = deque()
        self._vals: deque[float] = deque()

    def push(self, x: float) -> float:
        vals = self._vals
        idx = self._idx
        i = self._count
        self._count = i + 1
        while vals and vals[-1] >= x:
            vals.pop()
            idx.pop()
        vals.append(x)
        idx.append(i)
        if idx[0] <= i - self._n:
            idx.popleft()
            vals.popleft()
        return vals[0] if i + 1 >= self._n else _NAN
