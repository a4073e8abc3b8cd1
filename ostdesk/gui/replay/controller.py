"""Replays a recorded run on the chart, the blotters and the replay's log (its strategy's
messages up to the cursor): open, seek, step, play at a speed, pause.

The run is loaded once into a :class:`RunTimeline` (and its events folded once into a
:class:`BookRewind`, on a thread of its own once the first bar shows); every move then shows
the exact state at the new cursor. Short forward moves feed only what the cursor passed, through
the same calls a live run's batches use (chart appends, ``Blotters.apply`` with the engine's own
event objects), so playback looks exactly like the live run; backward and long forward moves
show the books the rewind puts together for the cursor and rebuild the chart from the state
there. Nothing is re-executed.

Playback follows the wall clock: at ``r`` bars/s the cursor is where ``r`` times the elapsed time
puts it, whatever the timer's jitter. At Max speed each frame advances as many bars as fit the
part of the frame budget that painting leaves (:class:`MaxPace`), so playback goes as fast as the
machine draws, however slowly it paints.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ostdesk.engine import events as ev
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.blotter.book import AccountBook, OrderBook
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.replay.chart_feed import ChartFeed, Layout
from ostdesk.gui.replay.log_view import ReplayLogView
from ostdesk.gui.replay.pacing import MaxPace
from ostdesk.gui.replay.rewind_build import RewindBuild, no_cycle_collection
from ostdesk.gui.replay.timeline import DbOrCursor, RunTimeline

SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 50, 100, 500, None)
"""Bars per second offered by the toolbar; ``None`` is Max."""

FRAME_MS = 16  # the timer's period at fast speeds (one frame)
FOLD_DELAY_MS = 300  # from opening a run to folding its rewind (after the first paint)
FOLD_LIMIT = 5_000
"""A forward move over at most this many events folds them into the shown books (~1.4 µs an
event); a longer one takes the rewind's books (~20 ms whatever the distance)."""


