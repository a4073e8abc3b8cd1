"""The equity curve rebuilt from fills and closes, checked against a hand-computed ledger."""

from __future__ import annotations

import numpy as np
import pytest

from ostdesk.store.equity import equity_curve

TS = np.array([0, 10, 20, 30, 40], np.int64)
CLOSES = {
    "A": np.array([10.0, 11.0, 12.0, 13.0, 14.0]),
    "B": np.array([np.nan, 50.0, np.nan, 40.0, 45.0]),  # no bar at 0 and 20
}


def _fills(*rows: tuple[int, str, int, float, float, float]) -> dict[str, np.ndarray]:
    """Fills from (ts, symbol, side, quantity, price, commission) rows."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return {
        "ts": np.array(cols[0], np.int64),
        "symbol": np.array(cols[1], object),
        "side": np.array(cols[2], np.int8),
        "quantity": np.array(cols[3], float),
        "price": np.array(cols[4], float),
        "commission": np.array(cols[5], float),
    }


def test_two_symbols_with_fills_on_different_bars_match_the_hand_ledger() -> None:
    fills = _fills(
        (5, "A", 1, 2, 10.5, 1.0),  # within bar 0
        (10, "B", -1, 1, 50.0, 0.5),  # at bar 1's open
        (25, "A", -1, 1, 12.5, 0.0),  # within bar 2
    )
    curve = equity_curve(TS, CLOSES, fills, 1_000.0)
    np.testing.assert_array_equal(curve.ts, TS)
    np.testing.assert_allclose(curve.cash, [978, 1027.5, 1040, 1040, 1040])
    # A: 2, 2, 1, 1, 1 shares; B: 0, -1, -1, -1, -1 at 50, 50 (carried), 40, 45
    np.testing.assert_allclose(curve.position_value, [20, -28, -38, -27, -31])
    np.testing.assert_allclose(curve.equity, [998, 999.5, 1002, 1013, 1009])
    np.testing.assert_allclose(curve.drawdown_pct, [0, 0, 0, 0, 100 * (1 - 1009 / 1013)])
    assert len(curve) == 5


def test_no_fills_leave_equity_at_capital() -> None:
    curve = equity_curve(TS, {}, _fills(), 500.0)
    np.testing.assert_array_equal(curve.equity, np.full(5, 500.0))
    np.testing.assert_array_equal(curve.drawdown_pct, np.zeros(5))


def test_a_fill_before_the_first_bar_is_refused() -> None:
    with pytest.raises(ValueError, match="before the first bar"):
        equity_curve(TS, CLOSES, _fills((-1, "A", 1, 1, 10.0, 0.0)), 1_000.0)


def test_a_position_without_any_close_yet_is_refused() -> None:
    with pytest.raises(ValueError, match="'B' has a position at ts 0 but no close"):
        equity_curve(TS, CLOSES, _fills((0, "B", 1, 1, 50.0, 0.0)), 1_000.0)


def test_missing_or_misaligned_closes_are_named() -> None:
    fills = _fills((0, "C", 1, 1, 50.0, 0.0))
    with pytest.raises(ValueError, match="no closes for traded symbol 'C'"):
        equity_curve(TS, CLOSES, fills, 1_000.0)
    with pytest.raises(ValueError, match=r"closes_by_symbol\['C'\]: expected 5 closes"):
        equity_curve(TS, {"C": np.ones(3)}, fills, 1_000.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        equity_curve(TS[::-1], CLOSES, fills, 1_000.0)
