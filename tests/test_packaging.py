"""packaging/: fast checks of what the hooks tell PyInstaller, and of the smoke test's switch.

The build itself (1-2 minutes) is ``packaging/smoke.py``'s job; these run the hooks' code in
the test environment, whose ostdesk is an editable install (the layout that broke the bundle).
The hooks' tests are skipped where PyInstaller is not installed (the ``packaging`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import subprocess
import sys
from importlib.metadata import entry_points
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import SimpleNamespace

import pytest

PACKAGING = Path(__file__).resolve().parent.parent / "packaging"
HOOKS = PACKAGING / "hooks"
needs_pyinstaller = pytest.mark.skipif(
    importlib.util.find_spec("PyInstaller") is None,
    reason="PyInstaller is not installed (pip install -e '.[packaging]')",
)


def _pyinstaller_hook_dirs() -> list[Path]:
    """PyInstaller's own hooks and those packages register (pyinstaller-hooks-contrib, numpy)."""
    import PyInstaller

    dirs = [Path(PyInstaller.__file__).parent / "hooks"]
    for entry in entry_points(group="pyinstaller40"):
        if entry.name == "hook-dirs":
            dirs += [Path(d) for d in entry.load()()]
    return dirs


@needs_pyinstaller
def test_packaging_hooks_never_replace_a_hook_pyinstaller_or_contrib_ships() -> None:
    """A hook of ours for duckdb replaced contrib's, which copies duckdb's metadata: every
    database command of the bundle crashed. Ours may only add hooks for what none covers."""
    ours = [p.relative_to(HOOKS) for p in HOOKS.rglob("hook-*.py")]
    assert ours, f"no hooks found in {HOOKS}"
    replaced = [
        f"{hook} replaces {theirs / hook}"
        for hook in ours
        for theirs in _pyinstaller_hook_dirs()
        if (theirs / hook).is_file()
    ]
    assert not replaced


def _files(folder: Traversable, prefix: str) -> set[str]:
    found: set[str] = set()
    for item in folder.iterdir():
        if item.is_dir():
            if item.name != "__pycache__":
                found |= _files(item, f"{prefix}/{item.name}")
        elif not item.name.endswith((".py", ".pyc")):
            found.add(f"{prefix}/{item.name}")
    return found


@needs_pyinstaller
def test_bundled_resources_land_in_ostdesk_resources_as_in_a_wheel() -> None:
    """importlib.resources finds the icons in the bundle only under ostdesk/resources/; from an
    editable install (resources/ outside ostdesk/) they had landed in _internal/icons/."""
    datas = runpy.run_path(str(HOOKS / "hook-ostdesk.resources.py"))["datas"]
    bundled = {f"{dest}/{Path(source).name}" for source, dest in datas}
    assert bundled == _files(files("ostdesk.resources"), "ostdesk/resources")
    assert {"ostdesk/resources/ostdesk.desktop", "ostdesk/resources/icons/ostdesk.svg"} <= bundled


@needs_pyinstaller
@pytest.mark.parametrize("module", ["ostdesk", "ostdesk.resources"])
def test_pyinstaller_takes_ostdesk_from_where_python_imports_it(module: str) -> None:
    """PyInstaller's own search ignores an editable install's finder (so ostdesk.resources was
    not found) and may meet a source tree before a wheel; the hook points it at what Python
    itself imports."""
    hook = runpy.run_path(str(HOOKS / "pre_find_module_path" / f"hook-{module}.py"))
    api = SimpleNamespace(module_name=module, search_dirs=["/not/here"])
    hook["pre_find_module_path"](api)
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    last = module.rpartition(".")[2]
    assert [Path(d) / last / "__init__.py" for d in api.search_dirs] == [Path(spec.origin)]


def test_smoke_switch_quits_the_app_once_its_window_is_shown(tmp_path: Path) -> None:
    """smoke.py opens the bundle's window unattended through launch.py's switch: the app must
    say when its main window is shown, then quit by itself with status 0."""
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "launch.py"), "--db", str(tmp_path / "s.duckdb")],
        env=os.environ | {"OSTDESK_SMOKE_SECONDS": "0", "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("smoke: window shown: ostdesk"), done.stdout
