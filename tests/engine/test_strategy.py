"""The strategy API: parameters, per-symbol data, seeing fills before deciding, failures."""

from __future__ import annotations

import enum
import math
from pathlib import Path
from typing import Any

import pytest

from ostdesk import Param, ParamError, Strategy
from ostdesk.engine.events import BarPeriod, BarReceived, FillEvent, OrderRejected
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.indicators import SMA
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Everything(Strategy):
    """Declares one parameter of each kind."""

    n = Param(5, min=1, max=10, step=1, help="a count")
    x = Param(0.5, min=0.0, max=1.0)
    flag = Param(False)
    label = Param("a", choices=["a", "b"])
    mode = Param(Mode.FAST)


def test_parameters_are_typed_by_their_default_and_validated() -> None:
    s = Everything(n=7, x=1, mode="SLOW")
    assert s.parameters == {"n": 7, "x": 1.0, "flag": False, "label": "a", "mode": Mode.SLOW}
    with pytest.raises(ParamError, match="parameter n: 11 is above the maximum 10"):
        Everything(n=11)
    with pytest.raises(ParamError, match=r"parameter n: expected a whole number, got 2\.5"):
        Everything(n=2.5)
    with pytest.raises(ParamError, match="parameter label: 'c' is not one of 'a', 'b'"):
        Everything(label="c")
    with pytest.raises(ParamError, match="has no parameter 'size'"):
        Everything(size=3)
    with pytest.raises(ParamError, match="expected true or false"):
        Everything(flag=1)
    with pytest.raises(AttributeError, match="fixed for a run"):
        s.n = 3  # type: ignore[misc]


def test_parameters_parse_from_text() -> None:
    params = Everything.params
    assert params["n"].parse("3") == 3
    assert params["flag"].parse("yes") is True
    assert params["mode"].parse("SLOW") is Mode.SLOW
    with pytest.raises(ParamError, match="cannot read 'abc' as int"):
        params["n"].parse("abc")


def test_declared_constraint_names_the_field() -> None:
    errors = SmaCross.check_params({"fast": 40, "slow": 20})
    assert [(e.field, e.message) for e in errors] == [
        ("fast", "fast (40) must be shorter than slow (20)")
    ]
    assert SmaCross.check_params({"fast": 5}) == []
    assert SmaCross.description.startswith("Long when the fast SMA crosses above")


def _run(
    strategy: type[Strategy], n_symbols: int = 1, n_bars: int = 300, **params: Any
) -> BacktestRun:
    chunk = random_walk_chunk(n_symbols, n_bars)
    symbols = tuple(f"S{i}" for i in range(n_symbols))
    config = BacktestConfig(
        strategy=strategy, symbols=symbols, period=BarPeriod.MINUTE, params=params
    )
    return BacktestRun(config, [chunk], len(chunk)).run()


class SeesItsFills(Strategy):
    """Buys on the first bar, then records the position it sees on every bar."""

    def setup(self) -> None:
        self.seen: list[float] = []
        self.fills: list[int] = []

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 1:
            self.buy(2)
        self.seen.append(self.position.quantity)

    def on_fill(self, fill: FillEvent) -> None:
        self.fills.append(fill.ts_event_ns)


def test_on_bar_sees_the_fills_of_its_own_bar() -> None:
    for _ in range(20):  # scheduling varies run to run; the answer must not
        run = _run(SeesItsFills, n_bars=5)
        strat = run.strategy
        assert isinstance(strat, SeesItsFills)
        assert strat.seen == [0.0, 2.0, 2.0, 2.0, 2.0]
        assert len(strat.fills) == 1


class PerSymbol(Strategy):
    """Checks that history and indicators follow bar.symbol."""

    def setup(self) -> None:
        self.ma = self.indicator(SMA(3))
        self.mismatch = 0

    def on_bar(self, bar: BarReceived) -> None:
        closes = self.close.of(bar.symbol)
        if self.close[-1] != bar.close or closes[-1] != bar.close:
            self.mismatch += 1
        if len(closes) >= 3 and abs(self.ma[-1] - sum(closes[-3:]) / 3) > 1e-9:
            self.mismatch += 1


def test_history_and_indicators_are_per_symbol() -> None:
    run = _run(PerSymbol, n_symbols=3, n_bars=100)
    assert run.status is RunStatus.COMPLETED
    strat = run.strategy
    assert isinstance(strat, PerSymbol)
    assert strat.mismatch == 0
    assert len(strat.close.of("S2")) == 100


class Explodes(Strategy):
    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 50:
            raise ZeroDivisionError("boom at bar 50")


def test_a_raising_strategy_fails_the_run_with_its_traceback() -> None:
    run = _run(Explodes, n_bars=2000)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "ZeroDivisionError: boom at bar 50" in run.error.message
    assert "on_bar" in run.error.traceback
    assert run.bars_processed < 2000


class RejectsItself(Strategy):
    def setup(self) -> None:
        self.rejections: list[str] = []

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 1:
            self.buy(0)

    def on_order(self, event: Any) -> None:
        if isinstance(event, OrderRejected):
            self.rejections.append(event.message)


def test_an_order_of_quantity_zero_is_refused_with_a_message() -> None:
    run = _run(RejectsItself, n_bars=5)
    strat = run.strategy
    assert isinstance(strat, RejectsItself)
    assert strat.rejections == ["order 1: quantity must be a positive number, got 0"]
    assert strat.orders == {}


