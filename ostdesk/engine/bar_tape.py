"""A data set's bars as the events a replay publishes, built once and replayed many times.

A study runs hundreds of trials over the same bars, each a synchronous backtest. Streaming
from chunks, the datafeed builds every ``BarReceived`` again in every trial (~0.6 µs a bar, a
sixth of a SmaCross trial). Events are immutable, so one set of them serves every trial of a
worker: the tape holds them, grouped by timestamp, and ``HistoricalDatafeed`` replays a tape
as it replays chunks (same events, same order, the same barrier), with only the publishing
left per trial.

What differs from a streamed replay: every bar's ``ts_created_ns`` is the tape's build time,
and ``BarBlock`` cuts fall every ``BLOCK_BARS`` bars with no wall-clock cut (a tape's run is
nobody's live view). Neither changes a run's results. A tape holds ~400 bytes a bar: it is for
data sets a worker can afford to keep (``fits``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

from ostdesk.engine import gc_policy
from ostdesk.engine.bar_chunk import BLOCK_BARS, BarChunk, check_sorted
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.events.base import slot_setters

TAPE_MAX_BARS = 500_000
"""The most bars a tape is built for (~200 MB): a worker per core holds one each."""


class BarTape:
    """Every bar of ``chunks`` as a ``BarReceived``, in (ts, symbol) order, per timestamp."""

    __slots__ = ("blocks", "chunk", "period", "steps", "symbols", "total_bars")

    def __init__(
        self, symbols: Sequence[str], period: BarPeriod, chunks: Iterable[BarChunk]
    ) -> None:
        self.symbols = tuple(symbols)
        self.period = period
        self.chunk = _joined([c for c in chunks if len(c)])
        check_sorted(self.chunk, None)
        self.total_bars = n = len(self.chunk)
        ts = self.chunk.ts
        starts = [0, *(np.flatnonzero(ts[1:] != ts[:-1]) + 1).tolist()] if n else []
        ends = [*starts[1:], n] if n else []
        with gc_policy.allocating():
            bars = _bar_events(self.chunk, self.symbols, period)
            steps = [(bars[a].ts_event_ns, bars[a:b]) for a, b in zip(starts, ends, strict=True)]
        self.steps: list[tuple[int, list[BarReceived]]] = steps
        """Each timestamp and its bars: what the replay publishes between two barriers."""
        self.blocks: list[tuple[int, int, int]] = _block_cuts(ends)
        """Where ``BarBlock``s end: (the index of the step after which one goes out, its
        first row, its end row), rows of ``chunk``."""

    @staticmethod
    def fits(total_bars: int) -> bool:
        """Whether a data set of ``total_bars`` is worth a tape (see ``TAPE_MAX_BARS``)."""
        return 0 < total_bars <= TAPE_MAX_BARS


def _joined(chunks: list[BarChunk]) -> BarChunk:
    """One chunk of all of ``chunks``' rows (the chunk itself when there is one)."""
    if len(chunks) == 1:
        return chunks[0]
    fields = ("ts", "symbol_index", "open", "high", "low", "close", "volume")
    if not chunks:
        kinds = (np.int64, np.int32, *[np.float64] * 5)
        return BarChunk(*(np.empty(0, dtype=k) for k in kinds))
    return BarChunk(*(np.concatenate([getattr(c, f) for c in chunks]) for f in fields))


def _bar_events(chunk: BarChunk, symbols: tuple[str, ...], period: BarPeriod) -> list[BarReceived]:
    """``chunk``'s rows as events, built through the slot setters (as the datafeed does)."""
    new, cls = object.__new__, BarReceived
    set_ts, set_created, set_symbol, set_period = slot_setters(
        cls, "ts_event_ns", "ts_created_ns", "symbol", "period"
    )
    set_open, set_high, set_low, set_close, set_volume = slot_setters(
        cls, "open", "high", "low", "close", "volume"
    )
    created = time.time_ns()
    bars: list[BarReceived] = []
    add = bars.append
    rows = zip(
        chunk.ts.tolist(),
        [symbols[i] for i in chunk.symbol_index.tolist()],
        chunk.open.tolist(),
        chunk.high.tolist(),
        chunk.low.tolist(),
        chunk.close.tolist(),
        chunk.volume.tolist(),
        strict=True,
    )
    for ts, symbol, o, h, lo, c, v in rows:
        bar = new(cls)
        set_ts(bar, ts)
        set_created(bar, created)
        set_symbol(bar, symbol)
        set_period(bar, period)
        set_open(bar, o)
        set_high(bar, h)
        set_low(bar, lo)
        set_close(bar, c)
        set_volume(bar, v)
        add(bar)
    return bars


def _block_cuts(ends: list[int]) -> list[tuple[int, int, int]]:
    """A ``BarBlock`` after the first timestamp that brings one to ``BLOCK_BARS`` bars, and
    one after the last timestamp for the rest (``ends``: each step's end row)."""
    cuts = []
    first = 0
    for step, end in enumerate(ends):
        if end - first >= BLOCK_BARS or step == len(ends) - 1:
            cuts.append((step, first, end))
            first = end
    return cuts
