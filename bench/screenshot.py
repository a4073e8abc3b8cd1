"""Screenshot of the real (X11) main window after the demo backtest: screenshots/main-window.png.

Starts ``Xvfb :99`` at the given screen size when there is no ``DISPLAY`` (``apt-get install
xvfb libxcb-cursor0``), opens the app on a temp database with the demo data, runs the demo
backtest from the window, and grabs the screen. Run: ``python bench/screenshot.py
[--size 1366x768] [--dark] [--out screenshots/main-window.png]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_xvfb(size: str) -> subprocess.Popen[bytes]:
    if shutil.which("Xvfb") is None:
        sys.exit("no DISPLAY and no Xvfb: apt-get install xvfb libxcb-cursor0")
    socket = Path("/tmp/.X11-unix/X99")
    server = subprocess.Popen(
        ["Xvfb", ":99", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit("Xvfb :99 did not start (is another server using :99?)")
        time.sleep(0.05)
    os.environ["DISPLAY"] = ":99"
    return server


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
    with tempfile.TemporaryDirectory(prefix="ostdesk-shot-") as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # a first start's layout
        os.environ["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        app = create_application()
        if dark:  # what a switch of the system to dark mode does (Xvfb has no such setting)
            from PySide6.QtCore import Qt

            from ostdesk.gui.theme import apply_color_scheme

            apply_color_scheme(app, Qt.ColorScheme.Dark)
        db = Database.open(Path(tmp) / "demo.duckdb")
        window = MainWindow(db)
        window.setGeometry(QGuiApplication.primaryScreen().availableGeometry())  # no WM here
        window.show()
        out.parent.mkdir(parents=True, exist_ok=True)

        def pause(ms: int) -> None:
            loop = QEventLoop()
            QTimer.singleShot(ms, loop.quit)
            loop.exec()

        pause(500)
        QGuiApplication.primaryScreen().grabWindow(0).save(str(out.with_name("welcome.png")))
        done = QEventLoop()
        window.controller.runFinished.connect(done.quit)
        window.run_demo()  # may start once the configuration dock has read the store
        QTimer.singleShot(60_000, done.quit)
        done.exec()
        if window.controller.running or window.notice.text:
            sys.exit(f"the demo run did not complete: {window.notice.text}")
        pause(600)
        QGuiApplication.primaryScreen().grabWindow(0).save(str(out))
        window.replay_action.trigger()  # replay the run just made, stopped mid-way
        timeline = window.replay.timeline
        if timeline is not None:
            window.replay.seek(len(timeline) // 2)
            pause(600)
            QGuiApplication.primaryScreen().grabWindow(0).save(str(out.with_name("replay.png")))
        window.close()
        db.close()
    print(f"saved {out} (and welcome.png, replay.png beside it)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1366x768", help="Xvfb screen size")
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
