"""Finds strategies: the built-ins in ``ostdesk/strategies`` and the user's strategy folders.

A user file that fails to import is reported (file, line, traceback), never skipped silently,
and never stops the other strategies from loading, whatever it raises: a ``sys.exit()`` or a
``KeyboardInterrupt`` raised by the file is its failure to load, not the app's or the CLI's end.
Loading again re-executes changed files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import inspect
import pkgutil
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

from ostdesk.engine.strategy import Strategy


@dataclasses.dataclass(frozen=True)
class StrategyLoadError:
    """A strategy file that could not be imported."""

    path: Path
    line: int | None
    message: str
    traceback: str

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


@dataclasses.dataclass
class StrategyCatalog:
    """Strategies by name (class name), where each came from, and the files that failed."""

    strategies: dict[str, type[Strategy]] = dataclasses.field(default_factory=dict)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    errors: list[StrategyLoadError] = dataclasses.field(default_factory=list)

    def get(self, name: str) -> type[Strategy]:
        """The strategy called ``name`` (case-insensitive), or a KeyError listing the choices."""
        for key, cls in self.strategies.items():
            if key.lower() == name.lower():
                return cls
        known = ", ".join(sorted(self.strategies)) or "none"
        raise KeyError(f"unknown strategy {name!r}; available: {known}")


def _strategies_in(module: object) -> list[type[Strategy]]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == getattr(module, "__name__", None)
    ]


def _error_for(path: Path, exc: BaseException) -> StrategyLoadError:
    line: int | None = None
    if isinstance(exc, SyntaxError):
        line = exc.lineno
    else:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if Path(frame.filename) == path:
                line = frame.lineno
                break
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return StrategyLoadError(path, line, f"{type(exc).__name__}: {exc}", text)


def load_file(path: Path) -> list[type[Strategy]]:
    """Execute one strategy file as a fresh module and return the strategies it defines."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"ostdesk_user_strategies.{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return _strategies_in(module)


def load_strategies(user_dirs: Iterable[Path] = ()) -> StrategyCatalog:
    """Built-ins first, then each user folder's ``*.py`` files (a later name wins)."""
    catalog = StrategyCatalog()
    import ostdesk.strategies as builtin

    for info in pkgutil.iter_modules(builtin.__path__):
        module = importlib.import_module(f"{builtin.__name__}.{info.name}")
        for cls in _strategies_in(module):
            catalog.strategies[cls.__name__] = cls
            catalog.sources[cls.__name__] = "built-in"
    for folder in user_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                found = load_file(path)
            except BaseException as exc:  # anything user code raises is reported, not raised
                catalog.errors.append(_error_for(path, exc))
                continue
            for cls in found:
                catalog.strategies[cls.__name__] = cls
                catalog.sources[cls.__name__] = str(path)
    return catalog
