"""Replays stored bars onto the bus, one timestamp at a time, behind the idle barrier.

The feed publishes every bar of a timestamp, then waits for the whole system to go idle before
the next timestamp, which is what makes a backtest deterministic. It reads columnar chunks
(``BarChunk``, produced by the store) and converts each chunk's columns to Python lists once, so
the per-bar work is only building the event and publishing it. The engine never imports the
store: whoever starts a backtest hands the feed an iterable of chunks, or a ``BarTape`` of
events built beforehand (a study's trials replay the same bars many times).

Waiting for idle does not block the feed's thread: the replay is a generator that stops at each
barrier, and the subscriber whose handler ends the timestamp's work resumes it
(``IdleTracker.call_when_idle``), publishing the next timestamp itself. The order of everything
published is the one a blocking feed would give; a single-symbol backtest then runs on one
thread between orders, where it used to hand over twice a bar. Chunks are still read on the
feed's own thread (a chunk generator may hold a database cursor of that thread).
"""

from __future__ import annotations

import threading
import time
from _thread import allocate_lock
from collections.abc import Generator, Iterable, Iterator, Sequence

from ostdesk.engine.affinity import pin_current_thread
from ostdesk.engine.bar_chunk import BLOCK_BARS, BLOCK_NS, BarChunk, check_sorted
from ostdesk.engine.bar_tape import BarTape
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarBlock, BarPeriod, BarReceived, BarsComplete
from ostdesk.engine.events.base import event_factory, slot_setters


