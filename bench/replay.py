"""Replay figures (issue 11): opening a recorded run of 1,000,000 bars in replay, seeking
anywhere, stepping, and playback at Max speed.

The run is real: one symbol of N synthetic minute bars (seeded random walk) backtested with
RsiReversion (limit entries, protective stops, cancellations) and recorded by the store's
recorder, in a temp DuckDB file (or ``--db``, reused when it already holds such a run). The
replay window is offscreen, 1600x900: a ``ChartWidget`` with the blotters docked under it and
the replay toolbar (``--x11``: the same window on a private Xvfb server with a window manager,
so painting costs what it costs on an X display). Every timing runs until the chart's viewport
has painted (a paint-event counter; the script fails if a timed change did not paint), so it
covers the timeline queries, the chart and blotter updates and the repaint of every widget the
change touched.

Run: python bench/replay.py [--bars N] [--strategy rsi|sma] [--seeks N] [--play S] [--db PATH]
[--x11]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import numpy as np
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

if not __package__:  # run as ``python bench/replay.py``: make its siblings importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.paints import PaintCounter
from bench.xvfb import x_display
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.replay.controller import ReplayController
from ostdesk.gui.replay.toolbar import ReplayToolbar
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross

MINUTE_NS = 60_000_000_000
SYMBOL = "BENCH"
STRATEGIES = {"rsi": RsiReversion, "sma": SmaCross}


PAINTS = PaintCounter()


def insert_bars(db: Database, n: int) -> None:
    rng = np.random.default_rng(3)
    ts = np.datetime64("2020-01-01T00:00", "ns").astype(np.int64) + np.arange(n) * MINUTE_NS
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0005, n)))
    frame = {
        "ts": ts,
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.integers(100, 5000, n).astype(np.float64),
    }
    con = db.connection
    con.execute("DELETE FROM bars WHERE symbol = ?", [SYMBOL])
    con.execute("INSERT OR REPLACE INTO instruments VALUES (?, 'replay bench', 0.01)", [SYMBOL])
    con.register("bench_bars", frame)
    con.execute(
        "INSERT INTO bars SELECT ?, 'minute', ts, open, high, low, close, volume FROM bench_bars",
        [SYMBOL],
    )
    con.unregister("bench_bars")


def recorded_run(db: Database, n: int, strategy: str) -> tuple[int, float]:
    """A completed run of ``n`` bars by ``strategy`` (reused if the database has one)."""
    row = db.connection.execute(
        "SELECT max(run_id) FROM runs WHERE status = 'completed' AND bars = ? AND strategy = ?",
        [n, STRATEGIES[strategy].__name__],
    ).fetchone()
    if row and row[0] is not None:
        return int(row[0]), float("nan")
    insert_bars(db, n)
    config = BacktestConfig(
        strategy=STRATEGIES[strategy], symbols=(SYMBOL,), period=BarPeriod.MINUTE
    )
    run = prepare_backtest(db, config)
    t0 = time.perf_counter()
    run.run()
    assert run.recording is not None and run.recording.run_id is not None, run.error
    return run.recording.run_id, time.perf_counter() - t0


def painted(app: QApplication, action: object) -> float:
    """Seconds from ``action()`` until the chart has painted the change."""
    before = PAINTS.count
    t0 = time.perf_counter()
    action()  # type: ignore[operator]
    app.processEvents()
    if PAINTS.count == before:
        raise RuntimeError("the timed change did not repaint the chart")
    return time.perf_counter() - t0


def play_at_max(app: QApplication, controller: ReplayController, seconds: float) -> dict:
    timeline = controller.timeline
    assert timeline is not None
    controller.seek(0)
    controller.set_speed(None)
    app.processEvents()
    loop = QEventLoop()
    controller.playingChanged.connect(lambda on: on or loop.quit())
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    paints, start = PAINTS.count, time.perf_counter()
    controller.play()
    loop.exec()
    elapsed = time.perf_counter() - start
    controller.pause()
    return {
        "bars": controller.cursor,
        "bars_per_s": controller.cursor / elapsed,
        "fps": (PAINTS.count - paints) / elapsed,
        "reached_end": controller.cursor == timeline.last,
        "elapsed": elapsed,
    }


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1e3:8.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--strategy", choices=sorted(STRATEGIES), default="rsi")
    ap.add_argument("--seeks", type=int, default=40)
    ap.add_argument("--play", type=float, default=5.0, help="seconds of playback at Max")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, help="database to record into / reuse")
    ap.add_argument("--x11", action="store_true", help="paint on a private Xvfb server")
    args = ap.parse_args()
    display = x_display() if args.x11 else contextlib.nullcontext("offscreen")
    with display as where:
        measure(args, where)


def measure(args: argparse.Namespace, where: str) -> None:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(args.db or Path(tmp) / "replay-bench.duckdb")
        run_id, backtest_s = recorded_run(db, args.bars, args.strategy)

        window = QMainWindow()
        chart, blotters = ChartWidget(), Blotters()
        window.setCentralWidget(chart)
        dock = QDockWidget("Blotters")
        dock.setWidget(blotters)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        controller = ReplayController(db, chart, blotters, window)
        window.addToolBar(ReplayToolbar(controller))
        window.resize(1600, 900)
        window.show()
        chart._view.viewport().installEventFilter(PAINTS)
        app.processEvents()

        opens, readies = [], []
        for _ in range(args.repeat):
            opens.append(painted(app, lambda: controller.open(run_id)))
            t0 = time.perf_counter()
            controller.wait_ready()  # the rewind's fold, on its own thread since the open
            readies.append(opens[-1] + time.perf_counter() - t0)
        timeline = controller.timeline
        assert timeline is not None
        n, events = len(timeline), len(timeline.events)

        rng = np.random.default_rng(11)
        forward: list[float] = []
        backward: list[float] = []
        for target in rng.integers(0, n, args.seeks).tolist():
            back = target < controller.cursor
            (backward if back else forward).append(
                painted(app, lambda t=target: controller.seek(t))
            )
        steps_back, steps_fwd = [], []
        for at in (n // 10, n // 2, n - 2):
            controller.seek(at)
            app.processEvents()
            for _ in range(args.repeat):
                steps_back.append(painted(app, lambda: controller.step(-1)))
                steps_fwd.append(painted(app, lambda: controller.step(1)))
        seek_end = [painted(app, lambda: controller.seek(n - 1)) for _ in range(1)]
        seek_end += [
            painted(app, lambda: (controller.seek(0), controller.seek(n - 1)))
            for _ in range(args.repeat)
        ]
        play = play_at_max(app, controller, args.play)
        window.close()
        db.close()

    every = forward + backward
    print(
        f"Replay of run {run_id}: {args.strategy}, {n:,} bars, {events:,} order events and "
        f"fills, {len(timeline.fills):,} fills (2 cores, {where}, window 1600x900)"
    )
    if backtest_s == backtest_s:
        print(f"(recording the run took {backtest_s:.1f} s)")
    rows = [
        ("open in replay (load + first paint), median", ms(opens), "1000"),
        ("  open until far moves are ready, median", ms(readies), ""),
        (f"seek anywhere, median of {len(every)}", ms(every), "100"),
        ("  seek forward, median", ms(forward), ""),
        ("  seek backward, median", ms(backward), ""),
        ("  seek, slowest", f"{max(every) * 1e3:8.1f}", "100"),
        ("step back one bar (at 10%, 50%, end), median", ms(steps_back), "100"),
        ("step forward one bar, median", ms(steps_fwd), "100"),
        ("seek 0 -> last bar, median", ms(seek_end[1:]), "100"),
        ("play at Max: bars/s", f"{play['bars_per_s']:8,.0f}", ">= 50,000"),
        ("play at Max: frames painted/s", f"{play['fps']:8.1f}", ">= 30"),
    ]
    print(f"{'figure':<50}{'ms / value':>12}{'target':>12}")
    for name, value, target in rows:
        print(f"{name:<50}{value:>12}{target:>12}")
    end = "reached the end" if play["reached_end"] else "still playing"
    print(f"(playback: {play['bars']:,} bars in {play['elapsed']:.2f} s, {end})")


if __name__ == "__main__":
    main()
