"""The historical datafeed: order, the per-timestamp barrier, progress, cancel, chunk seams."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest

from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.bus import EventBus
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.events import BarPeriod, BarReceived, BarsComplete, EventBase
from ostdesk.engine.subscriber import Subscriber

SYMBOLS = ("AAA", "BBB", "CCC")


class Sink(Subscriber):
    """Records what it handles; ``hook`` runs on each event in the subscriber's thread."""

    def __init__(
        self,
        bus: EventBus,
        *types: type[EventBase],
        hook: Callable[[EventBase], None] | None = None,
    ) -> None:
        self.seen: list[EventBase] = []
        self.hook = hook
        super().__init__(bus)
        self._subscribe(*types)

    def _on_event(self, event: EventBase) -> None:
        self.seen.append(event)
        if self.hook is not None:
            self.hook(event)


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class Reaction(EventBase):
    """What a strategy would publish in answer to a bar (an order, say)."""

    symbol: str


class Reactor(Subscriber):
    """Answers each bar with an event, as a strategy answers with orders."""

    def __init__(self, bus: EventBus) -> None:
        super().__init__(bus)
        self._subscribe(BarReceived)

    def _on_event(self, event: EventBase) -> None:
        assert isinstance(event, BarReceived)
        self._publish(Reaction(ts_event_ns=event.ts_event_ns, symbol=event.symbol))


def make_chunks(ts: list[int], sym: list[int], sizes: list[int]) -> list[BarChunk]:
    """Bars (ts[i], SYMBOLS[sym[i]]) with close = i, cut into chunks of the given sizes."""
    assert sum(sizes) == len(ts)
    chunks, start = [], 0
    for size in sizes:
        part = slice(start, start + size)
        close = np.arange(len(ts), dtype=np.float64)[part] + 100.0
        chunks.append(
            BarChunk(
                ts=np.array(ts[part], dtype=np.int64),
                symbol_index=np.array(sym[part], dtype=np.int32),
                open=close,
                high=close + 1,
                low=close - 1,
                close=close,
                volume=np.full(size, 5.0),
            )
        )
        start += size
    return chunks


def grid(n_ts: int, n_sym: int) -> tuple[list[int], list[int]]:
    ts = [1_000 * (t + 1) for t in range(n_ts) for _ in range(n_sym)]
    sym = [s for _ in range(n_ts) for s in range(n_sym)]
    return ts, sym


def run(feed: HistoricalDatafeed, *subscribers: Subscriber) -> None:
    feed.start()
    assert feed.finished.wait(30)
    assert feed.join(30)
    for s in subscribers:
        s.shutdown()


def test_bars_arrive_in_time_then_symbol_order_with_all_fields() -> None:
    bus = EventBus()
    sink = Sink(bus, BarReceived)
    ts, sym = grid(50, 3)
    feed = HistoricalDatafeed(
        bus, SYMBOLS, BarPeriod.HOUR, make_chunks(ts, sym, [40, 70, 40]), len(ts)
    )
    run(feed, sink)
    bars = [b for b in sink.seen if isinstance(b, BarReceived)]
    assert [(b.ts_event_ns, b.symbol) for b in bars] == [
        (t, SYMBOLS[s]) for t, s in zip(ts, sym, strict=True)
    ]
    third = bars[2]
    assert third == BarReceived(
        ts_event_ns=1_000,
        ts_created_ns=third.ts_created_ns,
        symbol="CCC",
        period=BarPeriod.HOUR,
        open=102.0,
        high=103.0,
        low=101.0,
        close=102.0,
        volume=5.0,
    )
    assert type(third.close) is float and type(third.ts_event_ns) is int
    assert feed.error is None


def test_every_reaction_to_a_timestamp_is_handled_before_the_next_timestamp() -> None:
    bus = EventBus()
    reactors = [Reactor(bus), Reactor(bus)]
    sink = Sink(bus, BarReceived, Reaction)
    ts, sym = grid(200, 3)
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [600]), len(ts))
    run(feed, *reactors, sink)
    reactions_done: dict[int, int] = {}
    for event in sink.seen:
        if isinstance(event, Reaction):
            reactions_done[event.ts_event_ns] = reactions_done.get(event.ts_event_ns, 0) + 1
        else:  # a bar of a later timestamp: every reaction to the previous one came first
            previous = event.ts_event_ns - 1_000
            if previous > 0:
                assert reactions_done.get(previous) == 2 * len(SYMBOLS), event
    assert sum(reactions_done.values()) == 2 * len(ts)


