"""Column blocks carry exactly what the per-bar events carry, also when a run is cancelled."""

from __future__ import annotations

import numpy as np
import pytest

from ostdesk.engine import datafeed
from ostdesk.engine.bar_chunk import BLOCK_BARS
from ostdesk.engine.bus import EventBus
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.events import (
    BarBlock,
    BarPeriod,
    BarProcessed,
    BarReceived,
    EventBase,
    IndicatorBlock,
)
from ostdesk.engine.runner import BacktestConfig, BacktestRun
from ostdesk.engine.sink import BufferedSink
from ostdesk.engine.subscriber import Subscriber
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk


class Keep(BufferedSink):
    def __init__(self, bus: EventBus, *types: type[EventBase]) -> None:
        self.events: list[EventBase] = []
        super().__init__(bus)
        self._subscribe(*types)

    def _on_batch(self, events: list[EventBase]) -> None:
        self.events.extend(events)


def _bars_of(events: list[EventBase]) -> list[tuple[int, str, float]]:
    return [(e.ts_event_ns, e.symbol, e.close) for e in events if isinstance(e, BarReceived)]


def _bars_in_blocks(events: list[EventBase]) -> list[tuple[int, str, float]]:
    rows = []
    for b in events:
        if isinstance(b, BarBlock):
            rows += [
                (int(t), b.symbols[i], float(c))
                for t, i, c in zip(b.ts, b.symbol_index, b.close, strict=True)
            ]
    return rows


class CancelAfter(Subscriber):
    """Cancels the feed once it has handled ``limit`` bars (a user pressing Stop)."""

    def __init__(self, bus: EventBus, limit: int) -> None:
        self.limit, self.seen, self.feed = limit, 0, None
        super().__init__(bus)
        self._subscribe(BarReceived)

    def _on_event(self, event: EventBase) -> None:
        self.seen += 1
        if self.seen >= self.limit and self.feed is not None:
            self.feed.cancel()


def _run_feed(n_bars: int, cancel_after: int | None = None) -> tuple[Keep, HistoricalDatafeed]:
    bus = EventBus()
    keep = Keep(bus, BarReceived, BarBlock)
    canceller = CancelAfter(bus, cancel_after) if cancel_after is not None else None
    chunk = random_walk_chunk(3, n_bars)
    feed = HistoricalDatafeed(
        bus,
        ["S0", "S1", "S2"],
        BarPeriod.MINUTE,
        [chunk, random_walk_chunk(3, 10, seed=9)],
        len(chunk),
    )
    if canceller is not None:
        canceller.feed = feed
    feed.start()
    feed.join()
    keep.shutdown()
    if canceller is not None:
        canceller.shutdown()
    return keep, feed


def test_bar_blocks_cover_every_published_bar_in_order() -> None:
    keep, _ = _run_feed(3 * BLOCK_BARS // 2)  # several blocks, a second chunk too
    assert _bars_in_blocks(keep.events) == _bars_of(keep.events)
    assert sum(1 for e in keep.events if isinstance(e, BarBlock)) >= 3


def test_a_block_spans_at_most_its_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow run (here: any run, with no time allowed) cuts a block at every timestamp
    rather than holding seconds of bars back from the recorder and the chart."""
    monkeypatch.setattr(datafeed, "BLOCK_NS", 0)
    keep, _ = _run_feed(200)
    blocks = [e for e in keep.events if isinstance(e, BarBlock)]
    assert _bars_in_blocks(keep.events) == _bars_of(keep.events)
    assert all(len(set(b.ts.tolist())) == 1 for b in blocks[:-2])  # before the chunk ends
    assert len(blocks) >= 190


def test_bar_blocks_end_where_a_cancelled_feed_stopped() -> None:
    keep, feed = _run_feed(5000, cancel_after=2000)
    assert feed.cancelled
    published = _bars_of(keep.events)
    assert 2000 <= len(published) < 15_000
    assert _bars_in_blocks(keep.events) == published


def test_indicator_blocks_hold_the_values_bar_processed_carries() -> None:
    chunk = random_walk_chunk(2, 6000)
    config = BacktestConfig(strategy=SmaCross, symbols=("S0", "S1"), period=BarPeriod.MINUTE)
    kept: list[Keep] = []

    def factory(bus: EventBus) -> Keep:
        kept.append(Keep(bus, BarProcessed, IndicatorBlock))
        return kept[0]

    BacktestRun(config, [chunk], len(chunk), subscribers=[factory]).run()
    events = kept[0].events
    per_bar = [
        (e.ts_event_ns, e.bar.symbol, e.values) for e in events if isinstance(e, BarProcessed)
    ]
    blocks = [e for e in events if isinstance(e, IndicatorBlock)]
    in_blocks = [
        (int(t), s, tuple(v))
        for b in blocks
        for t, i, v in zip(b.ts, b.symbol_index, b.values.tolist(), strict=True)
        for s in [b.symbols[i]]
    ]
    assert len(per_bar) == 12_000
    assert blocks[0].names == ("SMA(10)", "SMA(30)")
    assert len(in_blocks) == len(per_bar)
    assert all(b.ts.tolist() == sorted(b.ts.tolist()) for b in blocks)
    per_bar.sort(key=lambda row: (row[0], row[1]))  # blocks: by time, then symbol
    in_blocks.sort(key=lambda row: (row[0], row[1]))
    for (t1, s1, v1), (t2, s2, v2) in zip(per_bar, in_blocks, strict=True):
        assert (t1, s1) == (t2, s2)
        np.testing.assert_array_equal(np.array(v1), np.array(v2))
