"""The account's equity curve on the bar timeline, rebuilt from fills and closes by numpy passes.

A fill is booked on the bar that holds it (the last bar whose ``ts`` <= the fill's ``ts``: it
happened at that bar's open or within it) and equity is marked at that bar's close:

* ``cash = capital - cumsum(side * quantity * price) - cumsum(commission)``;
* ``position_value = sum over symbols of position * close``, the close carried forward over bars
  where the symbol has none;
* ``equity = cash + position_value``;
* ``drawdown_pct = 100 * (1 - equity / running max of equity)``, >= 0 (backtesting.py's
  ``DrawdownPct`` x 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.store.roundtrips import Fills, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """Per-bar account state, columnar, marked at each bar's close."""

    ts: IntArray
    cash: FloatArray
    position_value: FloatArray
    equity: FloatArray
    drawdown_pct: FloatArray

    def __len__(self) -> int:
        return len(self.ts)


def equity_curve(
    ts: npt.ArrayLike,
    closes_by_symbol: Mapping[str, npt.ArrayLike],
    fills: Mapping[str, Any],
    capital: float,
) -> EquityCurve:
    """Equity per bar of the sorted union timeline ``ts`` from ``fills`` and starting ``capital``.

    ``closes_by_symbol`` maps each traded symbol to its closes aligned on ``ts`` (NaN where it has
    no bar). A fill before the first bar, or while its symbol has no close yet, is an error.
    """
    bar_ts = np.asarray(ts, dtype=np.int64)
    n = len(bar_ts)
    if n == 0:
        raise ValueError("equity_curve: the bar timeline is empty")
    if (np.diff(bar_ts) <= 0).any():
        raise ValueError("equity_curve: ts must be strictly increasing")
    checked = Fills.from_mapping(fills)
    at_bar = np.searchsorted(bar_ts, checked.ts, side="right") - 1
    if len(checked) and at_bar[0] < 0:
        raise ValueError(f"fills: fill at ts {checked.ts[0]} is before the first bar {bar_ts[0]}")
    signed_qty = checked.side * checked.quantity
    cash_flow = -signed_qty * checked.price - checked.commission
    flows = np.bincount(at_bar, weights=cash_flow, minlength=n)
    cash = np.cumsum(flows, dtype=np.float64) + float(capital)
    position_value = np.zeros(n)
    for symbol in np.unique(checked.symbol):
        if symbol not in closes_by_symbol:
            raise ValueError(f"closes_by_symbol: no closes for traded symbol {symbol!r}")
        close = _carry_forward(np.asarray(closes_by_symbol[symbol], dtype=np.float64), n, symbol)
        mine = checked.symbol == symbol
        position = np.cumsum(np.bincount(at_bar[mine], weights=signed_qty[mine], minlength=n))
        unpriced = (position != 0) & np.isnan(close)
        if unpriced.any():
            bar = int(np.argmax(unpriced))
            raise ValueError(f"fills: {symbol!r} has a position at ts {bar_ts[bar]} but no close")
        position_value += np.where(position != 0, position * np.nan_to_num(close), 0.0)
    equity = cash + position_value
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = 100.0 * (1.0 - equity / np.maximum.accumulate(equity))
    return EquityCurve(
        ts=bar_ts, cash=cash, position_value=position_value, equity=equity, drawdown_pct=drawdown
    )


def _carry_forward(close: FloatArray, n: int, symbol: str) -> FloatArray:
    """Replace each NaN by the last close before it (leading NaNs stay)."""
    if close.shape != (n,):
        raise ValueError(f"closes_by_symbol[{symbol!r}]: expected {n} closes, got {close.shape}")
    index = np.where(np.isnan(close), 0, np.arange(n))
    return close[np.maximum.accumulate(index)]
