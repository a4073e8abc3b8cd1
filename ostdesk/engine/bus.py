"""The event bus: exact-type publish/subscribe with deterministic delivery order.

Subscribers are kept per concrete event type in subscription order, as immutable tuples that
are replaced (copy-on-write) when subscriptions change: the snapshot taken under the lock in
``publish`` is a reference, not a copy, and delivery happens outside the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ostdesk.engine.errors import ErrorSink
from ostdesk.engine.events import EventBase
from ostdesk.engine.idle import IdleTracker

if TYPE_CHECKING:
    from ostdesk.engine.subscriber import Subscriber


class EventBus:
    """Routes each event to the subscribers of its exact type (never of a base class)."""

    inline = False
    """Whether subscribers in the barrier are run by the bus on one thread (the synchronous
    executor, ``ostdesk.engine.inline``) instead of each on its own: they then start no
    thread and hand their queue to :meth:`attach`."""

    def attach(self, subscriber: Subscriber) -> Callable[[EventBase], None]:
        """An inline bus's queue for ``subscriber``: what it enqueues with (see ``inline``)."""
        raise TypeError("only an inline bus runs its subscribers itself")

    def detach(self, subscriber: Subscriber) -> None:
        """An inline bus handles what ``subscriber`` still has queued and stops running it."""
        raise TypeError("only an inline bus runs its subscribers itself")

    def __init__(self, errors: ErrorSink | None = None) -> None:
        self.idle = IdleTracker()
        self.errors = errors if errors is not None else ErrorSink()
        self._subscriptions: dict[type[EventBase], tuple[Subscriber, ...]] = {}
        self._deliveries: dict[
            type[EventBase], tuple[tuple[Callable[[EventBase], None], ...], int]
        ] = {}
        self._made: dict[
            tuple[type[EventBase], tuple[Subscriber, ...]],
            tuple[tuple[Callable[[EventBase], None], ...], int],
        ] = {}
        self.has_subscribers: Callable[[type[EventBase]], bool] = self._deliveries.__contains__
        """Whether anyone listens for an event type: lets a publisher skip building events.
        The dict's own ``__contains__``, not a method: publishers ask once a bar or more."""

    def subscribe(self, subscriber: Subscriber, *event_types: type[EventBase]) -> None:
        """Deliver each of ``event_types`` to ``subscriber`` too (after its earlier subscribers)."""
        with self.idle.lock:
            for t in event_types:
                current = self._subscriptions.get(t, ())
                if subscriber not in current:
                    self._set(t, (*current, subscriber))

    def unsubscribe(self, subscriber: Subscriber, *event_types: type[EventBase]) -> None:
        """Stop delivering ``event_types`` (every type, if none is named) to ``subscriber``."""
        with self.idle.lock:
            for t in event_types or list(self._subscriptions):
                current = self._subscriptions.get(t, ())
                if subscriber in current:
                    self._set(t, tuple([s for s in current if s is not subscriber]))

    def _set(self, event_type: type[EventBase], subscribers: tuple[Subscriber, ...]) -> None:
        """Replace one type's subscribers (the caller holds the lock) and what publish reads:
        their enqueue functions, called without a method hop, and how many of them take part
        in the idle barrier for this type (see ``Subscriber.uncounted``). The broker
        (un)subscribes from bars around each order, going back and forth between two sets of
        subscribers: what each set delivers is made once (``_made``; a subscriber's enqueue
        and counting are fixed once it subscribes) and looked up after that."""
        if subscribers:
            self._subscriptions[event_type] = subscribers
            made = self._made.get((event_type, subscribers))
            if made is None:
                made = self._made[event_type, subscribers] = (
                    tuple([s.enqueue for s in subscribers]),
                    len([s for s in subscribers if s.in_barrier and event_type not in s.uncounted]),
                )
            self._deliveries[event_type] = made
        else:
            self._subscriptions.pop(event_type, None)
            self._deliveries.pop(event_type, None)

    def publish(self, event: EventBase) -> None:
        """Enqueue ``event`` for every subscriber of its exact type, in subscription order.

        Sinks (subscribers with ``in_barrier = False``: they publish nothing, so the barrier
        need not wait for them) receive it too but are not counted as pending work; an event
        only sinks listen to needs no lock at all (reading the snapshot is atomic).

        The pending count is raised for all of them in the same critical section that takes the
        snapshot, so the system cannot look idle between the snapshot and the enqueues.
        """
        deliveries, counted = self._deliveries.get(type(event), _NOBODY)
        if counted:
            idle = self.idle
            with idle.lock:  # the snapshot that is counted is taken under the lock
                deliveries, counted = self._deliveries.get(type(event), _NOBODY)
                idle.pending += counted
        for enqueue in deliveries:
            enqueue(event)

    def publish_all(self, events: Sequence[EventBase]) -> None:
        """Publish events of one exact type, in order: what ``publish`` of each would do, with
        one snapshot and one lock for all (the datafeed's bars of one timestamp)."""
        if not events:
            return
        kind = type(events[0])
        deliveries, counted = self._deliveries.get(kind, _NOBODY)
        if counted:
            idle = self.idle
            with idle.lock:
                deliveries, counted = self._deliveries.get(kind, _NOBODY)
                idle.pending += counted * len(events)
        for enqueue in deliveries:
            for event in events:
                enqueue(event)

    def subscribers(self) -> tuple[Subscriber, ...]:
        """Everyone subscribed to anything (each once)."""
        subscriptions = list(self._subscriptions.values())  # a snapshot: dict may change
        return tuple(dict.fromkeys(s for subs in subscriptions for s in subs))

    def wait_until_system_idle(self, timeout: float | None = None) -> bool:
        """Block until every subscriber's queue is empty and every handler has returned."""
        return self.idle.wait(timeout)


_NOBODY: tuple[tuple[Callable[[EventBase], None], ...], int] = ((), 0)
