"""Study test helpers: GOOG's daily bars in a temp database, and a strategy file whose
``mode`` parameter makes a trial work, raise, loop forever or exit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_loader import load_file
from ostdesk.store import Database, import_bars
from tests.cli_data import goog_csv

FLAKY = '''
import sys

from ostdesk import BarReceived, Param, ParamError, Strategy


class Flaky(Strategy):
    """mode 0 trades, 1 raises in on_bar, 2 never returns from on_bar, 3 calls sys.exit."""

    mode = Param(0, min=0, max=3)
    hold = Param(5, min=1, max=100)

    def validate(self) -> None:
        if self.mode == 0 and self.hold == 100:
            raise ParamError("hold", "100 is refused with mode 0")

    def on_bar(self, bar: BarReceived) -> None:
        if self.mode == 1:
            raise RuntimeError("flaky strategy failed on purpose")
        if self.mode == 2:
            while True:
                pass
        if self.mode == 3:
            sys.exit(3)
        if not self.position:
            self.buy(1)
        elif len(self.close) % self.hold == 0:
            self.close_position()
'''


@pytest.fixture
def goog_db(db: Database) -> Database:
    """``db`` holding GOOG's 2,148 daily bars (2004-2013)."""
    import_bars(db, goog_csv(), symbol="GOOG", period="day")
    return db


@pytest.fixture
def flaky_file(tmp_path: Path) -> Path:
    folder = tmp_path / "strategies"
    folder.mkdir()
    path = folder / "flaky.py"
    path.write_text(FLAKY)
    return path


@pytest.fixture
def flaky(flaky_file: Path) -> Iterator[type[Strategy]]:
    (cls,) = load_file(flaky_file)
    yield cls
