"""The PyInstaller hooks in packaging/hooks: fast checks of what they tell PyInstaller.

The build itself (1-2 minutes) is ``packaging/smoke.py``'s job; these run the hooks' code in
the test environment, whose ostdesk is an editable install (the layout that broke the bundle).
They are skipped where PyInstaller is not installed (``pip install -e '.[packaging]'``).
"""

from __future__ import annotations

import importlib.util
import runpy
from importlib.metadata import entry_points
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (the packaging extra)")

HOOKS = Path(__file__).resolve().parent.parent / "packaging" / "hooks"


def _pyinstaller_hook_dirs() -> list[Path]:
    """PyInstaller's own hooks and those packages register (pyinstaller-hooks-contrib, numpy)."""
    import PyInstaller

    dirs = [Path(PyInstaller.__file__).parent / "hooks"]
    for entry in entry_points(group="pyinstaller40"):
        if entry.name == "hook-dirs":
            dirs += [Path(d) for d in entry.load()()]
    return dirs


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


def test_bundled_resources_land_in_ostdesk_resources_as_in_a_wheel() -> None:
    """importlib.resources finds the icons in the bundle only under ostdesk/resources/; from an
    editable install (resources/ outside ostdesk/) they had landed in _internal/icons/."""
    datas = runpy.run_path(str(HOOKS / "hook-ostdesk.resources.py"))["datas"]
    bundled = {f"{dest}/{Path(source).name}" for source, dest in datas}
    assert bundled == _files(files("ostdesk.resources"), "ostdesk/resources")
    assert {"ostdesk/resources/ostdesk.desktop", "ostdesk/resources/icons/ostdesk.svg"} <= bundled


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
