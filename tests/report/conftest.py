"""Report test set-up: a database of real recorded runs of GOOG daily, made once per module
through the command line (a completed SMA crossover, a short-selling strategy that fails
half way), copied for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ostdesk.cli import main
from tests.cli_data import import_goog

FAILING = (
    "from ostdesk import Strategy\n\n\n"
    "class ShortThenFail(Strategy):\n"
    '    """Sells short every 20th bar, covers 10 bars later, and raises at bar 1000."""\n\n'
    "    def on_bar(self, bar):\n"
    "        n = len(self.close)\n"
    "        if n == 1000:\n"
    '            raise RuntimeError("boom at bar 1000")\n'
    "        if n % 20 == 0:\n"
    "            self.sell(10)\n"
    "        elif n % 20 == 10 and self.position:\n"
    "            self.close_position()\n"
)

COMPLETED_RUN, FAILED_RUN = 1, 2


@pytest.fixture(scope="module")
def runs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    db = import_goog(folder / "runs.duckdb")
    strategies = folder / "strategies"
    strategies.mkdir()
    (strategies / "short_then_fail.py").write_text(FAILING)
    common = ["--symbol", "GOOG", "--period", "day", "--db", str(db)]
    sma = ["backtest", "--strategy", "SmaCross", "--commission", "percent=0.1", "--name", "sma"]
    assert main([*sma, *common]) == 0
    failing = ["backtest", "--strategy", "ShortThenFail", "--strategies-dir", str(strategies)]
    assert main([*failing, *common]) == 1
    return db


@pytest.fixture
def runs_db(runs_template: Path, db_path: Path) -> Path:
    """A copy of the template's database at ``db_path``."""
    shutil.copy(runs_template, db_path)
    return db_path
