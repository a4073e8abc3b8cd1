"""A backtest's configuration refuses amounts no run can use, with a sentence naming the field
and the value: infinite or NaN capital once printed ``completed`` and left its run ``running``."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.strategies.sma_cross import SmaCross


def _config(**fields: Any) -> BacktestConfig:
    return BacktestConfig(strategy=SmaCross, symbols=("S0",), period=BarPeriod.MINUTE, **fields)


@pytest.mark.parametrize(
    ("capital", "shown"),
    [(math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "nan"), (-1_000.0, "-1000"), (0.0, "0")],
)
def test_capital_must_be_positive_and_finite(capital: float, shown: str) -> None:
    with pytest.raises(
        ValueError, match=rf"^initial capital must be a positive finite amount, got {shown}$"
    ):
        _config(capital=capital)


@pytest.mark.parametrize(("ticks", "shown"), [(math.inf, "inf"), (math.nan, "nan"), (-0.5, "-0.5")])
def test_slippage_must_be_finite_and_not_negative(ticks: float, shown: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^slippage must be a finite number of ticks, 0 or more, got {shown}$",
    ):
        _config(slippage_ticks=ticks)


@pytest.mark.parametrize(
    ("leverage", "shown"), [(math.inf, "inf"), (math.nan, "nan"), (-2.0, "-2"), (0.0, "0")]
)
def test_max_leverage_must_be_positive_and_finite(leverage: float, shown: str) -> None:
    with pytest.raises(ValueError, match=rf"^maximum leverage must be .*, got {shown}$"):
        _config(max_leverage=leverage)


def test_ordinary_amounts_are_accepted() -> None:
    config = _config(capital=1e9, slippage_ticks=0.0, max_leverage=None)
    assert config.capital == 1e9
    assert _config(slippage_ticks=2.5, max_leverage=4.0).max_leverage == 4.0
