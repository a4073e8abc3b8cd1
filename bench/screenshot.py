"""Screenshots of the real (X11) main window: after the demo backtest, with Run details and
Compare open, replaying, and relaunched on the same database (the run it showed comes back).

Starts ``Xvfb`` on a free display at the given screen size when there is no ``DISPLAY``
(``apt-get install xvfb libxcb-cursor0``), opens the app on a temp database with the demo data,
runs the demo backtest (and a second one to compare) from the window, and grabs the screen.
Run: ``python bench/screenshot.py [--size 1440x900] [--dark] [--out screenshots/main-window.png]``;
the other shots are saved beside ``--out``: welcome, details, compare, replay, relaunched.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ("welcome", "details", "compare", "replay", "relaunched")


def start_xvfb(size: str) -> subprocess.Popen[bytes]:
    """An Xvfb server on the first display number no other server holds (other sessions on
    the machine may run their own)."""
    if shutil.which("Xvfb") is None:
        sys.exit("no DISPLAY and no Xvfb: apt-get install xvfb libxcb-cursor0")
    number = next(n for n in range(99, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    socket = Path(f"/tmp/.X11-unix/X{number}")
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not accepts(socket):  # the socket file appears before the server listens on it
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Xvfb :{number} did not start (is another server using it?)")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    return server


def accepts(path: Path) -> bool:
    """Whether an X server accepts connections on the Unix socket ``path``."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def take(out: Path, dark: bool) -> None:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QGuiApplication

    from ostdesk.gui.app import create_application, display_problem
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store import Database

    problem = display_problem()
    if problem:
        sys.exit(problem)

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_for(*signals: object) -> None:
        """Until each of ``signals`` has fired (at most 60 s): a busy machine loads slowly."""
        waiting = set(range(len(signals)))
        loop = QEventLoop()

        def fired(i: int) -> None:
            waiting.discard(i)
            if not waiting:
                loop.quit()

        for i, signal in enumerate(signals):
            signal.connect(lambda *_, i=i: fired(i))  # type: ignore[attr-defined]
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
        pause(1000)  # painted (a busy machine lays out late)

    def grab(name: str) -> None:
        path = out if name == "main-window" else out.with_name(f"{name}.png")
        QGuiApplication.primaryScreen().grabWindow(0).save(str(path))

    def open_window(db: Database) -> MainWindow:
        window = MainWindow(db)
        window.setGeometry(QGuiApplication.primaryScreen().availableGeometry())  # no WM here
        window.reset_layout()  # the default layout for this size
        window.show()
        return window

    def run(window: MainWindow, start: object) -> int:
        done = QEventLoop()
        finished: list[object] = []
        window.controller.runFinished.connect(lambda r: (finished.append(r), done.quit()))
        start()  # type: ignore[operator]
        QTimer.singleShot(60_000, done.quit)
        done.exec()
        if window.controller.running or window.notice.text or not finished:
            sys.exit(f"the demo run did not complete: {window.notice.text}")
        return int(finished[0].recording.run_id)  # type: ignore[attr-defined]

    with tempfile.TemporaryDirectory(prefix="ostdesk-shot-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # a first start's layout
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        app = create_application()
        if dark:  # what a switch of the system to dark mode does (Xvfb has no such setting)
            from PySide6.QtCore import Qt

            from ostdesk.gui.theme import apply_color_scheme

            apply_color_scheme(app, Qt.ColorScheme.Dark)
        db = Database.open(Path(tmp) / "demo.duckdb")
        window = open_window(db)
        out.parent.mkdir(parents=True, exist_ok=True)
        pause(500)
        grab("welcome")
        first = run(window, window.run_demo)  # may start once the dock has read the store
        if window.run_details.run_id != first:
            wait_for(window.run_details.loaded)
        window.docks["details"].raise_()  # the tab a trader opens after a run
        pause(600)
        grab("main-window")

        config = window.config_panel.config()
        slower = {**config.params, "fast": 20, "slow": 60}
        second = run(window, lambda: window.start_run(dataclasses.replace(config, params=slower)))
        compared = window.run_comparison.loaded
        window.run_list.compareRequested.emit([first, second])  # as Runs → Compare does
        wait_for(compared)
        grab("compare")
        window.open_run(first)
        wait_for(window.run_details.loaded, window.chart_loader.loaded)
        grab("details")

        window.replay_action.trigger()  # replay the run just made, stopped mid-way
        timeline = window.replay.timeline
        if timeline is not None:
            window.replay.seek(len(timeline) // 2)
            pause(600)
            grab("replay")
        window.replay.close()
        window.open_run(first)
        wait_for(window.run_details.loaded, window.chart_loader.loaded)
        window.close()
        window = open_window(db)  # a relaunch: the run shown at close comes back
        wait_for(window.run_details.loaded, window.chart_loader.loaded)
        grab("relaunched")
        window.close()
        db.close()
    print(f"saved {out} (and {', '.join(f'{s}.png' for s in SHOTS)} beside it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1440x900", help="Xvfb screen size")
    parser.add_argument("--dark", action="store_true", help="as if the system were in dark mode")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "main-window.png")
    args = parser.parse_args()
    server = None if os.environ.get("DISPLAY") else start_xvfb(args.size)
    try:
        take(args.out.resolve(), args.dark)
    finally:
        if server is not None:
            server.terminate()
            server.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