def test_strategy_files_that_fail_to_import_are_reported(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(
        "from ostdesk import Strategy\n\nclass Mine(Strategy):\n    '''Mine.'''\n"
    )
    (tmp_path / "broken.py").write_text("from ostdesk import Strategy\n\nclass Bad(Strategy:\n")
    (tmp_path / "raises.py").write_text("x = 1\nraise RuntimeError('nope')\n")
    catalog = load_strategies([tmp_path])
    assert "Mine" in catalog.strategies and "SmaCross" in catalog.strategies
    errors = {e.path.name: e for e in catalog.errors}
    assert errors["broken.py"].line == 3
    assert "SyntaxError" in errors["broken.py"].message
    assert errors["raises.py"].line == 2
    assert "RuntimeError: nope" in str(errors["raises.py"])
    with pytest.raises(KeyError, match="unknown strategy 'Nope'"):
        catalog.get("Nope")
    assert catalog.get("smacross") is SmaCross


class ClosesWithTheNewName(Strategy):
    """Buys on bar 1, flattens on bar 3, and records what ``close_position`` returned."""

    def setup(self) -> None:
        self.returned: list[int | None] = []
        self.held: list[float] = []

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 1:
            self.buy(3)
        elif len(self.close) in (3, 5):  # bar 5: already flat, nothing is sent
            self.returned.append(self.close_position())
        self.held.append(self.position.quantity)


def test_close_position_flattens_and_returns_none_when_flat() -> None:
    run = _run(ClosesWithTheNewName, n_bars=6)
    strat = run.strategy
    assert isinstance(strat, ClosesWithTheNewName)
    assert strat.returned == [2, None]
    assert strat.held == [0.0, 3.0, 3.0, 0.0, 0.0, 0.0]


class CallsTheOldClose(Strategy):
    def on_bar(self, bar: BarReceived) -> None:
        if self.close[-1] > 0:  # the series still reads as before
            self.close()


def test_calling_close_as_a_method_fails_the_run_naming_close_position() -> None:
    run = _run(CallsTheOldClose, n_bars=5)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "TypeError" in run.error.message
    assert "self.close_position()" in run.error.message


class Sizes(Strategy):
    """Records what ``size_for`` answers on the first bar of each symbol."""

    def setup(self) -> None:
        self.answers: dict[str, tuple[float, ...]] = {}

    def on_bar(self, bar: BarReceived) -> None:
        if bar.symbol not in self.answers:
            self.answers[bar.symbol] = (
                bar.close,
                self.size_for(0.5),
                self.size_for(0.5, price=7.0),
                self.size_for(0.5, symbol=self.symbols[0]),
                self.size_for(1.0, price=200_000.0),
            )


def test_size_for_buys_whole_units_with_a_fraction_of_equity() -> None:
    run = _run(Sizes, n_symbols=2, n_bars=3)
    strat = run.strategy
    assert isinstance(strat, Sizes)
    first_close = strat.answers["S0"][0]
    for close, at_last, at_seven, of_first, too_dear in strat.answers.values():
        assert at_last == math.floor(50_000 / close)
        assert at_seven == 7142
        assert of_first == math.floor(50_000 / first_close)
        assert too_dear == 0, "not one unit affordable: zero, for the caller to skip"


class SizesBadly(Strategy):
    def on_bar(self, bar: BarReceived) -> None:
        self.size_for(-0.5)


def test_size_for_refuses_a_fraction_that_is_not_above_zero() -> None:
    run = _run(SizesBadly, n_bars=3)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "size_for: fraction must be a finite number above 0, got -0.5" in run.error.message


class RecordsFills(SmaCross):
    def setup(self) -> None:
        super().setup()
        self.fills: list[FillEvent] = []

    def on_fill(self, fill: FillEvent) -> None:
        self.fills.append(fill)


@pytest.mark.parametrize("n_symbols", [1, 3])
def test_built_ins_put_their_fraction_of_equity_into_a_trade(n_symbols: int) -> None:
    run = _run(RecordsFills, n_symbols=n_symbols, n_bars=400)
    strat = run.strategy
    assert isinstance(strat, RecordsFills)
    first = strat.fills[0]
    share = first.quantity * first.price / 100_000 * n_symbols
    assert 0.9 < share < 1.0, "0.95 of equity, split evenly between the symbols"


def test_a_fixed_size_still_trades_that_many_units() -> None:
    run = _run(RecordsFills, n_bars=400, size=3.0)
    strat = run.strategy
    assert isinstance(strat, RecordsFills)
    assert {f.quantity for f in strat.fills} == {3.0}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("SmaCross", {}),
        ("BollingerBreakout", {}),
        ("RsiReversion", {"oversold": 40.0}),
        ("RelativeMomentum", {"length": 20, "rebalance": 50}),
    ],
)
def test_built_ins_sized_by_fraction_trade_and_are_never_refused(
    name: str, params: dict[str, Any]
) -> None:
    built_in = load_strategies([]).get(name)

    class Watched(built_in):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            super().setup()
            self.answers: list[Any] = []
            self.filled = 0.0

        def on_fill(self, fill: FillEvent) -> None:
            self.filled += fill.quantity * fill.price
            super().on_fill(fill)

        def on_order(self, event: Any) -> None:
            self.answers.append(event)
            super().on_order(event)

    run = _run(Watched, n_symbols=3, n_bars=600, **params)
    strat = run.strategy
    assert isinstance(strat, Watched)
    assert run.status is RunStatus.COMPLETED
    assert [e for e in strat.answers if isinstance(e, OrderRejected)] == []
    assert strat.filled > 100_000, "traded more than the account's worth in total"
