"""A run's :class:`BookRewind` folded on a thread of its own once the replay has opened.

Folding a run's events into the rewind is ~40% of opening a million-bar run in replay, and the
first bar shown does not need it (its few events fold from empty books). The fold is plain
Python: beside the open it would only share the GIL with it, so the window starts it once the
first bar is on screen (:meth:`start`); the first move that needs the books of a far bar starts
it if it has not begun and waits for what is left of it. Qt-free: the rewind's books are plain
Python, built from the timeline's immutable events.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator, Sequence

from ostdesk.engine import events as ev
from ostdesk.gui.blotter.rewind import BookRewind


class RewindBuild:
    """``BookRewind(events, capital)``, folded from :meth:`start`, given by :meth:`rewind`."""

    def __init__(self, events: Sequence[ev.EventBase], capital: float) -> None:
        self._events = events
        self._capital = capital
        self._rewind: BookRewind | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, name="replay-rewind", daemon=True)
        self._started = False

    def start(self) -> None:
        """Begin the fold (once; later calls do nothing)."""
        if not self._started:
            self._started = True
            self._thread.start()

    def _build(self) -> None:
        try:
            with no_cycle_collection():
                self._rewind = BookRewind(self._events, self._capital)
        except BaseException as exc:  # raised again on the thread that asks for the rewind
            self._error = exc

    def rewind(self) -> BookRewind:
        """The rewind, once built (starts the fold if need be and waits for it)."""
        self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._rewind is not None
        return self._rewind


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Bulk builds allocate many acyclic objects that survive: cycle collections triggered
    meanwhile would only rescan them (reference counting still frees everything at once)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