def test_progress_reaches_one_when_done() -> None:
    bus = EventBus()
    sink = Sink(bus, BarReceived)
    ts, sym = grid(100, 2)
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [50] * 4), 200)
    assert feed.progress == 0.0
    run(feed, sink)
    assert feed.progress == 1.0
    assert feed.bars_published == 200
    assert len(sink.seen) == 200


def test_cancel_stops_after_the_current_timestamp_and_joins() -> None:
    bus = EventBus()
    reached, release = threading.Event(), threading.Event()

    def hold_first(event: EventBase) -> None:
        if not reached.is_set():
            reached.set()
            release.wait(30)

    sink = Sink(bus, BarReceived, hook=hold_first)
    ts, sym = grid(1000, 2)
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [2000]), 2000)
    feed.start()
    assert reached.wait(30)
    feed.cancel()
    release.set()
    assert feed.join(30)
    sink.shutdown()
    assert feed.finished.is_set() and feed.cancelled
    assert feed.bars_published == 2  # the first timestamp's bars, then it stopped
    assert len(sink.seen) == 2
    assert feed.progress < 1.0
    assert feed.error is None


def test_a_timestamp_split_over_chunks_is_published_whole_before_the_barrier() -> None:
    # The gate blocks the barrier on bar (ts, AAA) until the sink has seen (ts, CCC), which sits
    # in later chunks: a feed that waited at a chunk seam would leave the gate timing out.
    bus = EventBus()
    seen_last = {t: threading.Event() for t in (1_000, 2_000, 3_000)}
    timed_out: list[int] = []

    def note(event: EventBase) -> None:
        assert isinstance(event, BarReceived)
        if event.symbol == "CCC":
            seen_last[event.ts_event_ns].set()

    def gate(event: EventBase) -> None:
        assert isinstance(event, BarReceived)
        if event.symbol == "AAA" and not seen_last[event.ts_event_ns].wait(10):
            timed_out.append(event.ts_event_ns)

    sink = Sink(bus, BarReceived, hook=note)
    gatekeeper = Sink(bus, BarReceived, hook=gate)
    ts, sym = grid(3, 3)
    feed = HistoricalDatafeed(
        bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [1, 1, 2, 4, 1]), 9
    )
    run(feed, sink, gatekeeper)
    assert timed_out == []
    assert feed.bars_published == 9


def test_chunks_out_of_order_are_an_error_reported_to_the_bus() -> None:
    bus = EventBus()
    ts = [2_000, 1_000]
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, [0, 0], [1, 1]), 2)
    run(feed)
    assert isinstance(feed.error, ValueError)
    assert [e.component for e in bus.errors.errors] == ["datafeed"]


def test_an_error_in_the_chunk_source_is_reported_and_the_feed_finishes() -> None:
    def broken() -> Iterator[BarChunk]:
        yield from make_chunks([1_000], [0], [1])
        raise RuntimeError("disk gone")

    bus = EventBus()
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, broken(), 2, name="feed-x")
    run(feed)
    assert str(feed.error) == "disk gone"
    assert bus.errors.errors[0].component == "feed-x"


def test_an_empty_feed_finishes_at_full_progress() -> None:
    feed = HistoricalDatafeed(EventBus(), SYMBOLS, BarPeriod.MINUTE, [], 0)
    run(feed)
    assert feed.progress == 1.0 and feed.bars_published == 0


def test_completion_events_equal_normally_built_ones() -> None:
    bus = EventBus()
    sink = Sink(bus, BarsComplete)
    ts, sym = grid(2, 3)
    run(HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [4, 2]), 6), sink)
    assert sink.seen == [
        BarsComplete(ts_event_ns=t, ts_created_ns=e.ts_created_ns, count=3)
        for t, e in zip((1_000, 2_000), sink.seen, strict=True)
    ]
    event = sink.seen[0]
    assert hash(event) == hash(
        BarsComplete(ts_event_ns=1_000, ts_created_ns=event.ts_created_ns, count=3)
    )
    with pytest.raises(AttributeError):
        event.count = 4  # type: ignore[misc]


