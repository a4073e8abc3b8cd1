"""Blotters under a full-speed run (issue 8), offscreen.

100k orders (each submitted -> accepted -> filled, so 100k fills too) reach ``Blotters.apply`` in
bridge-sized batches, as fast as possible, with ``processEvents`` (the repaint) between batches.
Figures:
  (a) main-thread time per batch (apply, and apply + repaint): median and worst, and the worst
      without the full garbage collections that fell inside it (a process-wide pause);
  (b) memory kept by the blotters (tracemalloc, events dropped) against the events' own size;
  (c) sorting 100k rows by a number, a string and time (model sort + repaint);
  (d) the same stream while the user has the orders sorted by quantity (rows land apart).

Run: python bench/blotter.py [--orders N] [--batch EVENTS] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from ostdesk.engine import events as ev
from ostdesk.gui.blotter import Blotters

SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "EURUSD", "ES", "GC", "BTCUSD")
T0 = 1_704_067_200_000_000_000
MINUTE = 60_000_000_000


def make_events(n_orders: int) -> list[ev.EventBase]:
    return [e for batch in make_batches(n_orders, 3 * n_orders) for e in batch]


def make_batches(n_orders: int, size: int) -> Iterator[list[ev.EventBase]]:
    """Bridge batches of ``size`` events, made as they are needed: like the bridge, the bench
    keeps no events once delivered, so the garbage collector only walks what the blotters keep."""
    events: list[ev.EventBase] = []
    for oid in range(1, n_orders + 1):
        ts = T0 + oid * MINUTE
        symbol = SYMBOLS[oid % len(SYMBOLS)]
        side = ev.Side.BUY if oid % 2 else ev.Side.SELL
        qty = float(1 + oid % 97)
        price = 100.0 + (oid % 500) / 4
        limit = oid % 3 == 0
        events.append(
            ev.OrderSubmissionRequest(
                ts_event_ns=ts,
                order_id=oid,
                strategy_id="bench",
                symbol=symbol,
                side=side,
                order_type=ev.OrderType.LIMIT if limit else ev.OrderType.MARKET,
                quantity=qty,
                limit_price=price if limit else None,
            )
        )
        events.append(ev.OrderAccepted(ts_event_ns=ts, order_id=oid, strategy_id="bench"))
        events.append(
            ev.FillEvent(
                ts_event_ns=ts + MINUTE,
                fill_id=oid,
                order_id=oid,
                strategy_id="bench",
                symbol=symbol,
                side=side,
                quantity=qty,
                price=price,
                commission=0.5,
            )
        )
        if len(events) >= size:
            yield events
            events = []
    if events:
        yield events


def new_blotters(app: QApplication) -> Blotters:
    widget = Blotters(
        1_000_000.0, settings=QSettings("/tmp/ostdesk-bench-blotter.ini", QSettings.IniFormat)
    )
    widget.resize(1400, 500)
    widget.tabs.setCurrentWidget(widget.orders_view)
    widget.show()
    app.processEvents()
    return widget


class GcWatch:
    """Time spent in full (generation 2) collections: a process-wide pause, not blotter work."""

    def __init__(self) -> None:
        self.pause = 0.0
        self.every: list[float] = []  # all full collections of the run, in or between batches
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.every.append(time.perf_counter() - self._start)
            self.pause += self.every[-1]

    def take(self) -> float:
        pause, self.pause = self.pause, 0.0
        return pause

    def close(self) -> None:
        gc.callbacks.remove(self._on_gc)


def feed(
    app: QApplication, widget: Blotters, batches: Iterable[list[ev.EventBase]]
) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    """Apply each batch then repaint; return per-batch seconds for apply, apply + repaint, the
    same as main-thread CPU time (immune to other processes on a shared box), the full garbage
    collections that fell inside the batch; and every full collection of the run."""
    applies, totals, cpus, pauses = [], [], [], []
    clock, cpu = time.perf_counter, time.thread_time
    watch = GcWatch()
    for batch in batches:
        watch.take()  # a collection while the batch was being built is not the blotters'
        t0, c0 = clock(), cpu()
        widget.apply(batch)
        t1 = clock()
        app.processEvents()
        t2, c2 = clock(), cpu()
        applies.append(t1 - t0)
        totals.append(t2 - t0)
        cpus.append(c2 - c0)
        pauses.append(watch.take())
    watch.close()
    return applies, totals, cpus, pauses, watch.every


def timed(app: QApplication, action: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    action()
    app.processEvents()
    return time.perf_counter() - t0


def deep_size_of_events(n_orders: int) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    events = make_events(n_orders)
    size = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del events
    return size


def retained_by_blotters(app: QApplication, n_orders: int, batch: int) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    widget = new_blotters(app)
    for events in make_batches(n_orders, batch):
        widget.apply(events)
        app.processEvents()
    del events
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    close(app, widget)
    return kept


def summarise(
    applies: list[float],
    totals: list[float],
    cpus: list[float],
    pauses: list[float],
    every_gc: list[float],
    rate: float,
) -> dict[str, float]:
    return {
        "cpu_worst_less_gc": max(c - p for c, p in zip(cpus, pauses, strict=True)),
        "rate": rate,
        "apply": statistics.median(applies),
        "apply_worst": max(applies),
        "total": statistics.median(totals),
        "worst": max(totals),
        "worst_less_gc": max(t - p for t, p in zip(totals, pauses, strict=True)),
        "gcs": len(every_gc),
        "gc_worst": max(every_gc, default=0.0),
    }


def close(app: QApplication, widget: Blotters) -> None:
    widget.close()
    widget.deleteLater()
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000, help="events per bridge batch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--during-run",
        action="store_true",
        help="with the engine's GC policy in force, as while a backtest streams to the window",
    )
    args = parser.parse_args()
    if args.during_run:
        from ostdesk.engine import gc_policy

        gc_policy.run_started()  # what BacktestRun.start() does for as long as a run lasts
    app = QApplication.instance() or QApplication([])
    n_events = 3 * args.orders
    n_batches = -(-n_events // args.batch)

    ms = 1000.0
    runs: list[dict[str, float]] = []
    sorts: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        widget = new_blotters(app)
        measured = feed(app, widget, make_batches(args.orders, args.batch))
        runs.append(summarise(*measured, rate=n_events / sum(measured[1])))
        orders, fills = widget.orders_model, widget.fills_model
        assert orders.rowCount() == args.orders and fills.rowCount() == args.orders
        names = [c.name for c in orders.columns]
        asc, desc = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
        for label, model, column, order in (
            ("orders by Qty", orders, names.index("Qty"), asc),
            ("orders by Symbol", orders, names.index("Symbol"), asc),
            ("orders by Time", orders, names.index("Time"), desc),
            ("fills by Price", fills, [c.name for c in fills.columns].index("Price"), desc),
        ):
            sorts.setdefault(label, []).append(
                timed(app, lambda m=model, c=column, o=order: m.sort(c, o))
            )
        close(app, widget)

    widget = new_blotters(app)
    qty = [c.name for c in widget.orders_model.columns].index("Qty")
    widget.orders_view.table.sortByColumn(qty, Qt.SortOrder.AscendingOrder)
    user_sorted = summarise(*feed(app, widget, make_batches(args.orders, args.batch)), rate=0.0)
    close(app, widget)

    raw = deep_size_of_events(args.orders)
    kept = retained_by_blotters(app, args.orders, args.batch)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def pair(a: float, b: float, unit: float = ms) -> str:
        return f"{a * unit:.1f} / {b * unit:.1f}"

    rows = [
        ("events / batches", f"{n_events:,} / {n_batches:,} of {args.batch:,}"),
        ("throughput, apply+repaint only, events/s", f"{med('rate'):,.0f}"),
        ("batch apply: median / worst (ms)", pair(med("apply"), med("apply_worst"))),
        ("batch apply+repaint: median / worst (ms)", pair(med("total"), med("worst"))),
        ("  worst, less full-GC pause inside it (ms)", f"{med('worst_less_gc') * ms:.1f}"),
        ("  same, main-thread CPU time (ms)", f"{med('cpu_worst_less_gc') * ms:.1f}"),
        ("  full GCs per run / longest (ms)", f"{med('gcs'):.0f} / {med('gc_worst') * ms:.0f}"),
        ("  budget: no stall over (ms)", "50"),
        ("user sort (Qty) on: median / worst (ms)",
         pair(user_sorted["total"], user_sorted["worst"])),
        ("  worst, less full-GC pause inside it (ms)", f"{user_sorted['worst_less_gc'] * ms:.1f}"),
        ("  same, main-thread CPU time (ms)", f"{user_sorted['cpu_worst_less_gc'] * ms:.1f}"),
        ("events' own size (MB)", f"{raw / 1e6:.1f}"),
        ("kept by blotters, events dropped (MB)", f"{kept / 1e6:.1f}"),
        ("  ratio kept / raw (budget 2.0)", f"{kept / raw:.2f}"),
    ]  # fmt: skip
    for label, times in sorts.items():
        rows.append(
            (f"sort {args.orders:,} {label} (ms, median)", f"{statistics.median(times) * ms:.0f}")
        )
    rows.append(("  budget: sort (ms)", "300"))

    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
