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

Strategy code runs on the draining thread, marked by the strategy host as in the threaded run,
so a cancel interrupts an endless loop there (``ostdesk.engine.interrupt``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

from ostdesk.engine.bus import EventBus
from ostdesk.engine.errors import ErrorSink
from ostdesk.engine.events import EventBase
from ostdesk.engine.idle import IdleTracker
from ostdesk.engine.subscriber import Subscriber


class _DrainOnWait(IdleTracker):
    """The idle barrier of an inline bus: waiting for idle is doing the pending work now.

    ``pending`` stays 0: the queues themselves say what is left."""

    __slots__ = ("_drain",)

    def __init__(self, drain: Callable[[], None]) -> None:
        super().__init__()
        self._drain = drain

    def add(self, n: int) -> None:
        """Counting is the queues' job here (``StrategyHost.finish`` calls this)."""

    def done(self, n: int = 1) -> None:
        """Nothing to count: see :meth:`add`."""

    def wait(self, timeout: float | None = None) -> bool:
        """Handle everything queued, and everything that causes, on the calling thread."""
        self._drain()
        return True


class InlineBus(EventBus):
    """An :class:`EventBus` whose barrier subscribers are run by whoever waits for idle."""

    inline = True

    def __init__(self, errors: ErrorSink | None = None) -> None:
        super().__init__(errors)
        self.idle = _DrainOnWait(self.drain)
        self._runs: tuple[tuple[deque[EventBase], Subscriber], ...] = ()
        self._draining = threading.Lock()

    def attach(self, subscriber: Subscriber) -> Callable[[EventBase], None]:
        queue: deque[EventBase] = deque()
        with self._draining:
            self._runs = (*self._runs, (queue, subscriber))
        return queue.append

    def detach(self, subscriber: Subscriber) -> None:
        """Handle what ``subscriber`` still has queued (as its worker would before its end),
        then run its ``_cleanup``; whatever either raises goes to the error sink."""
        with self._draining:
            mine = [run for run in self._runs if run[1] is subscriber]
            self._runs = tuple(run for run in self._runs if run[1] is not subscriber)
            for queue, _ in mine:
                _handle(queue, subscriber, self.errors)
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
        """Call the handlers of every queued event, subscriber by subscriber in the order they
        attached, until all queues are empty. One thread at a time; never from a handler."""
        errors = self.errors
        with self._draining:
            busy = True
            while busy:
                busy = False
                for queue, subscriber in self._runs:
                    if queue:
                        busy = True
                        _handle(queue, subscriber, errors)


def _handle(queue: deque[EventBase], subscriber: Subscriber, errors: ErrorSink) -> None:
    """Handle ``queue``'s events (and those added meanwhile) as the subscriber's worker would:
    an exception goes to its ``_on_exception`` and the next event is handled."""
    handlers = subscriber._handlers
    on_event = subscriber._on_event if handlers is None else None
    popleft = queue.popleft
    while queue:
        event = popleft()
        try:
            if on_event is None:
                handlers[event.__class__](event)  # type: ignore[index]
            else:
                on_event(event)
        except BaseException as exc:
            try:
                subscriber._on_exception(exc)
            except BaseException as inner:  # the error path must not stop the run either
                errors.report(subscriber.name, inner)


_NOBODY: tuple[tuple[Callable[[EventBase], None], ...], int] = ((), 0)
