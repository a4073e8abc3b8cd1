"""GUI figures: cold start to the window shown, and the demo backtest with the window attached.

- cold start: wall time from spawning ``python`` to the main window exposed (imports, Qt set-up,
  database open, window built), median of ``--starts`` runs, and the main thread's CPU time
  in it (what a loaded machine does not inflate); plus the heaviest imports from
  ``-X importtime``.
- engine throughput of the demo backtest (SMA crossover, 5 symbols x 7,800 minute bars,
  recorded) headless vs. run from the window: ``--repeat`` pairs, alternated in one process so
  both see the same load of the (shared) machine; the median of the pairs' ratios.
- main-thread stalls during the GUI runs: the worst lateness of a 5 ms ``QTimer`` heartbeat,
  in a third run of each repeat (the probe slows the run it watches: that run's throughput
  ratio is printed too), and the most CPU time the main thread spent between two beats: its
  longest stretch of work, which other programs on the cores do not lengthen.

Offscreen by default; on a display (e.g. ``Xvfb :99`` and ``DISPLAY=:99``) pass
``--platform xcb`` to measure a real window. Run: ``python bench/gui.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CHILD_START = """
import time
from ostdesk.gui.app import create_application, open_database
from ostdesk.gui.main_window import MainWindow
app = create_application()
db = open_database({db!r})
window = MainWindow(db)
window.show()
while not window.windowHandle().isExposed():
    app.processEvents()
app.processEvents()
print("shown", time.thread_time(), flush=True)
"""


def cold_start(db: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the window shown: wall, and the main thread's CPU time."""
    code = CHILD_START.format(db=str(db))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t0
    proc.wait()
    word, _, cpu = line.partition(" ")
    if word != "shown":
        raise RuntimeError("the child process did not show the window")
    return elapsed, float(cpu)


