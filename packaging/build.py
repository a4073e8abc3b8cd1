"""Build the one-folder app with PyInstaller: ``python packaging/build.py``.

Needs PyInstaller in the same environment as ostdesk (``pip install pyinstaller``); the result
is ``dist/ostdesk/`` (run ``dist/ostdesk/ostdesk``), plus ``dist/ostdesk.app`` on macOS.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if importlib.util.find_spec("PyInstaller") is None:
        print(
            "PyInstaller is not installed here: run `pip install pyinstaller` first",
            file=sys.stderr,
        )
        return 2
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--distpath",
        str(ROOT / "dist"),
        "--workpath",
        str(ROOT / "build" / "pyinstaller"),
        str(ROOT / "packaging" / "ostdesk.spec"),
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode == 0:
        print(f"built {ROOT / 'dist' / 'ostdesk'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
