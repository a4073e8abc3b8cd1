"""docs/strategy-api.md stays true: it names every public name, its examples compile, and the
complete strategy on it loads from a strategy folder and trades in a backtest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ostdesk
import ostdesk.indicators
from ostdesk import BarPeriod, FillEvent, Strategy
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.strategy_loader import load_strategies
from tests.engine.data import random_walk_chunk

PAGE = Path(__file__).resolve().parents[1] / "docs" / "strategy-api.md"
TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)

ENGINE_FACING = {"build", "check_params", "host"}
"""``Strategy`` members the engine and the window call, not strategy code."""


def _documented(name: str) -> bool:
    """Named in code on the page: ``name``, ``name(...)``, ``self.name`` ..."""
    return re.search(rf"`(self\.)?{re.escape(name)}\b", TEXT) is not None


@pytest.mark.parametrize("name", [*ostdesk.__all__, *ostdesk.indicators.__all__])
def test_every_public_name_is_on_the_page(name: str) -> None:
    assert _documented(name), f"{name} is exported but not documented in {PAGE.name}"


def test_every_public_member_of_strategy_is_on_the_page() -> None:
    members = {name for name in dir(Strategy) if not name.startswith("_")} - ENGINE_FACING
    missing = sorted(name for name in members if not _documented(name))
    assert missing == []


def test_every_python_example_compiles() -> None:
    assert len(BLOCKS) >= 5
    for i, block in enumerate(BLOCKS):
        compile(block, f"{PAGE.name} block {i}", "exec")


def test_the_self_contained_examples_run() -> None:
    """A block that starts with an import and defines no strategy is a whole program."""
    runnable = [b for b in BLOCKS if b.startswith(("from ", "import ")) and "(Strategy)" not in b]
    assert len(runnable) >= 2
    for block in runnable:
        exec(compile(block, PAGE.name, "exec"), {})


def test_the_complete_strategy_loads_from_a_folder_and_trades(tmp_path: Path) -> None:
    (source,) = [b for b in BLOCKS if "(Strategy)" in b]
    (tmp_path / "breakout.py").write_text(source, encoding="utf-8")
    catalog = load_strategies([tmp_path])
    assert catalog.errors == []
    cls = catalog.get("Breakout")

    class Watched(cls):  # type: ignore[misc,valid-type]
        def on_fill(self, fill: FillEvent) -> None:
            self.fills = [*getattr(self, "fills", []), fill]
            super().on_fill(fill)

    chunk = random_walk_chunk(2, 600)
    config = BacktestConfig(
        strategy=Watched, symbols=("S0", "S1"), period=BarPeriod.MINUTE, params={}
    )
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED, run.error
    fills = run.strategy.fills  # type: ignore[attr-defined]
    assert {f.symbol for f in fills} == {"S0", "S1"}
    assert {f.side.name for f in fills} == {"BUY", "SELL"}, "entries and their exits"