class ReplayController(QObject):
    """Drives ``chart``, ``blotters`` and its ``log_view`` (for the window to place) from one
    recorded run at a time."""

    # the bar index shown; qint64: a plain ``int`` signal argument is 32-bit
    cursorChanged = Signal("qint64")  # type: ignore[arg-type]
    playingChanged = Signal(bool)
    speedChanged = Signal(object)  # bars per second, None for Max
    opened = Signal(object)  # RunTimeline
    closed = Signal()

    def __init__(
        self,
        db: DbOrCursor,
        chart: ChartWidget,
        blotters: Blotters,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self.chart = chart
        self.blotters = blotters
        self.log_view = ReplayLogView()
        self._timeline: RunTimeline | None = None
        self._feed: ChartFeed | None = None
        self._rewind: RewindBuild | None = None
        self._cursor = -1
        self._speed: float | None = 10.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._clock_start = 0.0  # playback: wall time and cursor it is measured from
        self._clock_bar = 0
        self._pace = MaxPace()
        self._frame_start: float | None = None  # Max speed: when the last frame began
        self._advanced = 0  # ... how many bars it advanced, in how many seconds
        self._advance_s = 0.0

    # -- state -----------------------------------------------------------------------------
    @property
    def timeline(self) -> RunTimeline | None:
        return self._timeline

    @property
    def cursor(self) -> int:
        """The bar shown (an index on the run's timeline); -1 when no run is open."""
        return self._cursor

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def speed(self) -> float | None:
        return self._speed

    def _require(self) -> RunTimeline:
        if self._timeline is None:
            raise RuntimeError("no run is open for replay; call open(run_id) first")
        return self._timeline

    # -- opening ---------------------------------------------------------------------------
    def open(self, run_id: int, *, layout: Layout | None = None, at: int = 0) -> RunTimeline:
        """Load run ``run_id`` and show it at bar ``at``. ``layout`` places its indicator lines
        (``StrategyHost.indicator_layout`` form); guessed from the values when not given.
        Raises ``UnknownRunError`` / ``EmptyRunError`` and leaves the current replay as it was."""
        with no_cycle_collection():
            timeline = RunTimeline.load(self._db, run_id)
        return self.show_timeline(timeline, layout=layout, at=at)

    def show_timeline(
        self, timeline: RunTimeline, *, layout: Layout | None = None, at: int = 0
    ) -> RunTimeline:
        """Replay an already loaded timeline (``RunTimeline.load`` is Qt-free and takes a
        cursor, so a window can load a long run on a worker thread and hand it over)."""
        self.pause()
        self._timeline = timeline
        build = self._rewind = RewindBuild(timeline.events.events, timeline.capital)
        self.blotters.learn_prices(timeline.events.events)
        self.blotters.fit_next_rows()
        self._feed = ChartFeed(self.chart, timeline, layout)
        self._pace = MaxPace()  # a bar's cost is the run's: its events and lines
        self.log_view.reset(timeline.messages, timeline.run_id)
        self._cursor = -1
        self.opened.emit(timeline)
        self.seek(at)
        # the fold begins once the bar is on screen: beside the open it would slow it
        QTimer.singleShot(FOLD_DELAY_MS, self, lambda: build.start())
        return timeline

    def wait_ready(self) -> None:
        """Fold the rewind now if it has not begun, and wait for it: then every move is as
        quick as it gets (a far move does this itself; a benchmark says how long it takes)."""
        if self._rewind is not None:
            self._rewind.rewind()

    def close(self) -> None:
        """Leave replay: stop playing and forget the run (the chart and blotters keep what
        they show until the window feeds them something else)."""
        self.pause()
        self._timeline = None
        self._feed = None
        self._rewind = None
        self._cursor = -1
        self.closed.emit()

    # -- moving ----------------------------------------------------------------------------
    def seek(self, k: int) -> None:
        """Show the state at bar ``k`` (clamped to the run)."""
        t = self._require()
        k = t.clamp(k)
        if k == self._cursor:
            return
        self._show(t, k)
        if self.playing:
            self._restart_clock()

    def step(self, n: int = 1) -> None:
        """Move ``n`` bars (negative: back)."""
        self.seek(self._cursor + n)

    def next_fill(self) -> bool:
        """Jump to the next bar with a fill; False if there is none."""
        k = self._require().next_fill_bar(self._cursor)
        if k is not None:
            self.seek(k)
        return k is not None

    def prev_fill(self) -> bool:
        """Jump to the previous bar with a fill; False if there is none."""
        k = self._require().prev_fill_bar(self._cursor)
        if k is not None:
            self.seek(k)
        return k is not None

    def go_to(self, ts_ns: int) -> None:
        """Show the last bar at or before ``ts_ns`` (UTC ns)."""
        self.seek(self._require().bar_at_or_before(ts_ns))

    def _show(self, t: RunTimeline, k: int) -> None:
        assert self._feed is not None and self._rewind is not None
        previous = self._cursor
        done = t.event_count(k)  # events that have happened at k
        shown = t.event_count(previous) if previous >= 0 else -1
        if k > previous >= 0 and done - shown <= FOLD_LIMIT:
            self.blotters.apply(self._with_marks(t, t.events.events[shown:done], k))
        else:
            if previous < 0 and done <= FOLD_LIMIT:  # a run's first bar: from empty books
                book, account = OrderBook(), AccountBook(t.capital)
                book.apply(t.events.events[:done])
                account.apply(t.events.events[:done])
            else:
                book, account = self._rewind.rewind().books_at(done)
            account.apply(list(t.latest_bars(k).values()))
            self.blotters.show_books(book, account)
        account = self.blotters.account
        account.peak_equity = float(t.peak_equity[k])  # exact at every bar, not per batch
        account.max_drawdown = float(t.max_drawdown[k])
        self.blotters.account_bar.show_account(account)
        self._feed.show(k)
        self.log_view.show_count(t.message_count(k))
        self._cursor = k
        self.cursorChanged.emit(k)

    @staticmethod
    def _with_marks(t: RunTimeline, events: Sequence[ev.EventBase], k: int) -> list[ev.EventBase]:
        """The events, then each symbol's latest bar: what a live bridge batch carries."""
        return [*events, *t.latest_bars(k).values()]

    # -- playing ---------------------------------------------------------------------------
    def set_speed(self, bars_per_s: float | None) -> None:
        """Play at ``bars_per_s`` (> 0), or as fast as the chart can draw (None, "Max")."""
        if bars_per_s is not None and not bars_per_s > 0:
            raise ValueError(f"replay speed must be positive bars per second, got {bars_per_s}")
        self._speed = bars_per_s
        if self.playing:
            self._restart_clock()
        self.speedChanged.emit(bars_per_s)

    def play(self) -> None:
        """Play from the cursor (from the start if it is at the end)."""
        t = self._require()
        if self.playing:
            return
        if self._cursor >= t.last:
            self.seek(0)
        self._restart_clock()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _restart_clock(self) -> None:
        self._clock_start = time.perf_counter()
        self._clock_bar = self._cursor
        self._frame_start = None  # a pause or seek is not a frame to learn from
        speed = self._speed
        self._timer.setInterval(FRAME_MS if speed is None else max(FRAME_MS, int(1000 / speed)))

    def _tick(self) -> None:
        t = self._require()
        now = time.perf_counter()
        if self._speed is None:
            if self._frame_start is not None:
                self._pace.record(self._advanced, self._advance_s, now - self._frame_start)
            # no further than the books fold in: a longer move rebuilds every blotter
            reach = t.last_bar_within(t.event_count(self._cursor) + FOLD_LIMIT)
            target = max(self._cursor + 1, min(self._cursor + self._pace.step, reach))
        else:
            target = self._clock_bar + int((now - self._clock_start) * self._speed)
        self._frame_start = now
        target = t.clamp(target)
        before = self._cursor
        if target > before:
            self._show(t, target)
        self._advanced = self._cursor - before
        self._advance_s = time.perf_counter() - now
        if self._cursor >= t.last:
            self.pause()
