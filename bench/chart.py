"""Chart rendering figures (issue 7): first paint, pan/zoom frames and live appends.

Offscreen, a 1600x900 ChartWidget with N synthetic 5-minute bars (default 1,000,000). Every
timing covers the change (data, x range, y fit) and then ``processEvents()``, which runs the
chart's deferred refresh and the one repaint of the chart viewport the change scheduled (every
pane, axis and item rendered into the backing store, as on screen); the script counts the
viewport's paint events and fails if a timed frame did not paint. Pan/zoom go through the view
box's signals, as mouse drags and wheel events do.

Run: python bench/chart.py [--bars N] [--frames F]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import numpy as np
from PySide6.QtWidgets import QApplication

if not __package__:  # run as ``python bench/chart.py``: make its siblings importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.paints import PaintCounter
from ostdesk.gui.chart.widget import ChartWidget

FIVE_MIN = 300 * 10**9


def synthetic(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    ts = np.datetime64("2001-01-02T14:30", "ns").astype(np.int64) + np.arange(n) * FIVE_MIN
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.001, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.001, n)))
    volume = rng.integers(100, 5000, n).astype(np.float64)
    return ts, open_, high, low, close, volume


def make_widget(app: QApplication) -> ChartWidget:
    w = ChartWidget()
    w.resize(1600, 900)
    w.show()
    w._view.viewport().installEventFilter(PAINTS)
    app.processEvents()
    return w


PAINTS = PaintCounter()


def repaint(app: QApplication, w: ChartWidget) -> None:
    """Process events; the change before must have made the chart viewport paint."""
    before = PAINTS.count
    app.processEvents()
    if PAINTS.count == before:
        raise RuntimeError("the timed change did not repaint the chart")


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def frames(app: QApplication, w: ChartWidget, visible: float, n: int, count: int) -> dict:
    """Pan then zoom frames with ``visible`` bars in view, from the middle of the data."""
    vb = w.panes.price.vb
    w.set_follow_latest(False)
    mid = n / 2
    w.navigator.set_x_range(mid - visible / 2, mid + visible / 2)
    repaint(app, w)
    pan, zoom = [], []
    step = visible / 50  # a 32 px drag step at 1600 px
    for i in range(count):
        direction = 1 if (i // 10) % 2 else -1
        pan.append(timed(lambda d=direction: (vb.panRequested.emit(d * step), repaint(app, w))))
    for i in range(count):
        factor = 1.1 if i % 2 else 1 / 1.1
        zoom.append(
            timed(
                lambda f=factor: (vb.zoomRequested.emit(f, sum(w.x_range()) / 2), repaint(app, w))
            )
        )
    return {"pan": pan, "zoom": zoom, "shapes": w.price_item.shapes_drawn}


def studies(bars: tuple[np.ndarray, ...]) -> dict[str, np.ndarray]:
    """A 20-bar mean, a 0..1 oscillator and an equity curve (one point a bar)."""
    close = bars[4]
    mean = np.convolve(close, np.ones(20) / 20)[: len(close)]
    mean[:19] = np.nan
    return {
        "SMA(20)": mean,
        "OSC": (np.sin(np.arange(len(close)) / 50) + 1) / 2,
        "equity": 100_000 + np.cumsum(np.diff(close, prepend=close[0])) * 100,
    }


def add_studies(w: ChartWidget, ts: np.ndarray, values: dict[str, np.ndarray]) -> None:
    """The mean on the price pane, the oscillator in its own pane, equity and drawdown."""
    w.add_indicator("SYM", "SMA(20)", "price")
    w.set_indicator("SYM", "SMA(20)", values["SMA(20)"])
    w.add_indicator("SYM", "OSC", "pane")
    w.set_indicator("SYM", "OSC", values["OSC"])
    w.set_equity(ts, values["equity"])


def append_one(w: ChartWidget, i: int, last_ts: int, bar: tuple[np.ndarray, ...]) -> None:
    """One new bar, and its study values when the chart has studies."""
    ts = np.array([last_ts + (i + 1) * FIVE_MIN])
    w.append_bars("SYM", ts, *(col[i : i + 1] for col in bar[1:]))
    if w.panes.indicator_items:
        w.append_indicator("SYM", "SMA(20)", bar[4][i : i + 1])
        w.append_indicator("SYM", "OSC", np.array([0.5]))
        w.append_equity(ts, np.array([100_000.0]))


def scenario(
    app: QApplication, bars: tuple[np.ndarray, ...], with_studies: bool, frames_n: int
) -> list[tuple[str, str]]:
    n = len(bars[0])
    rows: list[tuple[str, str]] = []
    values = studies(bars) if with_studies else {}

    def load(w: ChartWidget) -> None:
        w.set_bars("SYM", *bars)
        if with_studies:
            add_studies(w, bars[0], values)

    w = make_widget(app)
    t = timed(lambda: (load(w), repaint(app, w)))
    rows.append(("load + first paint, latest 150 bars visible", f"{t:8.1f} ms"))
    w.close()

    w = make_widget(app)
    w.set_follow_latest(False)
    t = timed(lambda: (load(w), w.navigator.set_x_range(-1, n + 1), repaint(app, w)))
    rows.append(("load + first paint, all bars visible", f"{t:8.1f} ms"))
    rows.append(("  candle shapes drawn, all bars visible", f"{w.price_item.shapes_drawn:8d}"))

    for visible in (100.0, float(n)):
        r = frames(app, w, visible, n, frames_n)
        for kind in ("pan", "zoom"):
            xs = r[kind]
            rows.append(
                (
                    f"{kind} frame, {int(visible):,} visible: median / worst",
                    f"{statistics.median(xs):8.2f} / {max(xs):.2f} ms",
                )
            )

    w.set_follow_latest(True)
    w.navigator.set_x_range(0, 150)
    w.navigator.show_latest()
    repaint(app, w)
    new = synthetic(400, seed=3)
    last = int(w._current.bars.last_ts)
    appends = [
        timed(lambda i=i: (append_one(w, i, last, new), repaint(app, w))) for i in range(300)
    ]
    rows.append(
        (
            "append 1 bar + repaint (following): median / worst",
            f"{statistics.median(appends):8.2f} / {max(appends):.2f} ms",
        )
    )
    w.close()
    return rows


def doubling_cost(n: int) -> float:
    """The one append that outgrows the bar columns' capacity (they double) past ``n`` bars."""
    from ostdesk.gui.chart.series import BarSeries

    series = BarSeries("SYM")
    series.append(*synthetic(n))
    capacity = len(series.ts._data)
    bars = synthetic(capacity + 1)  # same seed: the first n bars are the ones stored
    series.append(*(col[n:capacity] for col in bars))  # fill the headroom
    return timed(lambda: series.append(*(col[capacity:] for col in bars)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    bars = synthetic(args.bars)
    print(f"chart benchmark: {args.bars:,} bars, 1600x900 offscreen, {os.cpu_count()} cores")
    for with_studies in (False, True):
        title = "bars only"
        if with_studies:
            title = "bars + SMA overlay + oscillator pane + equity/drawdown"
        rows = scenario(app, bars, with_studies, args.frames)
        width = max(len(r[0]) for r in rows)
        print(f"\n{title}")
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
    cost = doubling_cost(args.bars)
    print(f"\none append outgrowing the columns' capacity past {args.bars:,} bars: {cost:.1f} ms")
    print("  (capacity doubles, so this happens once per doubling; every other append is O(1))")


if __name__ == "__main__":
    main()
