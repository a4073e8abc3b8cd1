"""Level of detail, Qt-free: merge bars into buckets so a zoomed-out chart draws pixels, not bars.

Buckets are aligned to multiples of their size (bucket k holds bars ``[k*b, (k+1)*b)``), so panning
never changes which bars merge together and the picture does not shimmer. Sizes are powers of two,
so a small zoom keeps the same size and the cached span stays valid.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ostdesk.gui.chart.series import FloatArray


def bucket_size(bars: float, pixels: float, min_px: float) -> int:
    """Smallest power of two giving each drawn bucket at least ``min_px`` pixels."""
    if pixels <= 0 or bars <= 0:
        return 1
    need = bars * min_px / pixels
    return 1 if need <= 1 else 1 << math.ceil(math.log2(need))


@dataclasses.dataclass(frozen=True)
class MergedBars:
    """One entry per bucket; ``x`` is the bucket's centre in bar-index units."""

    x: FloatArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return len(self.x)


def merge_bars(
    open: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    start: int,
    stop: int,
    bucket: int,
) -> MergedBars:
    """Buckets of bars ``[start, stop)`` (start aligned to ``bucket``): first open, max high,
    min low, last close, summed volume. The last bucket may be partial."""
    stop = min(stop, len(open))
    if stop <= start:
        e = np.empty(0)
        return MergedBars(e, e, e, e, e, e)
    if bucket == 1:
        x = np.arange(start, stop, dtype=np.float64)
        return MergedBars(
            x,
            open[start:stop],
            high[start:stop],
            low[start:stop],
            close[start:stop],
            volume[start:stop],
        )
    firsts = np.arange(start, stop, bucket)
    lasts = np.minimum(firsts + bucket, stop) - 1
    rel = firsts - start
    return MergedBars(
        (firsts + (bucket - 1) / 2.0).astype(np.float64),
        open[firsts],
        np.maximum.reduceat(high[start:stop], rel),
        np.minimum.reduceat(low[start:stop], rel),
        close[lasts],
        np.add.reduceat(volume[start:stop], rel),
    )


def peak_line(x: FloatArray, y: FloatArray, bucket: int) -> tuple[FloatArray, FloatArray]:
    """Decimate a line to a min and a max per bucket of x (sorted, in bar units), so spikes
    survive zooming out. NaNs are ignored unless a whole bucket is NaN."""
    if bucket == 1 or len(x) < 2:
        return x, y
    key = np.floor(x / bucket)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(key)) + 1))
    if len(starts) * 2 >= len(x):
        return x, y
    lo = np.fmin.reduceat(y, starts)
    hi = np.fmax.reduceat(y, starts)
    centre = key[starts] * bucket + (bucket - 1) / 2.0
    xs = np.repeat(centre, 2)
    ys = np.empty(len(xs))
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


def finite_range(*arrays: FloatArray) -> tuple[float, float] | None:
    """(min, max) over the finite values of the arrays, or None if there are none."""
    lo, hi = np.inf, -np.inf
    for arr in arrays:
        if len(arr):
            lo = min(lo, float(np.fmin.reduce(arr)))
            hi = max(hi, float(np.fmax.reduce(arr)))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return lo, hi