def heaviest_imports(db: Path, env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    code = CHILD_START.format(db=str(db))
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
        if cumulative.isdigit() and "." not in name.strip():  # top-level packages only
            rows.append((name.strip(), int(cumulative) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def demo_config():  # type: ignore[no-untyped-def]
    from ostdesk.engine.events import BarPeriod
    from ostdesk.engine.runner import BacktestConfig
    from ostdesk.store import DEMO_SYMBOLS
    from ostdesk.strategies.sma_cross import SmaCross

    return BacktestConfig(strategy=SmaCross, symbols=DEMO_SYMBOLS, period=BarPeriod.MINUTE)


@dataclasses.dataclass
class PairedRuns:
    """What :func:`paired_runs` measured, one value per repeat unless said otherwise."""

    headless: list[float] = dataclasses.field(default_factory=list)  # bars/s
    gui: list[float] = dataclasses.field(default_factory=list)  # bars/s, no heartbeat
    probed: list[float] = dataclasses.field(default_factory=list)  # bars/s, with it
    stalls: list[float] = dataclasses.field(default_factory=list)  # worst lateness, ms
    busy: list[float] = dataclasses.field(default_factory=list)  # most CPU between beats, ms
    clicks: list[float] = dataclasses.field(default_factory=list)  # each Run click, ms
    gc_pauses: list[float] = dataclasses.field(default_factory=list)  # longest, ms
    headless_walls: list[float] = dataclasses.field(default_factory=list)  # run(), s
    ends: list[tuple[float, float]] = dataclasses.field(default_factory=list)  # click to
    # runFinished (s) and the time held, of each window run without the heartbeat
    idle: float = 0.0  # the idle window's lateness before the runs, ms

    @property
    def end_to_end(self) -> list[float]:
        return [h / w for h, (w, _) in zip(self.headless_walls, self.ends, strict=True)]

    @property
    def held(self) -> list[float]:
        return [held for _, held in self.ends]


def paired_runs(db_path: Path, repeat: int) -> PairedRuns:
    """Headless and window runs, alternated so all see the same machine load (it is shared).

    Each repeat runs the demo headless, then from the window twice: once as it is, for the
    throughput, and once with the 5 ms heartbeat, for the stalls. The heartbeat is a probe,
    not part of the app, and it costs the run it watches ~5-10% of its speed (200 wake-ups a
    second of a thread that shares the engine's CPU and the GIL), so its run's throughput is
    reported apart. Returns headless and window throughputs, the window's throughput with the
    heartbeat, the worst heartbeat lateness (ms) of each probed run (from the moment
    ``start_run`` returned until the window is idle after the run), how long each Run click
    blocked (ms), and the idle window's lateness before the runs.
    """
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from ostdesk.engine.gc_policy import freeze_startup_objects
    from ostdesk.gui.app import create_application
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store import Database
    from ostdesk.store.backtests import prepare_backtest

    app = create_application()
    db = Database.open(db_path)
    window = MainWindow(db)
    window.show()
    app.processEvents()
    freeze_startup_objects()  # as ostdesk.gui.app does a second after start
    clock = QElapsedTimer()
    clock.start()
    worst = [0.0, 0.0]  # lateness, CPU time of the main thread between two beats (ms)
    last = [clock.nsecsElapsed(), time.thread_time()]

    def beat() -> None:
        now, cpu = clock.nsecsElapsed(), time.thread_time()
        worst[0] = max(worst[0], (now - last[0]) / 1e6 - 5.0)
        worst[1] = max(worst[1], (cpu - last[1]) * 1e3)
        last[0], last[1] = now, cpu

    gc_pause = [0.0, 0.0]  # start of the collection under way, longest in this probed run

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if phase == "start":
            gc_pause[0] = time.perf_counter()
        else:
            gc_pause[1] = max(gc_pause[1], (time.perf_counter() - gc_pause[0]) * 1000)

    gc.callbacks.append(on_gc)
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def window_run(probe: bool) -> float:
        """One demo run from the window; its throughput."""
        # each run starts from a folded log, as the window leaves it after a run
        db.fold_log(db.connection)
        if probe:
            worst[:], last[:] = [0.0, 0.0], [clock.nsecsElapsed(), time.thread_time()]
            gc_pause[1] = 0.0
            heartbeat.start()
        loop = QEventLoop()
        window.controller.runFinished.connect(loop.quit)
        settle(100)
        t0 = clock.nsecsElapsed()
        run = window.start_run()
        if run is None:
            raise RuntimeError(window.notice.text)
        worst[:], last[:] = [0.0, 0.0], [clock.nsecsElapsed(), time.thread_time()]
        clicks.append((last[0] - t0) / 1e6)  # the run's stalls, not the click's own work
        loop.exec()
        if not probe:
            ends.append(((clock.nsecsElapsed() - t0) / 1e9, run.held_for))
        window.controller.runFinished.disconnect(loop.quit)
        settle(20)
        while window.run_list.worker is not None and window.run_list.worker.busy:
            settle(10)  # the window's after-run work ends before the next run
        if probe:
            heartbeat.stop()
            stalls.append(worst[0])
            r.busy.append(worst[1])
            gc_pauses.append(gc_pause[1])
        return run.bars_per_second

    heartbeat.start()
    settle(300)
    heartbeat.stop()
    r = PairedRuns(idle=worst[0])
    headless, gui, probed, stalls = r.headless, r.gui, r.probed, r.stalls
    clicks, gc_pauses, headless_walls, ends = r.clicks, r.gc_pauses, r.headless_walls, r.ends
    for _ in range(repeat):
        db.fold_log(db.connection)  # as a new process finds it
        run = prepare_backtest(db, demo_config())  # no event loop runs meanwhile: headless
        t0 = time.perf_counter()
        run.run()
        headless_walls.append(time.perf_counter() - t0)
        headless.append(run.bars_per_second)
        gui.append(window_run(probe=False))
        probed.append(window_run(probe=True))
    window.close()
    db.close()
    gc.callbacks.remove(on_gc)
    return r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    env = dict(os.environ)

    with tempfile.TemporaryDirectory(prefix="ostdesk-bench-gui-") as tmp:
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # no saved layout: a first start
        os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
        db_path = Path(tmp) / "bench.duckdb"
        from ostdesk.store import Database, install_demo_data

        with Database.open(db_path) as db:
            install_demo_data(db)
        measured = [cold_start(db_path, env) for _ in range(args.starts)]
        starts, start_cpus = [m[0] for m in measured], [m[1] for m in measured]
        imports = heaviest_imports(db_path, env)
        r = paired_runs(db_path, args.repeat)
    headless, gui, probed, stalls = r.headless, r.gui, r.probed, r.stalls

    h, g = statistics.median(headless), statistics.median(gui)
    ratio = statistics.median(w / h for w, h in zip(gui, headless, strict=True))
    print(f"ostdesk GUI benchmark (platform {args.platform}, {os.cpu_count()} CPUs)")
    print(f"{'figure':<44} {'value':>12}  target")
    print(
        f"{'cold start to window shown, median (s)':<44} {statistics.median(starts):>12.2f}  <= 1.5"
    )
    print(f"{'  runs (s)':<44} {' '.join(f'{s:.2f}' for s in starts):>12}")
    print(f"{'  main-thread CPU time, median (s)':<44} {statistics.median(start_cpus):>12.2f}")
    print(f"{'demo backtest headless, median (bars/s)':<44} {h:>12,.0f}")
    print(f"{'demo backtest from the window, median (bars/s)':<44} {g:>12,.0f}")
    print(f"{'  ratio window / headless, median of pairs':<44} {ratio:>12.0%}  >= 80%")
    ratios = " ".join(f"{w / h:.0%}" for w, h in zip(gui, headless, strict=True))
    print(f"{'  ratios':<44} {ratios:>12}")
    probed_ratio = statistics.median(w / h for w, h in zip(probed, headless, strict=True))
    print(f"{'  ratio with the 5 ms heartbeat running':<44} {probed_ratio:>12.0%}")
    hold_ms = statistics.median(r.held) * 1000
    print(f"{'  held while the window prepares, median (ms)':<44} {hold_ms:>12.1f}")
    e2e = statistics.median(r.end_to_end)
    print(f"{'  end to end: headless run() / click to runFinished':<44} {e2e:>12.0%}")
    print(f"{'main-thread stall, worst of runs (ms)':<44} {max(stalls):>12.1f}  <= 50")
    print("  (5 ms heartbeat's worst lateness, from the Run click's return to the idle window)")
    print(f"{'  longest main-thread GC in those runs (ms)':<44} {max(r.gc_pauses):>12.1f}")
    print(f"{'  per run (ms)':<44} {' '.join(f'{s:.0f}' for s in stalls):>12}")
    print(f"{'  main thread busy between beats, worst (CPU ms)':<44} {max(r.busy):>12.1f}")
    print(f"{'    per run (CPU ms)':<44} {' '.join(f'{s:.0f}' for s in r.busy):>12}")
    print(f"{'  idle window, before runs (ms)':<44} {r.idle:>12.1f}")
    click = f"{statistics.median(r.clicks):.0f} / {max(r.clicks):.0f}"
    print(f"{'Run click (start_run), median / max (ms)':<44} {click:>12}")
    print(
        "heaviest imports at start (cumulative s): " + ", ".join(f"{n} {t:.2f}" for n, t in imports)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
