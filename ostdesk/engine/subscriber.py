"""A bus component with its own worker thread and unbounded FIFO queue."""

from __future__ import annotations

import threading
from _thread import allocate_lock
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from ostdesk.engine.affinity import pin_current_thread
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import EventBase


class _Fence:
    """A marker put in one queue; its lock is released when the worker reaches it."""

    __slots__ = ("lock",)

    def __init__(self) -> None:
        self.lock = allocate_lock()
        self.lock.acquire()


class Subscriber:
    """Receives events on the publisher's thread (enqueue only) and handles them on its own.

    Subclasses call :meth:`_subscribe` for the event types they want and either fill
    ``_handlers`` (event type -> handler, which the worker calls directly) or implement
    :meth:`_on_event`. An exception in a handler goes to :meth:`_on_exception` (by default the
    bus's error sink) and the thread goes on with the next event; so does a ``BaseException``
    (a ``SystemExit`` from code a handler calls): a worker that died would hang the idle barrier.
    """

    in_barrier: bool = True
    """Whether the idle barrier waits for this subscriber's events (see ``sink.BufferedSink``)."""

    uncounted: frozenset[type[EventBase]] = frozenset()
    """Event types whose handling publishes nothing and subscribes to nothing (a strategy
    host without an ``on_order`` hook, for the broker's answers): the idle barrier need not
    wait for them, as it need not for a sink's. The subscriber still handles them in FIFO
    order, so before anything published after them. Fixed before the first ``_subscribe``."""

    essential: bool = False
    """Whether its run cannot go on without it (the broker, the run recorder): an error it
    reports makes the runner cancel the run, which ends ``failed`` with that error."""

    _handlers: dict[type[EventBase], Callable[[Any], None]] | None = None
    """Handler per exact event type; the worker calls it without an ``_on_event`` hop (a
    Python call fewer per event, for the broker and the strategy host)."""

    def __init__(self, bus: EventBus, name: str | None = None) -> None:
        self._bus = bus
        self.name = name or type(self).__name__
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._enqueue: Callable[[Any], None] = self._queue.put
        self.enqueue: Callable[[EventBase], None] = self._queue.put
        """Called by the bus, which has already counted the event as pending."""
        self._stopped = False
        self._thread = threading.Thread(
            target=self._event_loop, name=f"ostdesk-{self.name}", daemon=True
        )
        self._inline = bus.inline and self.in_barrier
        if self._inline:  # the bus calls its handlers on the thread that drains it: no thread
            self._enqueue = self.enqueue = bus.attach(self)
        else:
            self._thread.start()

    # -- bus side ----------------------------------------------------------------------------
    def _subscribe(self, *event_types: type[EventBase]) -> None:
        self._bus.subscribe(self, *event_types)

    def _unsubscribe(self, *event_types: type[EventBase]) -> None:
        self._bus.unsubscribe(self, *event_types)

    def _publish(self, event: EventBase) -> None:
        self._bus.publish(event)

    # -- worker side -------------------------------------------------------------------------
    def _event_loop(self) -> None:
        pin_current_thread()
        get = self._queue.get
        empty = self._queue.empty
        done = self._bus.idle.done
        on_event = self._on_event
        handlers = self._handlers
        uncounted = self.uncounted
        handled = 0  # events handled whose completion is not yet reported
        while True:
            event = get()
            if event is None or event.__class__ is _Fence:
                if handled:  # events of a burst this follows: report them first
                    done(handled)
                    handled = 0
                if event is None:
                    break
                event.lock.release()
                continue
            try:
                if handlers is None:
                    on_event(event)
                else:
                    handlers[event.__class__](event)
            except BaseException as exc:
                try:
                    self._on_exception(exc)
                except BaseException as inner:  # the error path must not kill the thread either
                    self._bus.errors.report(self.name, inner)
            finally:
                if event.__class__ not in uncounted:
                    handled += 1
                if handled and empty():  # one report per burst: each may wake the waiter
                    done(handled)
                    handled = 0
        try:
            self._cleanup()
        except BaseException as exc:
            self._bus.errors.report(self.name, exc)

    def _on_event(self, event: EventBase) -> None:
        if self._handlers is None:
            raise NotImplementedError
        self._handlers[event.__class__](event)

    def _on_exception(self, exc: BaseException) -> None:
        self._bus.errors.report(self.name, exc)

    def _cleanup(self) -> None:
        """Runs on the worker thread after the last event, before the thread ends."""

    # -- control -----------------------------------------------------------------------------
    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until every event enqueued here before this call has been handled.

        Must not be called from this subscriber's own thread (it would wait for itself).
        """
        if self._inline:
            return self._bus.wait_until_system_idle(timeout)
        if threading.current_thread() is self._thread:
            raise RuntimeError(f"{self.name}.wait_until_idle() called from its own thread")
        if not self._thread.is_alive():
            return True
        fence = _Fence()
        self._enqueue(fence)
        return fence.lock.acquire(True, -1 if timeout is None else timeout)

    def shutdown(self, timeout: float | None = 5.0) -> None:
        """Unsubscribe, let the worker finish what is queued, and join its thread."""
        if self._stopped:
            return
        self._stopped = True
        self._bus.unsubscribe(self)
        if self._inline:
            self._bus.detach(self)
            return
        self._enqueue(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def thread(self) -> threading.Thread:
        return self._thread
