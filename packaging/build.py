"""Build the one-folder app with PyInstaller: ``python packaging/build.py``.

Needs PyInstaller in the same environment as ostdesk (``pip install -e '.[packaging]'``, or
``pip install pyinstaller`` beside a wheel install); the result is ``dist/ostdesk/`` (run
``dist/ostdesk/ostdesk``), plus ``dist/ostdesk.app`` on macOS. The bundle holds the ostdesk this
Python imports (a wheel or an editable install), which the first line printed names.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"


def main() -> int:
    for module, advice in (
        ("PyInstaller", "run `pip install pyinstaller` first"),
        ("ostdesk", "install it first: `pip install -e .` or `pip install ostdesk-*.whl`"),
    ):
        if importlib.util.find_spec(module) is None:
            print(f"{module} is not installed in {sys.executable}: {advice}", file=sys.stderr)
            return 2
    import ostdesk

    print(f"bundling ostdesk {ostdesk.__version__} from {Path(ostdesk.__file__).parent}")
    command = [
        sys.executable,
        "-P",  # the working folder (the repository) stays off the search path: see the hooks
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(ROOT / "build" / "pyinstaller"),
        str(ROOT / "packaging" / "ostdesk.spec"),
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode == 0:
        print(f"built {DIST / 'ostdesk'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
