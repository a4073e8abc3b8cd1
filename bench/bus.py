"""Bus throughput and idle-barrier rate (issue 2).

(a) events/s through the bus: 1 publisher, 4 subscribers, each event delivered to all four.
(b) timestamps/s through the idle barrier: 3 subscribers, 1 event per timestamp, publish then
    ``wait_until_system_idle()`` -- the backtest's hot path.

Run: python bench/bus.py [--events N] [--timestamps N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time

from ostdesk.engine.affinity import pin_current_thread
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, EventBase
from ostdesk.engine.subscriber import Subscriber


class Counter(Subscriber):
    def __init__(self, bus: EventBus) -> None:
        self.count = 0
        super().__init__(bus)
        self._subscribe(BarReceived)

    def _on_event(self, event: EventBase) -> None:
        self.count += 1


def make_bar(ts: int) -> BarReceived:
    return BarReceived(
        ts_event_ns=ts,
        symbol="X",
        period=BarPeriod.MINUTE,
        open=1.0,
        high=1.0,
        low=1.0,
        close=1.0,
        volume=1.0,
    )


def throughput(n: int) -> float:
    bus = EventBus()
    subs = [Counter(bus) for _ in range(4)]
    bars = [make_bar(i) for i in range(n)]
    publish = bus.publish
    t0 = time.perf_counter()
    for bar in bars:
        publish(bar)
    bus.wait_until_system_idle()
    dt = time.perf_counter() - t0
    assert all(s.count == n for s in subs)
    for s in subs:
        s.shutdown()
    return n / dt


def barrier(n: int) -> float:
    bus = EventBus()
    subs = [Counter(bus) for _ in range(3)]
    bars = [make_bar(i) for i in range(n)]
    publish, wait = bus.publish, bus.wait_until_system_idle
    t0 = time.perf_counter()
    for bar in bars:
        publish(bar)
        wait()
    dt = time.perf_counter() - t0
    assert all(s.count == n for s in subs)
    for s in subs:
        s.shutdown()
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--timestamps", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    pin_current_thread()  # the publisher stands for the datafeed thread: pinned, SCHED_BATCH
    a = [throughput(args.events) for _ in range(args.repeat)]
    b = [barrier(args.timestamps) for _ in range(args.repeat)]
    print(f"{'benchmark':<44}{'median':>12}{'min':>12}{'max':>12}")
    print(
        f"{'(a) events/s, 1 publisher x 4 subscribers':<44}"
        f"{statistics.median(a):>12,.0f}{min(a):>12,.0f}{max(a):>12,.0f}"
    )
    print(
        f"{'(b) timestamps/s, idle barrier, 3 subs':<44}"
        f"{statistics.median(b):>12,.0f}{min(b):>12,.0f}{max(b):>12,.0f}"
    )
    print(f"(b) cost per timestamp: {1e6 / statistics.median(b):.1f} µs")


if __name__ == "__main__":
    main()
