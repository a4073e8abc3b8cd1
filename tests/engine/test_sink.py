"""Sinks: no part in the barrier, batches in publication order, nothing lost at shutdown."""

from __future__ import annotations

import threading

from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarReceived, EventBase
from ostdesk.engine.sink import BufferedSink
from tests.engine.helpers import Recorder, bar


class Collect(BufferedSink):
    def __init__(
        self, bus: EventBus, interval: float = 0.25, gate: threading.Event | None = None
    ) -> None:
        self.batches: list[list[EventBase]] = []
        self.gate = gate
        super().__init__(bus, interval=interval)
        self._subscribe(BarReceived)

    def _on_batch(self, events: list[EventBase]) -> None:
        if self.gate is not None:
            self.gate.wait()
        self.batches.append(events)


def test_sink_never_holds_the_barrier() -> None:
    bus = EventBus()
    gate = threading.Event()  # the sink's handler is blocked for the whole test
    sink = Collect(bus, interval=0.001, gate=gate)
    active = Recorder(bus, BarReceived)
    for ts in range(100):
        bus.publish(bar(ts))
        assert bus.wait_until_system_idle(timeout=5)
    assert len(active.seen) == 100
    gate.set()
    sink.shutdown()
    active.shutdown()
    assert [e.ts_event_ns for b in sink.batches for e in b] == list(range(100))


def test_sink_keeps_publication_order_across_batches_and_drains_on_shutdown() -> None:
    bus = EventBus()
    sink = Collect(bus, interval=0.0005)
    publishers = [
        threading.Thread(
            target=lambda p=p: [bus.publish(bar(i, symbol=f"P{p}")) for i in range(3000)]
        )
        for p in range(3)
    ]
    for t in publishers:
        t.start()
    for t in publishers:
        t.join()
    sink.shutdown()
    events = [e for b in sink.batches for e in b]
    assert len(events) == 9000
    for p in range(3):
        assert [e.ts_event_ns for e in events if e.symbol == f"P{p}"] == list(range(3000))  # type: ignore[attr-defined]


def test_wait_until_idle_drains_at_once() -> None:
    bus = EventBus()
    sink = Collect(bus, interval=60.0)  # would never drain on its own during the test
    bus.publish(bar(1))
    assert sink.wait_until_idle(timeout=5)
    assert [len(b) for b in sink.batches] == [1]
    sink.shutdown()


def test_an_exception_in_a_batch_is_reported_and_the_sink_goes_on() -> None:
    bus = EventBus()

    class Fragile(Collect):
        def _on_batch(self, events: list[EventBase]) -> None:
            if any(e.ts_event_ns == 1 for e in events):
                raise RuntimeError("disk full")
            super()._on_batch(events)

    sink = Fragile(bus)
    bus.publish(bar(1))
    sink.wait_until_idle()
    bus.publish(bar(2))
    sink.shutdown()
    assert [e.message for e in bus.errors.errors] == ["RuntimeError: disk full"]
    assert [e.ts_event_ns for b in sink.batches for e in b] == [2]
