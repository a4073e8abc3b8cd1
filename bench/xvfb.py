"""A private X server for benchmarks that must measure real X11 painting, not offscreen.

Starts ``Xvfb`` on the first free display number (so it never meets another helper's server or
the screenshot script's :99) and, when one is installed, a minimal window manager, as a person's
desktop has one (``apt-get install xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 openbox``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

WINDOW_MANAGERS = ("openbox", "fluxbox", "icewm", "matchbox-window-manager", "twm")


def free_display() -> int:
    """The first display number with neither a lock file nor a socket."""
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :199")


@contextlib.contextmanager
def x_display(size: str = "1920x1080") -> Iterator[str]:
    """Run the block with ``DISPLAY`` set to a fresh Xvfb server (and ``QT_QPA_PLATFORM=xcb``);
    yields a description: the display and the window manager, if any."""
    if shutil.which("Xvfb") is None:
        raise SystemExit("--x11 needs Xvfb: apt-get install xvfb libxcb-cursor0")
    n = free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wm: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"Xvfb :{n} did not start")
            time.sleep(0.05)
        os.environ["DISPLAY"] = f":{n}"
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        name = next((w for w in WINDOW_MANAGERS if shutil.which(w)), None)
        if name is not None:
            wm = subprocess.Popen(
                [name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ
            )
        yield f"Xvfb :{n} {size}, window manager: {name or 'none'}"
    finally:
        for process in (wm, server):
            if process is not None:
                process.terminate()
                process.wait(5)
