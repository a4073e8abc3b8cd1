"""A bar tape: built once from chunks, replayed by the datafeed as it replays the chunks
(same bars, same barrier, blocks covering every bar), on either executor, any number of times."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ostdesk.engine.bar_chunk import BLOCK_BARS
from ostdesk.engine.bar_tape import TAPE_MAX_BARS, BarTape
from ostdesk.engine.bus import EventBus
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.events import (
    BarBlock,
    BarPeriod,
    BarReceived,
    BarsComplete,
    EventBase,
    FillEvent,
)
from ostdesk.engine.inline import InlineBus
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk
from tests.engine.test_blocks import CancelAfter, Keep, _bars_in_blocks, _bars_of
from tests.engine.test_datafeed import SYMBOLS, make_chunks

FIELDS = ("ts_event_ns", "symbol", "period", "open", "high", "low", "close", "volume")


def _replayed(bus: EventBus, source: object, symbols: tuple[str, ...], total: int) -> Keep:
    """Every bar, ``BarsComplete`` and ``BarBlock`` a feed of ``source`` publishes on ``bus``."""
    keep = Keep(bus, BarReceived, BarsComplete, BarBlock)
    feed = HistoricalDatafeed(bus, symbols, BarPeriod.MINUTE, source, total)  # type: ignore[arg-type]
    _replay(feed)
    keep.shutdown()
    return keep


def _replay(feed: HistoricalDatafeed) -> None:
    """To the end: on the calling thread on an inline bus (the synchronous executor)."""
    if feed._bus.inline:
        feed.replay_here()
    else:
        feed.start()
        feed.join()


def _fields(events: list[EventBase]) -> list[tuple[object, ...]]:
    return [
        tuple(getattr(e, f) for f in FIELDS) if isinstance(e, BarReceived) else (e.ts_event_ns,)
        for e in events
        if not isinstance(e, BarBlock)
    ]


@pytest.mark.parametrize("bus_type", [EventBus, InlineBus], ids=["threaded", "sync"])
def test_a_tape_replays_the_bars_the_chunks_stream(bus_type: type[EventBus]) -> None:
    """Three symbols, a timestamp cut by a chunk seam, a symbol missing at one timestamp."""
    ts = [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    sym = [0, 1, 2, 0, 1, 2, 0, 2, 0, 1, 2]
    chunks = make_chunks(ts, sym, [4, 0, 5, 2])
    tape = BarTape(SYMBOLS, BarPeriod.MINUTE, chunks)
    assert [t for t, _ in tape.steps] == [1, 2, 3, 4]
    assert [len(bars) for _, bars in tape.steps] == [3, 3, 2, 3]

    streamed = _replayed(bus_type(), chunks, SYMBOLS, len(ts)).events
    first = _replayed(bus_type(), tape, SYMBOLS, len(ts)).events
    again = _replayed(bus_type(), tape, SYMBOLS, len(ts)).events  # a tape is not used up
    assert _fields(first) == _fields(streamed)
    assert _fields(again) == _fields(streamed)
    assert _bars_in_blocks(first) == _bars_of(first) == _bars_of(streamed)


def test_a_tape_cuts_blocks_every_block_bars_at_timestamp_boundaries() -> None:
    chunk = random_walk_chunk(3, BLOCK_BARS)  # 3 x BLOCK_BARS bars, three a timestamp
    tape = BarTape(("S0", "S1", "S2"), BarPeriod.MINUTE, [chunk])
    keep = _replayed(InlineBus(), tape, ("S0", "S1", "S2"), len(chunk))
    blocks = [e for e in keep.events if isinstance(e, BarBlock)]
    assert [len(b.ts) for b in blocks] == [BLOCK_BARS + 2, BLOCK_BARS + 2, BLOCK_BARS - 4]
    assert all(b.ts[-1] != chunk.ts[len(b.ts)] for b in blocks[:1])  # whole timestamps
    assert _bars_in_blocks(keep.events) == _bars_of(keep.events)


@pytest.mark.parametrize("bus_type", [EventBus, InlineBus], ids=["threaded", "sync"])
def test_a_cancelled_tape_replay_stops_after_its_timestamp_with_every_bar_in_a_block(
    bus_type: type[EventBus],
) -> None:
    chunk = random_walk_chunk(3, 5000)
    symbols = ("S0", "S1", "S2")
    tape = BarTape(symbols, BarPeriod.MINUTE, [chunk])
    bus = bus_type()
    keep = Keep(bus, BarReceived, BarBlock)
    canceller = CancelAfter(bus, 2000)
    feed = HistoricalDatafeed(bus, symbols, BarPeriod.MINUTE, tape, len(chunk))
    canceller.feed = feed  # type: ignore[assignment]
    _replay(feed)
    keep.shutdown()
    canceller.shutdown()
    published = _bars_of(keep.events)
    assert feed.cancelled
    assert 2000 <= len(published) < 15_000
    assert len(published) % 3 == 0  # whole timestamps
    assert feed.bars_published == len(published)
    assert _bars_in_blocks(keep.events) == published


def test_a_tape_of_other_symbols_or_another_period_is_refused() -> None:
    tape = BarTape(SYMBOLS, BarPeriod.MINUTE, make_chunks([1, 1], [0, 1], [2]))
    with pytest.raises(ValueError, match="other symbols or another period"):
        HistoricalDatafeed(EventBus(), ("AAA", "BBB"), BarPeriod.MINUTE, tape, 2)
    with pytest.raises(ValueError, match="other symbols or another period"):
        HistoricalDatafeed(EventBus(), SYMBOLS, BarPeriod.HOUR, tape, 2)


def test_unsorted_bars_are_refused_when_the_tape_is_built() -> None:
    with pytest.raises(ValueError, match="not sorted by timestamp"):
        BarTape(SYMBOLS, BarPeriod.MINUTE, make_chunks([2, 1], [0, 0], [1, 1]))


def test_an_empty_tape_replays_nothing_and_its_run_completes() -> None:
    tape = BarTape(SYMBOLS, BarPeriod.MINUTE, [])
    assert tape.steps == [] and tape.total_bars == 0
    assert _replayed(InlineBus(), tape, SYMBOLS, 0).events == []
    config = BacktestConfig(strategy=SmaCross, symbols=SYMBOLS, period=BarPeriod.MINUTE)
    run = BacktestRun(dataclasses.replace(config, executor="sync"), tape, 0)
    run.run()
    assert run.status is RunStatus.COMPLETED


@pytest.mark.parametrize("executor", ["threaded", "sync"])
def test_a_backtest_from_a_tape_trades_as_one_from_chunks(executor: str) -> None:
    chunk = random_walk_chunk(2, 3000, seed=4)
    symbols = ("S0", "S1")
    config = BacktestConfig(
        strategy=SmaCross, symbols=symbols, period=BarPeriod.MINUTE, executor=executor
    )
    tape = BarTape(symbols, BarPeriod.MINUTE, [chunk])
    kept: list[Keep] = []

    def keep(bus: EventBus) -> Keep:
        kept.append(Keep(bus, FillEvent))
        return kept[-1]

    for source in ([chunk], tape, tape):
        run = BacktestRun(config, source, len(chunk), subscribers=[keep])  # type: ignore[arg-type]
        run.run()
        assert run.status is RunStatus.COMPLETED
    fills = [[(f.ts_event_ns, f.symbol, f.price, f.quantity) for f in k.events] for k in kept]  # type: ignore[attr-defined]
    assert len(fills[0]) > 20
    assert fills[1] == fills[0] and fills[2] == fills[0]


def test_only_data_sets_a_worker_can_afford_get_a_tape() -> None:
    assert BarTape.fits(1) and BarTape.fits(TAPE_MAX_BARS)
    assert not BarTape.fits(0) and not BarTape.fits(TAPE_MAX_BARS + 1)


def test_a_tape_shares_nothing_mutable_with_its_chunks() -> None:
    """Its bars are values: changing the chunk's arrays later changes no bar already built."""
    chunks = make_chunks([1, 2], [0, 0], [2])
    tape = BarTape(SYMBOLS, BarPeriod.MINUTE, chunks)
    chunks[0].close[:] = np.nan
    assert [bars[0].close for _, bars in tape.steps] == [100.0, 101.0]
