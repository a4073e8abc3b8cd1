"""The synchronous executor: a bus whose subscribers are run on one thread, with no hand-off.

For work nobody watches live (parameter sweeps, ``ostdesk backtest --fast``). The components
and events are the threaded run's; only delivery differs. Each subscriber in the barrier keeps
a FIFO queue (a ``deque``, appended to by ``publish``), and whoever waits for the system to
be idle (the datafeed, between timestamps) drains the queues itself, calling the handlers in
turn until every queue is empty. That is one of the schedules the threaded engine may run:

- per-subscriber FIFO: a subscriber's events are handled in the order they were published to
  it, one at a time (a handler never runs inside another: ``publish`` only enqueues);
- exact-type dispatch: routing is the :class:`~ostdesk.engine.bus.EventBus`'s own
  (``subscribe``, ``_deliveries``), not a copy of it;
- the idle barrier: the datafeed publishes timestamp t+1 only after the drain that follows t
  found every queue empty, so everything t caused has been handled.

The engine's results do not depend on the schedule (the broker holds a timestamp's requests
until its ``BarsComplete``, the strategy host holds bars until ``OrdersMatched``), so a run
records the same events under both executors; ``tests/engine/test_executor_equivalence.py``
proves it. Sinks (the recorder) keep their own thread: their work is database writes, which
release the GIL and overlap the engine's.

Queues, not direct calls: a handler called from ``publish`` would run inside the publisher's
(the broker's ``on_order`` answer inside the strategy's ``on_bar`` that placed the order),
which no thread of the threaded engine ever sees. A publish and its handling cost ~0.5 µs a
timestamp; a run of SmaCross spends ~11% of its time here (``bench/sync_profile.py``).

Strategy code runs on the draining thread, marked by the strategy host as in the threaded run,
so a cancel interrupts an endless loop there (``ostdesk.engine.interrupt``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from ostdesk.engine.bus import EventBus
from ostdesk.engine.errors import ErrorSink
from ostdesk.engine.events import EventBase
from ostdesk.engine.idle import IdleTracker
from ostdesk.engine.subscriber import Subscriber


class _Handlers(dict[type[EventBase], Callable[[Any], None]]):
    """The handler table of a subscriber that implements ``_on_event`` instead of filling
    ``_handlers``: every type maps to it, so the drain does one lookup for every subscriber."""

    def __init__(self, on_event: Callable[[Any], None]) -> None:
        super().__init__()
        self._on_event = on_event

    def __missing__(self, key: type[EventBase]) -> Callable[[Any], None]:
        return self._on_event


_Run = tuple[deque[EventBase], dict[type[EventBase], Callable[[Any], None]], Subscriber]
"""A subscriber the bus runs: its queue, its handler per event type, itself."""


class _DrainOnWait(IdleTracker):
    """The idle barrier of an inline bus: waiting for idle is doing the pending work now.

    ``pending`` stays 0: the queues themselves say what is left."""

    __slots__ = ("errors", "runs")

    def __init__(self, errors: ErrorSink) -> None:
        super().__init__()
        self.errors = errors
        self.runs: tuple[_Run, ...] = ()

    def add(self, n: int) -> None:
        """Counting is the queues' job here (``StrategyHost.finish`` calls this)."""

    def done(self, n: int = 1) -> None:
        """Nothing to count: see :meth:`add`."""

    def wait(self, timeout: float | None = None) -> bool:
        """Handle everything queued, and everything that causes, on the calling thread:
        subscriber by subscriber in the order they attached, until every queue is empty.

        The datafeed calls this once a timestamp, so it is the executor's hot loop, inlined
        (~0.8 µs a timestamp when it was three calls and a lock). One thread at a time (the
        run's), never from a handler."""
        busy = True
        while busy:
            busy = False
            for queue, handlers, subscriber in self.runs:
                if queue:
                    busy = True
                    popleft = queue.popleft
                    while queue:
                        event = popleft()
                        try:
                            handlers[event.__class__](event)
                        except BaseException as exc:  # as the subscriber's worker would
                            self._failed(subscriber, exc)
        return True

    def _failed(self, subscriber: Subscriber, exc: BaseException) -> None:
        try:
            subscriber._on_exception(exc)
        except BaseException as inner:  # the error path must not stop the run either
            self.errors.report(subscriber.name, inner)


class InlineBus(EventBus):
    """An :class:`EventBus` whose barrier subscribers are run by whoever waits for idle."""

    inline = True

    def __init__(self, errors: ErrorSink | None = None) -> None:
        super().__init__(errors)
        self.idle = self._queues = _DrainOnWait(self.errors)

    def attach(self, subscriber: Subscriber) -> Callable[[EventBase], None]:
        queue: deque[EventBase] = deque()
        handlers = subscriber._handlers
        if handlers is None:  # or not filled yet: ``_on_event`` then reads them itself
            handlers = _Handlers(subscriber._on_event)
        self._queues.runs = (*self._queues.runs, (queue, handlers, subscriber))
        return queue.append

    def detach(self, subscriber: Subscriber) -> None:
        """Handle what ``subscriber`` still has queued (as its worker would before its end),
        then run its ``_cleanup``; whatever either raises goes to the error sink."""
        queues = self._queues
        mine = [run for run in queues.runs if run[2] is subscriber]
        queues.runs = tuple(run for run in queues.runs if run[2] is not subscriber)
        for queue, handlers, _ in mine:
            while queue:
                event = queue.popleft()
                try:
                    handlers[event.__class__](event)
                except BaseException as exc:
                    queues._failed(subscriber, exc)
        try:
            subscriber._cleanup()
        except BaseException as exc:
            self.errors.report(subscriber.name, exc)

    def publish(self, event: EventBase) -> None:
        """Enqueue ``event`` for every subscriber of its exact type; nothing runs yet."""
        for enqueue in self._deliveries.get(type(event), _NOBODY)[0]:
            enqueue(event)

    def publish_all(self, events: Sequence[EventBase]) -> None:
        """``publish`` of each of ``events`` (all of one exact type), with one lookup."""
        if events:
            for enqueue in self._deliveries.get(type(events[0]), _NOBODY)[0]:
                for event in events:
                    enqueue(event)

    def drain(self) -> None:
        """Handle every queued event and what it causes, now, on the calling thread."""
        self._queues.wait()


_NOBODY: tuple[tuple[Callable[[EventBase], None], ...], int] = ((), 0)
