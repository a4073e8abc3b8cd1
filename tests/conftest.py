"""Shared test set-up: offscreen Qt, a temp database, and a guard against leaked threads."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk.store import Database

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
os.environ.pop("OSTDESK_DB", None)  # never touch a developer's real database

try:  # backtesting.py's progress bars (tqdm, which Optuna installs) start a monitor thread that
    import tqdm  # never ends: the thread guard below would blame the test that drew the first bar

    tqdm.tqdm.monitor_interval = 0
except ImportError:
    pass


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Fail any test that leaves an engine (or other Python) thread running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        extra = [t for t in extra if not t.name.startswith(("QDBus", "pydevd", "asyncio"))]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not extra, f"threads left running: {[t.name for t in extra]}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a fresh DuckDB file in a temp dir (not yet created)."""
    return tmp_path / "ostdesk-test.duckdb"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """A fresh, open database at ``db_path``, closed after the test."""
    database = Database.open(db_path)
    yield database
    database.close()


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the user data/config folders at a temp dir so tests never see real user files."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
