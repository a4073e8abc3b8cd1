"""Series thinned to one column of pixels: what a chart of a million points needs to draw.

A line of a million points drawn into 900 columns shows, per column, the range its points
cover; keeping each column's first, lowest, highest and last value draws the same picture
(every spike stays visible) at a few thousand points, so the file stays small whatever the
run's length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Per column: the index of its first point and its points' first, min, max and last."""

    start: IntArray
    first: FloatArray
    low: FloatArray
    high: FloatArray
    last: FloatArray

    def __len__(self) -> int:
        return len(self.start)


def envelope(
    values: npt.ArrayLike,
    columns: int,
    *,
    low: npt.ArrayLike | None = None,
    high: npt.ArrayLike | None = None,
) -> Envelope:
    """``values`` split into at most ``columns`` runs of consecutive points (one per point
    when there are fewer), each reduced to its first, lowest, highest and last value.

    ``low``/``high`` (bars' lows and highs) give the extremes instead of ``values`` (their
    closes). NaNs are ignored; a column of NaNs only stays NaN."""
    v = np.asarray(values, dtype=np.float64)
    lo = v if low is None else np.asarray(low, dtype=np.float64)
    hi = v if high is None else np.asarray(high, dtype=np.float64)
    n = len(v)
    if n == 0:
        empty = np.empty(0)
        return Envelope(np.empty(0, dtype=np.int64), empty, empty, empty, empty)
    start = np.unique(np.linspace(0, n, min(n, columns), endpoint=False).astype(np.int64))
    end = np.r_[start[1:], n] - 1
    with np.errstate(invalid="ignore"):
        lows = np.fmin.reduceat(lo, start)
        highs = np.fmax.reduceat(hi, start)
    return Envelope(start=start, first=v[start], low=lows, high=highs, last=v[end])