class HistoricalDatafeed:
    """Publishes ``BarReceived`` for each bar of ``chunks`` on its own thread, in ts order."""

    def __init__(
        self,
        bus: EventBus,
        symbols: Sequence[str],
        period: BarPeriod,
        chunks: Iterable[BarChunk] | BarTape,
        total_bars: int,
        name: str = "datafeed",
    ) -> None:
        self._bus = bus
        self.symbols = tuple(symbols)
        self.period = period
        self._chunks = chunks
        self.total_bars = total_bars
        self.name = name
        self.bars_published = 0
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._cancelled = False
        if isinstance(chunks, BarTape):
            if chunks.symbols != self.symbols or chunks.period != period:
                raise ValueError("the bar tape holds other symbols or another period")
            self._steps = self._replay_tape(chunks)
        else:
            self._steps = self._replay(chunks)
        self._over = False  # the replay has ended (or failed)
        self._baton = allocate_lock()  # released to wake the feed's thread (see ``_drive``)
        self._baton.acquire()
        self._feed_thread = 0
        self._thread = threading.Thread(target=self._run, name=f"ostdesk-{name}", daemon=True)

    @property
    def progress(self) -> float:
        """Share of ``total_bars`` published so far, 0..1 (1 once finished without cancel)."""
        if self.total_bars <= 0:
            return 1.0 if self.finished.is_set() and not self._cancelled else 0.0
        return min(1.0, self.bars_published / self.total_bars)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Stop after the current timestamp (its bars are all published and handled first)."""
        self._cancelled = True

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the feed's thread to end; True if it has."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def replay_here(self) -> None:
        """Replay on the calling thread, to the end, instead of ``start``: the synchronous
        executor's one thread (on an inline bus, waiting for idle runs every handler here)."""
        self._run()

    def _run(self) -> None:
        """The feed's own thread: it starts the replay and reads every chunk (a generator of
        chunks may hold a database cursor of this thread); between chunks it sleeps while
        the replay goes on from the subscribers' threads (see ``_drive``). Only a threaded
        engine's threads are pinned (``affinity``): a synchronous run has one thread, and a
        sweep runs several, one a core."""
        if not self._bus.inline:
            pin_current_thread()
        self._feed_thread = threading.get_ident()
        try:
            while not self._over:
                self._drive()
                self._baton.acquire()
        finally:
            close = getattr(self._chunks, "close", None)  # a generator holding a DB cursor
            if callable(close):
                try:
                    close()
                except Exception as exc:
                    self._bus.errors.report(self.name, exc)
            self.finished.set()

    def _drive(self) -> None:
        """Go on with the replay until it must wait for the system to be idle, and leave the
        rest to the thread that makes it idle (``IdleTracker.call_when_idle``): the next
        timestamp is then published by the subscriber that handled the last event of this one,
        with no thread woken for it, and in exactly the order a waiting feed would publish it.
        When the replay needs its next chunk and this is not the feed's thread, the baton goes
        back to the feed's thread; at the end too (``_over``). On an inline bus (the
        synchronous executor), waiting is draining the queues, which the replay does itself
        (``_replay``): only its fetches come here."""
        then = self._bus.idle.call_when_idle
        drive = self._drive
        try:
            for step in self._steps:
                if step is _FETCH:
                    if threading.get_ident() != self._feed_thread:
                        self._baton.release()
                        return
                elif then(drive):
                    return
        except BaseException as exc:  # also on a subscriber's thread: it must not end it
            self.error = exc
            self._bus.errors.report(self.name, exc)
        self._over = True
        self._baton.release()

    def _replay(self, source: Iterable[BarChunk]) -> Iterator[object]:
        """The replay, as steps: it yields where it must wait for the system to be idle (the
        barrier between timestamps), and ``_FETCH`` before it reads a chunk. On an inline bus
        it drains the queues there instead of yielding (``idle.wait``, on the run's one
        thread): no generator round trip a timestamp.

        A timestamp's bars and its ``BarsComplete`` go out together, with no fetch between
        them: the next chunk is read at the barrier before the last timestamp of a chunk is
        published (it may go on in that next chunk). Whether ``BarsComplete`` goes out is
        decided before the bars are: a broker may subscribe while handling them. Both keep a
        run's events independent of thread timing."""
        # The hot loop: everything it touches is a local, and bars are built inline through the
        # slot setters (as ``event_factory`` does), ~0.8 us a bar cheaper than BarReceived(...).
        publish = self._bus.publish
        drain = self._bus.idle.wait if self._bus.inline else None
        # a timestamp's bars are published together: one lock for all of them
        publish_all = self._bus.publish_all
        batch: list[BarReceived] = []
        add = batch.append
        complete = event_factory(BarsComplete)
        # only the simulated broker listens, and only while it holds orders: skip the event
        # (half of a single-symbol feed's events) whenever nobody would receive it
        listened = self._bus.has_subscribers
        new, cls = object.__new__, BarReceived
        set_ts, set_created, set_symbol, set_period = slot_setters(
            cls, "ts_event_ns", "ts_created_ns", "symbol", "period"
        )
        set_open, set_high, set_low, set_close, set_volume = slot_setters(
            cls, "open", "high", "low", "close", "volume"
        )
        time_ns = time.time_ns
        period = self.period
        symbols = self.symbols
        published = 0  # bars built so far (those of ``current`` included)
        current = -(1 << 63)  # the timestamp whose bars are being built (none: int64's least)
        first = 0  # bars built before ``current`` began
        created = 0  # wall clock when ``current`` began: its bars' ts_created_ns
        block_first = 0  # bars built before the rows no BarBlock holds yet
        block_started = time_ns()
        blocks: list[tuple[BarChunk, int, int]] = []  # rows of read chunks for the next blocks
        chunks = iter(source)
        chunk = yield from _next_chunk(chunks)
        while chunk is not None and not self._cancelled:
            check_sorted(chunk, current)
            chunk_first = published
            names = [symbols[i] for i in chunk.symbol_index.tolist()]
            rows = zip(
                chunk.ts.tolist(),
                names,
                chunk.open.tolist(),
                chunk.high.tolist(),
                chunk.low.tolist(),
                chunk.close.tolist(),
                chunk.volume.tolist(),
                strict=True,
            )
            for ts, symbol, o, h, lo, c, v in rows:
                if ts != current:
                    if batch:  # ``current`` ends: its bars, then its BarsComplete
                        done = listened(BarsComplete)
                        publish_all(batch)
                        batch.clear()
                        if done:
                            publish(complete(current, published - first))
                        if (
                            published - block_first >= BLOCK_BARS
                            or created - block_started >= BLOCK_NS
                        ):
                            start = max(block_first - chunk_first, 0)
                            self._publish_blocks(blocks, chunk, start, published - chunk_first)
                            block_first, block_started = published, created
                        if drain is None:
                            yield None
                        else:
                            drain()
                        self.bars_published = published
                        if self._cancelled:
                            start = max(block_first - chunk_first, 0)
                            self._publish_blocks(blocks, chunk, start, published - chunk_first)
                            return
                    current = ts
                    first = published
                    created = time_ns()
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
                published += 1
            blocks.append((chunk, max(block_first - chunk_first, 0), len(chunk)))
            # the system is idle: read the next chunk before the last timestamp's bars go out
            chunk = yield from _next_chunk(chunks)
            if chunk is not None and not self._cancelled and int(chunk.ts[0]) == current:
                continue  # ``current`` goes on in this chunk
            if batch:
                done = listened(BarsComplete)
                publish_all(batch)
                batch.clear()
                if done:
                    publish(complete(current, published - first))
                self._publish_blocks(blocks)
                block_first, block_started = published, created
                if drain is None:
                    yield None
                else:
                    drain()
                self.bars_published = published
        self._publish_blocks(blocks)
        self.bars_published = published

    def _replay_tape(self, tape: BarTape) -> Iterator[object]:
        """``_replay`` of bars built beforehand: each timestamp's bars, its ``BarsComplete``
        if the broker listens, a ``BarBlock`` where the tape cuts one, then the barrier."""
        publish = self._bus.publish
        publish_all = self._bus.publish_all
        drain = self._bus.idle.wait if self._bus.inline else None
        listened = self._bus.has_subscribers
        complete = event_factory(BarsComplete)
        chunk = tape.chunk
        cuts = iter(tape.blocks)
        cut, first, end = next(cuts, _NO_CUT)
        published = 0
        for step, (ts, bars) in enumerate(tape.steps):
            done = listened(BarsComplete)
            publish_all(bars)
            published += len(bars)
            if done:
                publish(complete(ts, len(bars)))
            if step == cut:
                self._publish_block(chunk, first, end)
                cut, first, end = next(cuts, _NO_CUT)
            if drain is None:
                yield None
            else:
                drain()
            self.bars_published = published
            if self._cancelled:
                self._publish_block(chunk, first, published)
                return

    def _publish_blocks(
        self,
        blocks: list[tuple[BarChunk, int, int]],
        chunk: BarChunk | None = None,
        start: int = 0,
        stop: int = 0,
    ) -> None:
        """Publish the rows listed in ``blocks`` (emptied), then rows ``start:stop`` of
        ``chunk``, each as a ``BarBlock``."""
        for rows in blocks:
            self._publish_block(*rows)
        blocks.clear()
        if chunk is not None:
            self._publish_block(chunk, start, stop)

    def _publish_block(self, chunk: BarChunk, start: int, stop: int) -> None:
        """Publish rows ``start:stop`` of ``chunk`` (all already published one by one) as one
        ``BarBlock``, if anyone listens: views, no copy."""
        if stop <= start or not self._bus.has_subscribers(BarBlock):
            return
        rows = slice(start, stop)
        self._bus.publish(
            BarBlock(
                ts_event_ns=int(chunk.ts[stop - 1]),
                symbols=self.symbols,
                period=self.period,
                ts=chunk.ts[rows],
                symbol_index=chunk.symbol_index[rows],
                open=chunk.open[rows],
                high=chunk.high[rows],
                low=chunk.low[rows],
                close=chunk.close[rows],
                volume=chunk.volume[rows],
            )
        )


_NO_CUT = (-1, 0, 0)
"""A tape's block cut after its last: at no step."""

_FETCH = object()
"""What the replay yields before it reads a chunk: the feed's own thread must read it."""


def _next_chunk(chunks: Iterator[BarChunk]) -> Generator[object, None, BarChunk | None]:
    """The next chunk with bars in it (None at the end), each read after a ``_FETCH``."""
    while True:
        yield _FETCH
        chunk = next(chunks, None)
        if chunk is None or len(chunk):
            return chunk
