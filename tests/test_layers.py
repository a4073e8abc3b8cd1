"""The layering rule: the engine, the store and research never import Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ostdesk

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")


def _modules(prefix: str) -> list[str]:
    package = __import__(prefix, fromlist=["_"])
    return [prefix] + [m.name for m in pkgutil.walk_packages(package.__path__, prefix + ".")]


def test_qt_free_modules_import_no_qt() -> None:
    """Import every engine/store/research module in a fresh interpreter and look at sys.modules."""
    modules = _modules("ostdesk.engine") + _modules("ostdesk.store") + _modules("ostdesk.research")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"leaks = sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r})\n"
        "print(','.join(leaks))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported by a Qt-free layer: {out.stdout}"


def test_import_linter_contract_holds() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(_pyproject())) == 0


def _pyproject() -> object:
    from pathlib import Path

    return Path(ostdesk.__file__).resolve().parent.parent / "pyproject.toml"