class _PublisherThreads(EventBus):
    """A bus that notes which thread published each timestamp's bars."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def publish_all(self, events: Sequence[EventBase]) -> None:
        if events:
            self.threads.append(threading.get_ident())
        super().publish_all(events)


def test_the_subscriber_that_ends_a_timestamp_publishes_the_next_without_waking_the_feed() -> None:
    bus = _PublisherThreads()
    sink = Sink(bus, BarReceived)
    ts, sym = grid(100, 2)
    read_on: list[int] = []

    def chunks() -> Iterator[BarChunk]:
        for chunk in make_chunks(ts, sym, [60, 140]):
            read_on.append(threading.get_ident())
            yield chunk

    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, chunks(), len(ts))
    run(feed, sink)
    assert [(b.ts_event_ns, b.symbol) for b in sink.seen] == [  # type: ignore[attr-defined]
        (t, SYMBOLS[s]) for t, s in zip(ts, sym, strict=True)
    ]
    feed_thread, worker = feed._thread.ident, sink.thread.ident
    assert read_on == [feed_thread, feed_thread]  # a chunk source is only read on the feed's
    # from the feed's thread: the first timestamp, the last of each chunk (it reads the next
    # chunk first: a timestamp may go on there), and at most one more a chunk (which thread goes
    # on after the wait that follows a read is up to the scheduler); every other timestamp from
    # the thread of the subscriber that ended the last
    assert len(bus.threads) == 100
    assert 3 <= bus.threads.count(feed_thread) <= 5
    assert bus.threads.count(worker) == 100 - bus.threads.count(feed_thread)


def test_a_feed_nobody_listens_to_goes_on_without_waiting() -> None:
    bus = EventBus()
    ts, sym = grid(300, 1)
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [300]), 300)
    run(feed)
    assert feed.bars_published == 300 and feed.error is None


def test_an_error_met_on_a_subscribers_thread_is_the_feeds_and_ends_only_the_feed() -> None:
    bus = EventBus()
    sink = Sink(bus, BarReceived)
    good = make_chunks([1_000, 2_000, 3_000], [0, 0, 0], [3])[0]
    # a column one row short: the replay finds out at the last row, on the sink's thread
    chunk = dataclasses.replace(good, ts=np.array([1_000, 2_000, 3_000, 4_000], dtype=np.int64))
    feed = HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, [chunk], 4)
    feed.start()
    assert feed.join(30) and feed.finished.is_set()
    assert isinstance(feed.error, ValueError)
    assert [e.component for e in bus.errors.errors] == ["datafeed"]
    assert sink.thread.is_alive() and sink.wait_until_idle(30)
    assert [b.ts_event_ns for b in sink.seen] == [1_000, 2_000]
    sink.shutdown()


class _Journal(EventBus):
    """A bus that journals each timestamp's bars and each ``BarsComplete`` as published."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: list[str] = []

    def publish_all(self, events: Sequence[EventBase]) -> None:
        if events:
            self.journal.append(f"bars {events[0].ts_event_ns}")
        super().publish_all(events)

    def publish(self, event: EventBase) -> None:
        if isinstance(event, BarsComplete):
            self.journal.append(f"complete {event.ts_event_ns}")
        super().publish(event)


def test_no_chunk_is_read_between_a_timestamps_bars_and_its_completion() -> None:
    """An order placed on a bar must meet the broker's ``BarsComplete`` at the same point of
    the run whatever the thread timing: no read (and thread hand-off) may come in between."""
    bus = _Journal()
    sink = Sink(bus, BarReceived, BarsComplete)
    ts, sym = grid(6, 2)

    def chunks() -> Iterator[BarChunk]:
        for chunk in make_chunks(ts, sym, [4, 3, 5]):  # the 2nd and 3rd cut a timestamp
            bus.journal.append("read")
            yield chunk
        bus.journal.append("read")

    run(HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, chunks(), len(ts)), sink)
    stamps = sorted(set(ts))
    assert [entry for entry in bus.journal if entry != "read"] == [
        entry for t in stamps for entry in (f"bars {t}", f"complete {t}")
    ]
    assert all(
        bus.journal[k + 1] != "read" for k, e in enumerate(bus.journal) if e.startswith("bars")
    )
    assert bus.journal.count("read") == 4


def test_completion_goes_out_only_if_someone_listened_before_the_timestamps_bars() -> None:
    """A subscriber that starts following completions while handling the bars of t (the broker
    given an order) gets them from t+1 on, never sometimes t's too."""
    bus = EventBus()
    late: list[EventBase] = []

    class Follower(Subscriber):
        def __init__(self) -> None:
            super().__init__(bus)
            self._subscribe(BarReceived)

        def _on_event(self, event: EventBase) -> None:
            if isinstance(event, BarsComplete):
                late.append(event)
            elif not late and event.ts_event_ns == stamps[1]:
                self._subscribe(BarsComplete)

    ts, sym = grid(4, 2)
    stamps = sorted(set(ts))
    follower = Follower()
    run(HistoricalDatafeed(bus, SYMBOLS, BarPeriod.MINUTE, make_chunks(ts, sym, [8]), 8), follower)
    assert [e.ts_event_ns for e in late] == stamps[2:]
