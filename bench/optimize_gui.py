"""Main-thread stalls of the window while a parameter study fills every core.

Opens the main window on a temp database with the demo data (SmaCross, 5 symbols x 7,800
minute bars), and runs the same grid study (fast 5..50 x slow 20..200, 100 combinations, the
refused ones pruned) from the Optimize view, once with the results table in front and once with
the heatmap in front (redrawn as trials arrive), on one worker per core by default. A 5 ms
``QTimer`` heartbeat measures how late the main thread gets while the study runs: the worst
lateness and the 99th percentile, the target being a worst stall of 50 ms or less. On Linux
it also prints how much of the worst stall the main thread spent runnable but waiting for a
CPU (``/proc/self/task/TID/schedstat``: the machine's load, other programs on the cores) and
running its own code; the rest it was blocked (waiting for the GIL, say). ``main CPU``: the
main thread's own CPU time over the study, in ms a second: what the window's code costs, which
the machine's load does not change (the stalls, on a shared machine, mostly measure that load).

Offscreen by default; ``--platform xcb`` on a display. Run:
``python bench/optimize_gui.py [--repeat 2] [--workers N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

SPACE = {"fast": ("5", "50", "5"), "slow": ("20", "200", "20")}
TARGET_MS = 50.0


def _runqueue_ms() -> float:
    """How long the calling thread has waited, runnable, for a CPU (0 where unknown)."""
    try:
        stat = Path(f"/proc/self/task/{threading.get_native_id()}/schedstat").read_text()
    except OSError:
        return 0.0
    return int(stat.split()[1]) / 1e6


Row = tuple[str, float, float, float, float, float, int, float]


def measure(db_path: Path, repeat: int, workers: int | None) -> list[Row]:
    """Rows: (tab in front, trials/s, worst stall ms, of it waiting for a CPU, of it running,
    p99 stall ms, trials, main thread's CPU ms a second) per study."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from ostdesk.gui.app import create_application
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data

    app = create_application()
    db = Database.open(db_path)
    install_demo_data(db)
    window = MainWindow(db)
    window.show()
    app.processEvents()
    while window.config_panel.data.summary is None:
        app.processEvents()
    window.config_panel.select_strategy("SmaCross")
    window.config_panel.set_symbols(list(DEMO_SYMBOLS))
    window.show_optimize()
    view = window.optimize
    if workers:
        view.form.workers.setValue(workers)
    for name, (low, high, step) in SPACE.items():
        row = view.form.ranges.rows[name]
        row.vary.setChecked(True)
        row.low.setText(low)
        row.high.setText(high)
        row.step.setText(step)

    clock = QElapsedTimer()
    clock.start()
    lateness: list[float] = []
    waited: list[float] = []  # of each beat's lateness, ms runnable without a CPU
    busy: list[float] = []  # ms the main thread itself ran
    last = [clock.nsecsElapsed()]
    queued = [_runqueue_ms()]
    ran = [time.thread_time()]

    def beat() -> None:
        now, queue, cpu = clock.nsecsElapsed(), _runqueue_ms(), time.thread_time()
        lateness.append((now - last[0]) / 1e6 - 5.0)
        waited.append(queue - queued[0])
        busy.append((cpu - ran[0]) * 1e3)
        last[0], queued[0], ran[0] = now, queue, cpu

    def worst() -> tuple[float, float, float]:
        if not lateness:
            return 0.0, 0.0, 0.0
        k = max(range(len(lateness)), key=lateness.__getitem__)
        return lateness[k], waited[k], busy[k]

    def restart() -> None:
        lateness.clear()
        waited.clear()
        busy.clear()
        last[0], queued[0], ran[0] = clock.nsecsElapsed(), _runqueue_ms(), time.thread_time()

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    rows = []

    def idle(seconds: float) -> None:
        """The same heartbeat with no study: what the (shared) machine alone costs."""
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        restart()
        heartbeat.start()
        loop.exec()
        heartbeat.stop()
        p99 = statistics.quantiles(lateness, n=100)[98] if len(lateness) > 100 else 0.0
        rows.append(("idle, no study", 0.0, *worst(), p99, 0, sum(busy) / seconds))

    for _ in range(repeat):
        idle(10.0)
        for tab in (view.tabs.widget(0), view.heatmap):
            view.tabs.setCurrentWidget(tab)
            loop = QEventLoop()
            view.studyFinished.connect(loop.quit)
            t0 = time.perf_counter()
            if not view.start():
                raise RuntimeError(view.reason.text() or view.form.problem())
            restart()  # the study, not the click's own work
            cpu = time.thread_time()
            heartbeat.start()
            loop.exec()
            heartbeat.stop()
            cpu = time.thread_time() - cpu
            elapsed = time.perf_counter() - t0
            view.studyFinished.disconnect(loop.quit)
            name = "results table" if tab is not view.heatmap else "heatmap"
            trials = view.model.rowCount()
            p99 = statistics.quantiles(lateness, n=100)[98] if len(lateness) > 100 else 0.0
            rows.append((name, trials / elapsed, *worst(), p99, trials, cpu * 1e3 / elapsed))
    window.close()
    db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, help="default: one per core")
    parser.add_argument("--platform", default="offscreen")
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp) / "bench.duckdb", args.repeat, args.workers)
    trials = max(r[6] for r in rows)
    print(f"Optimize view, demo data, grid of {trials} trials, {os.cpu_count()} cores")
    head = f"{'in front':<15} {'trials/s':>9} {'worst stall ms':>15}"
    print(f"{head} {'of it: no CPU':>14} {'running':>8} {'p99 ms':>8} {'main CPU ms/s':>14}")
    for name, rate, stall, no_cpu, running, p99, _, cpu in rows:
        print(
            f"{name:<15} {rate:>9.1f} {stall:>15.1f} {no_cpu:>14.1f} {running:>8.1f} {p99:>8.1f}"
            f" {cpu:>14.1f}"
        )
    studies = [r for r in rows if r[6]]
    worst = statistics.median(r[2] for r in studies)
    idle = statistics.median(r[2] for r in rows if not r[6])
    verdict = "within" if worst <= TARGET_MS else "ABOVE"
    print(
        f"median of the studies' worst stalls {worst:.1f} ms ({verdict} the {TARGET_MS:.0f} ms "
        f"target); the idle window's worst on this machine now: {idle:.1f} ms"
    )


if __name__ == "__main__":
    main()
