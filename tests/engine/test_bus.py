"""The bus: exact-type dispatch, FIFO per subscriber, the idle barrier, error isolation."""

from __future__ import annotations

import dataclasses
import os
import threading

import pytest

from ostdesk.engine.affinity import engine_cpu
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, EventBase, FillEvent, Side
from ostdesk.engine.subscriber import Subscriber
from tests.engine.helpers import Recorder, bar


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class SpecialBar(BarReceived):
    """A subclass: subscribers of BarReceived must not get it."""


def test_subscriber_to_a_base_class_does_not_get_subclasses() -> None:
    bus = EventBus()
    base = Recorder(bus, EventBase)
    bars = Recorder(bus, BarReceived)
    special = SpecialBar(
        ts_event_ns=1, symbol="S", period=BarPeriod.DAY, open=1, high=1, low=1, close=1, volume=1
    )
    bus.publish(bar(1))
    bus.publish(special)
    bus.wait_until_system_idle()
    assert base.seen == []
    assert [(type(e), e.ts_event_ns) for e in bars.seen] == [(BarReceived, 1)]
    for s in (base, bars):
        s.shutdown()


def test_each_subscriber_sees_every_publishers_events_in_their_order() -> None:
    bus = EventBus()
    subs = [Recorder(bus, BarReceived) for _ in range(3)]
    n, publishers = 5_000, 4
    start = threading.Barrier(publishers)

    def publish(pid: int) -> None:
        start.wait()
        for i in range(n):
            bus.publish(bar(i, symbol=f"P{pid}"))

    threads = [threading.Thread(target=publish, args=(p,)) for p in range(publishers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bus.wait_until_system_idle(timeout=30)
    for s in subs:
        assert len(s.seen) == n * publishers
        for pid in range(publishers):
            mine = [
                e.ts_event_ns
                for e in s.seen
                if isinstance(e, BarReceived) and e.symbol == f"P{pid}"
            ]
            assert mine == list(range(n)), "FIFO per publisher within one subscriber"
        s.shutdown()


def test_delivery_order_across_subscribers_is_subscription_order() -> None:
    """The bus hands an event to subscribers in the order they subscribed, every time."""
    bus = EventBus()
    order: list[str] = []

    class Probe(Subscriber):
        def _on_event(self, event: EventBase) -> None:
            pass

    probes = [Probe(bus, name=f"s{i}") for i in (3, 1, 4, 0, 2)]
    for p in probes:
        put = p.enqueue
        p.enqueue = lambda e, p=p, put=put: (order.append(p.name), put(e))  # type: ignore[method-assign]
        bus.subscribe(p, BarReceived)
    for ts in range(100):
        bus.publish(bar(ts))
    bus.wait_until_system_idle()
    assert order == ["s3", "s1", "s4", "s0", "s2"] * 100
    for p in probes:
        p.shutdown()


def test_idle_barrier_covers_events_published_by_handlers() -> None:
    """10,000 timestamps, 5 subscribers that re-publish: nothing of T+1 before all of T is done."""
    bus = EventBus()
    timestamps = 10_000
    violations: list[tuple[int, int]] = []
    current = [0]
    handled = [0]
    count_lock = threading.Lock()

    def republish(sub: Recorder, event: EventBase) -> None:
        if event.ts_event_ns != current[0]:
            violations.append((event.ts_event_ns, current[0]))
        with count_lock:
            handled[0] += 1
        if isinstance(event, BarReceived):
            sub.publish(
                FillEvent(
                    ts_event_ns=event.ts_event_ns,
                    fill_id=0,
                    order_id=0,
                    strategy_id=sub.name,
                    symbol="X",
                    side=Side.BUY,
                    quantity=1,
                    price=1,
                    commission=0,
                )
            )

    subs = [Recorder(bus, BarReceived, FillEvent, hook=republish, name=f"r{i}") for i in range(5)]
    for ts in range(timestamps):
        current[0] = ts
        bus.publish(bar(ts))
        bus.wait_until_system_idle()
        # every subscriber handled the bar and the 5 fills re-published for it
        assert handled[0] == (ts + 1) * 5 * 6
    assert violations == []
    for s in subs:
        s.shutdown()


def test_wait_with_timeout_reports_not_idle() -> None:
    bus = EventBus()
    release = threading.Event()
    blocker = Recorder(bus, BarReceived, hook=lambda s, e: release.wait())
    bus.publish(bar(1))
    assert bus.wait_until_system_idle(timeout=0.05) is False
    release.set()
    assert bus.wait_until_system_idle(timeout=5) is True
    blocker.shutdown()


def test_exception_in_handler_is_reported_and_the_thread_goes_on() -> None:
    bus = EventBus()
    reported: list[str] = []
    bus.errors.add_listener(lambda err: reported.append(err.message))

    def explode(sub: Recorder, event: EventBase) -> None:
        if event.ts_event_ns == 2:
            raise ValueError("bad bar 2")

    sub = Recorder(bus, BarReceived, hook=explode, name="fragile")
    for ts in (1, 2, 3):
        bus.publish(bar(ts))
    bus.wait_until_system_idle()
    assert [e.ts_event_ns for e in sub.seen] == [1, 2, 3]
    assert reported == ["ValueError: bad bar 2"]
    [error] = bus.errors.errors
    assert error.component == "fragile"
    assert "explode" in error.traceback
    sub.shutdown()


def test_subscribe_and_unsubscribe_during_delivery() -> None:
    bus = EventBus()
    late: list[Recorder] = []

    def churn(sub: Recorder, event: EventBase) -> None:
        if event.ts_event_ns == 10:
            late.append(Recorder(bus, BarReceived, name="late"))
        if event.ts_event_ns == 20:
            bus.unsubscribe(sub, BarReceived)

    first = Recorder(bus, BarReceived, hook=churn, name="first")
    for ts in range(40):
        bus.publish(bar(ts))
        bus.wait_until_system_idle()
    assert [e.ts_event_ns for e in first.seen] == list(range(21))
    [newcomer] = late
    assert [e.ts_event_ns for e in newcomer.seen] == list(range(11, 40))
    for s in (first, newcomer):
        s.shutdown()


def test_shutdown_joins_the_worker_thread() -> None:
    bus = EventBus()
    subs = [Recorder(bus, BarReceived) for _ in range(3)]
    bus.publish(bar(1))
    for s in subs:
        s.shutdown()
        assert not s.thread.is_alive()
        assert [e.ts_event_ns for e in s.seen] == [1], "queued events are handled before stopping"
    assert bus.subscribers() == ()


def test_wait_until_idle_of_one_subscriber() -> None:
    bus = EventBus()
    release = threading.Event()
    slow = Recorder(bus, BarReceived, hook=lambda s, e: release.wait())
    bus.publish(bar(1))
    assert slow.wait_until_idle(timeout=0.05) is False
    release.set()
    assert slow.wait_until_idle(timeout=5) is True
    assert len(slow.seen) == 1
    slow.shutdown()


def test_barrier_releases_when_a_fence_and_the_end_follow_a_burst() -> None:
    """Completions are reported once per burst (when the queue is empty): a fence or the
    shutdown sentinel queued behind events must not leave any of them unreported."""
    bus = EventBus()
    release = threading.Event()
    sub = Recorder(bus, BarReceived, hook=lambda s, e: release.wait())
    for ts in range(4):
        bus.publish(bar(ts))
    fenced: list[bool] = []
    waiter = threading.Thread(target=lambda: fenced.append(sub.wait_until_idle(timeout=5)))
    waiter.start()
    while sub._queue.qsize() < 4:  # three bars and the fence wait behind the first bar
        threading.Event().wait(0.001)
    bus.publish(bar(4))
    assert bus.idle.pending == 5
    release.set()
    waiter.join()
    assert fenced == [True]
    assert bus.wait_until_system_idle(timeout=5) is True
    assert bus.idle.pending == 0

    release.clear()
    bus.publish(bar(5))
    bus.publish(bar(6))
    sub.shutdown(timeout=0)  # the sentinel queues behind the two bars
    release.set()
    sub.thread.join(5)
    assert bus.idle.pending == 0
    assert [e.ts_event_ns for e in sub.seen] == list(range(7))


def test_publish_all_delivers_each_event_in_order_and_counts_them_all() -> None:
    bus = EventBus()
    release = threading.Event()
    slow = Recorder(bus, BarReceived, hook=lambda s, e: release.wait(), name="slow")
    other = Recorder(bus, BarReceived, name="other")
    bus.publish_all([bar(ts) for ts in range(5)])
    bus.publish_all([])
    assert bus.wait_until_system_idle(timeout=0.05) is False  # all five still pending
    release.set()
    assert bus.wait_until_system_idle(timeout=5) is True
    for sub in (slow, other):
        assert [e.ts_event_ns for e in sub.seen] == list(range(5))
        sub.shutdown()


def test_workers_run_on_the_engine_cpu_without_preempting_each_other() -> None:
    if not hasattr(os, "SCHED_BATCH") or os.environ.get("OSTDESK_NO_PIN"):
        pytest.skip("CPU affinity and scheduling policy are Linux-only")
    placement: list[tuple[set[int], int]] = []

    def note(_s: Recorder, _e: EventBase) -> None:
        placement.append((os.sched_getaffinity(0), os.sched_getscheduler(0)))

    bus = EventBus()
    sub = Recorder(bus, BarReceived, hook=note)
    bus.publish(bar(1))
    bus.wait_until_system_idle()
    sub.shutdown()
    assert placement == [({engine_cpu()}, os.SCHED_BATCH)]
    assert os.sched_getscheduler(0) == os.SCHED_OTHER, "the publisher's thread is left alone"
