"""docs/strategy-api.md stays true: it names every public name, its event tables list each
event's fields exactly, its examples compile, and the complete strategy on it loads from a
strategy folder and trades in a backtest."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import ostdesk
import ostdesk.indicators
from ostdesk import (
    BarPeriod,
    BarReceived,
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderExpired,
    OrderRejected,
    Strategy,
)
from ostdesk.engine.events import EventBase
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.strategy_loader import load_strategies
from tests.engine.data import random_walk_chunk

PAGE = Path(__file__).resolve().parents[1] / "docs" / "strategy-api.md"
TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```$", TEXT, flags=re.MULTILINE | re.DOTALL)

ENGINE_FACING = {"build", "check_params", "host"}
"""``Strategy`` members the engine and the window call, not strategy code."""

ON_ORDER_EVENTS = (
    OrderAccepted,
    OrderRejected,
    OrderExpired,
    ModificationAccepted,
    ModificationRejected,
    CancellationAccepted,
    CancellationRejected,
)
"""What ``StrategyHost`` hands ``on_order`` (its handlers that call ``_notify``)."""

EVERY_EVENT = {"ts_event_ns", "ts_created_ns"}
"""Fields the page gives once for every event, above the tables."""

ON_ORDER_COMMON = {"order_id", "strategy_id"}
"""Fields the page gives once for every ``on_order`` event, above its table."""


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


def _section(heading: str) -> str:
    """The page's text under ``### heading``, up to the next heading."""
    start = TEXT.index(f"\n### {heading}\n")
    return re.split(r"^#", TEXT[start + 1 :], maxsplit=2, flags=re.MULTILINE)[1]


def _table(section: str) -> list[list[str]]:
    """The cells of the first table in ``section``, header and rule left out."""
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def _field_names(cell: str) -> set[str]:
    """The fields a cell names: code in lower case (``symbol``), not in parentheses (where
    ``RejectionReason`` or ``None`` explain them)."""
    return set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cell)))


def _fields(event: type[EventBase]) -> set[str]:
    return {f.name for f in dataclasses.fields(event)}


@pytest.mark.parametrize("event", [BarReceived, FillEvent])
def test_an_events_field_table_lists_exactly_its_fields(event: type[EventBase]) -> None:
    listed = set().union(*(_field_names(row[0]) for row in _table(_section(f"`{event.__name__}`"))))
    assert listed | EVERY_EVENT == _fields(event)


def test_the_on_order_table_lists_each_event_it_receives_with_exactly_its_fields() -> None:
    section = _section("What `on_order` receives")
    assert re.search(r"All carry\s+`order_id` and `strategy_id`\.", section)
    rows = {row[0].strip("`"): _field_names(row[2]) for row in _table(section)}
    assert list(rows) == [e.__name__ for e in ON_ORDER_EVENTS]
    for event in ON_ORDER_EVENTS:
        assert rows[event.__name__] | ON_ORDER_COMMON | EVERY_EVENT == _fields(event), event


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
