"""Bars as the datafeed reads them: columnar chunks sorted by (ts, symbol), which the store
produces and a replay (streamed or from a tape) turns into events."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt


@dataclasses.dataclass(frozen=True, slots=True)
class BarChunk:
    """A block of bars sorted by (ts, symbol); ``symbol_index`` points into the feed's symbols.

    Bars of one timestamp may continue in the next chunk; the feed handles that.
    """

    ts: npt.NDArray[np.int64]
    symbol_index: npt.NDArray[np.int32]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.ts)


BLOCK_BARS = 4096
BLOCK_NS = 100_000_000
"""A ``BarBlock`` holds at most ``BLOCK_BARS`` bars or ``BLOCK_NS`` of wall time (cut at
timestamp boundaries), so a sink that writes blocks (the recorder) still loses at most its own
flush interval in a crash, and a chart fed from blocks lags a slow strategy by ~0.1 s."""


def check_sorted(chunk: BarChunk, previous_ts: int | None) -> None:
    """Refuse chunks out of time order: replaying them would silently break causality."""
    ts = chunk.ts
    if len(ts) == 0:
        return
    if (previous_ts is not None and int(ts[0]) < previous_ts) or bool(np.any(ts[1:] < ts[:-1])):
        raise ValueError("bar chunks are not sorted by timestamp")
