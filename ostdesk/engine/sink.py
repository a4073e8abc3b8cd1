"""A subscriber that only collects, such as the run recorder.

A sink publishes nothing, so no later event can depend on it and the idle barrier need not wait
for it (``in_barrier = False``). Its queue is a plain list the publisher appends to, which wakes
no thread; its worker drains the list every ``interval`` seconds, or at once when asked
(``wait_until_idle``, ``shutdown``), and handles the events as one batch, in publication order.
Drains keep their cadence, counted from one drain's start to the next, not from the end of the
batch's handling: an event waits at most one interval before its batch starts (plus the time
the batch before takes, when that is longer), which is what bounds what a crash of the
recorder's process can lose.
Measured on the 2-core machines, a thread woken per timestamp costs ~18 µs, about half of a
single-symbol backtest's time per bar; a sink costs its publisher one ``list.append``.
"""

from __future__ import annotations

import threading
import time
from _thread import allocate_lock

from ostdesk.engine.affinity import avoid_engine_cpu, pin_current_thread
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import EventBase
from ostdesk.engine.subscriber import Subscriber


class BufferedSink(Subscriber):
    """Base of sinks: implement :meth:`_on_batch`; events arrive in publication order."""

    in_barrier = False
    #: Run beside the engine's threads rather than on their CPU: for sinks whose work releases
    #: the GIL (database writes), which then overlaps the engine instead of delaying it.
    beside_engine = False

    def __init__(self, bus: EventBus, name: str | None = None, interval: float = 0.25) -> None:
        self._buffer: list[EventBase] = []
        self._interval = interval
        self._wake = threading.Event()
        self._fences: list[threading.Lock] = []
        self._stopping = False
        super().__init__(bus, name)
        self.enqueue = self._buffer.append

    def _event_loop(self) -> None:
        if self._bus.inline:  # no engine threads to keep apart from or close to
            pass
        elif self.beside_engine:
            avoid_engine_cpu()
        else:  # with the engine's threads: GIL hand-offs across cores cost several times more
            pin_current_thread()
        buffer = self._buffer
        clock = time.monotonic
        due = clock() + self._interval
        while True:
            self._wake.wait(max(0.0, due - clock()))
            self._wake.clear()
            due = clock() + self._interval
            fences, self._fences = self._fences, []
            stopping = self._stopping
            batch = buffer[:]  # appends only ever go to the end: copy, then drop that prefix
            del buffer[: len(batch)]
            if batch:
                try:
                    self._on_batch(batch)
                except BaseException as exc:  # a dead worker would leave its fences held
                    self._bus.errors.report(self.name, exc)
            for fence in fences:
                fence.release()
            if stopping and not buffer:
                break
        try:
            self._cleanup()
        except BaseException as exc:
            self._bus.errors.report(self.name, exc)

    def _on_batch(self, events: list[EventBase]) -> None:
        raise NotImplementedError

    def _last_batch(self) -> bool:
        """Whether the batch ``_on_batch`` is handling is the sink's last: it is stopping (so
        unsubscribed: nothing more can arrive) and nothing came after the batch."""
        return self._stopping and not self._buffer

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Drain now and block until every event received before this call is handled."""
        if threading.current_thread() is self._thread:
            raise RuntimeError(f"{self.name}.wait_until_idle() called from its own thread")
        if not self._thread.is_alive():
            return True
        fence = allocate_lock()
        fence.acquire()
        self._fences.append(fence)
        self._wake.set()
        return fence.acquire(True, -1 if timeout is None else timeout)

    def shutdown(self, timeout: float | None = 5.0) -> None:
        """Unsubscribe, handle what was received, run ``_cleanup`` and join the thread."""
        if self._stopped:
            return
        self._stopped = True
        self._bus.unsubscribe(self)
        self._stopping = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
