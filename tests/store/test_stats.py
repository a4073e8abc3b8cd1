"""Run statistics against backtesting.py's ``compute_stats`` on the real GOOG data, and edge cases.

backtesting.py runs a strategy; its trades become fills (entry and exit per trade, merged when
they share a bar, side and price, so flips and split lots are real); our round trips, equity curve
and statistics rebuilt from those fills must equal its own.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting._stats import compute_stats as backtesting_compute_stats
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

from ostdesk.store.equity import EquityCurve, equity_curve
from ostdesk.store.roundtrips import RoundTrips, round_trips
from ostdesk.store.stats import (
    DURATION_KEYS,
    STAT_DEFINITIONS,
    TIME_KEYS,
    compute_stats,
    stats_from_record,
    stats_to_record,
)

DAY = 86_400_000_000_000


class SmaCross(Strategy):
    """The canonical example: always in the market, long above the slow SMA, short below."""

    n1 = 10
    n2 = 20

    def init(self) -> None:
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self) -> None:
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


class SmaCrossTakingHalf(SmaCross):
    """Flips on crossings and closes half the position five bars after each entry (split lots)."""

    def next(self) -> None:
        trades = self.trades
        if crossover(self.sma1, self.sma2) or crossover(self.sma2, self.sma1):
            super().next()  # never on the same bar as a half close: fills would merge differently
        elif trades and len(self.data) - 1 - trades[0].entry_bar == 5 and abs(trades[0].size) > 1:
            self.position.close(0.5)


class LongOnlyFixedSize(Strategy):
    """Scales in one share per bullish cross, exits everything on a bearish one (several lots)."""

    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, 5)
        self.slow = self.I(SMA, self.data.Close, 15)

    def next(self) -> None:
        if crossover(self.fast, self.slow) or (
            self.fast[-1] > self.slow[-1] and len(self.data) % 7 == 0
        ):
            self.buy(size=1)
        elif crossover(self.slow, self.fast):
            self.position.close()


def _run(strategy: type[Strategy], commission: float) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # backtesting.py's own warnings are not under test
        bt = Backtest(GOOG, strategy, cash=10_000, commission=commission, finalize_trades=True)
        return bt.run()


def _ns(values: Any) -> np.ndarray:
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def _fills_from_trades(trades: pd.DataFrame, commission: float) -> dict[str, np.ndarray]:
    """Each trade's entry and exit as fills; fills on one bar with one side and price merged."""
    sign = np.sign(trades["Size"].to_numpy())
    qty = np.abs(trades["Size"].to_numpy()).astype(float)
    legs = pd.DataFrame(
        {
            "ts": np.r_[_ns(trades["ExitTime"]), _ns(trades["EntryTime"])],
            "leg": np.r_[np.zeros(len(trades)), np.ones(len(trades))],  # exits before entries
            "side": np.r_[-sign, sign].astype(np.int8),
            "price": np.r_[trades["ExitPrice"], trades["EntryPrice"]],
            "quantity": np.r_[qty, qty],
        }
    )
    merged = legs.groupby(["ts", "side", "price"], sort=False, as_index=False).agg(
        quantity=("quantity", "sum"), leg=("leg", "min")
    )
    merged = merged.sort_values(["ts", "leg"], kind="stable")
    return {
        "ts": merged["ts"].to_numpy(np.int64),
        "symbol": np.full(len(merged), "GOOG", dtype=object),
        "side": merged["side"].to_numpy(np.int8),
        "quantity": merged["quantity"].to_numpy(float),
        "price": merged["price"].to_numpy(float),
        "commission": commission * merged["quantity"].to_numpy(float) * merged["price"].to_numpy(),
    }


def _warmup_bars(strategy: Strategy) -> int:
    indicators = [v for v in vars(strategy).values() if isinstance(v, np.ndarray)]
    return max(int(np.isnan(np.asarray(ind, float)).argmin()) for ind in indicators)


def _assert_same_trades(ours: RoundTrips, theirs: pd.DataFrame) -> None:
    """Equal round trips; among those one fill closes, backtesting.py lists the newest first."""
    assert len(ours) == len(theirs)
    theirs = theirs.iloc[np.lexsort((theirs["EntryBar"], theirs["ExitBar"]))]
    size = theirs["Size"].to_numpy()
    np.testing.assert_array_equal(ours.side, np.sign(size))
    np.testing.assert_allclose(ours.size, np.abs(size), rtol=1e-12)
    np.testing.assert_array_equal(ours.entry_bar, theirs["EntryBar"])
    np.testing.assert_array_equal(ours.exit_bar, theirs["ExitBar"])
    np.testing.assert_array_equal(ours.entry_ts, _ns(theirs["EntryTime"]))
    np.testing.assert_array_equal(ours.exit_ts, _ns(theirs["ExitTime"]))
    np.testing.assert_array_equal(
        ours.duration_ns, theirs["Duration"].to_numpy("m8[ns]").view("i8")
    )
    np.testing.assert_allclose(ours.entry_price, theirs["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose(ours.exit_price, theirs["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose(ours.commission, theirs["Commission"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.pnl, theirs["PnL"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.return_pct, 100 * theirs["ReturnPct"], rtol=1e-9, atol=1e-12)


def _isnan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _assert_same_stats(ours: dict[str, object], theirs: pd.Series) -> None:
    shared = [k for k in theirs.index if not k.startswith("_") and k in ours]
    assert len(shared) >= len(STAT_DEFINITIONS) - 1  # all but Commissions, not always shown
    for key in shared:
        mine, expected = ours[key], theirs[key]
        if expected is None or pd.isna(expected):  # backtesting.py's NaN / NaT
            assert mine is None if key in DURATION_KEYS else _isnan(mine), (key, mine)
        elif key in TIME_KEYS:
            assert mine == expected.tz_localize("UTC").to_pydatetime(), key
        elif key in DURATION_KEYS:
            assert mine == expected.to_pytimedelta(), key
        else:
            assert mine == pytest.approx(float(expected), rel=1e-6, abs=1e-12), key


@pytest.mark.parametrize(
    ("strategy", "commission"),
    [(SmaCross, 0.0), (SmaCross, 0.002), (SmaCrossTakingHalf, 0.002), (LongOnlyFixedSize, 0.001)],
)
def test_goog_trades_equity_and_stats_match_backtesting_py(
    strategy: type[Strategy], commission: float
) -> None:
    expected = _run(strategy, commission)
    theirs = expected["_trades"]
    fills = _fills_from_trades(theirs, commission)
    bars = {
        "GOOG": {"ts": _ns(GOOG.index), "high": GOOG.High.to_numpy(), "low": GOOG.Low.to_numpy()}
    }

    trips = round_trips(fills, bars)
    _assert_same_trades(trips, theirs)

    close = GOOG.Close.to_numpy()
    curve = equity_curve(_ns(GOOG.index), {"GOOG": close}, fills, 10_000.0)
    np.testing.assert_allclose(curve.equity, expected["_equity_curve"]["Equity"], rtol=1e-9)
    np.testing.assert_allclose(
        curve.drawdown_pct, 100 * expected["_equity_curve"]["DrawdownPct"], rtol=1e-9, atol=1e-9
    )

    stats = compute_stats(
        curve,
        trips,
        buy_hold_close=close,
        first_trading_bar=_warmup_bars(expected["_strategy"]),
    )
    _assert_same_stats(stats, expected)


def test_stats_keys_follow_the_definitions_in_order() -> None:
    curve = equity_curve(_ns(GOOG.index[:50]), {}, _no_fills(), 1000.0)
    stats = compute_stats(curve, RoundTrips.empty())
    assert list(stats) == list(STAT_DEFINITIONS)
    assert all(STAT_DEFINITIONS.values())
    for key in ("Buy & Hold Return [%]", "Alpha [%]", "Beta"):  # no closes given
        assert _isnan(stats[key]), key


def _no_fills() -> dict[str, np.ndarray]:
    return {
        "ts": np.zeros(0, np.int64),
        "symbol": np.zeros(0, object),
        "side": np.zeros(0, np.int8),
        "quantity": np.zeros(0),
        "price": np.zeros(0),
        "commission": np.zeros(0),
    }


def _fills(*rows: tuple[int, str, int, float, float, float]) -> dict[str, np.ndarray]:
    """Fills from (ts, symbol, side, quantity, price, commission) rows."""
    cols = list(zip(*rows, strict=True))
    return {
        "ts": np.array(cols[0], np.int64),
        "symbol": np.array(cols[1], object),
        "side": np.array(cols[2], np.int8),
        "quantity": np.array(cols[3], float),
        "price": np.array(cols[4], float),
        "commission": np.array(cols[5], float),
    }


def _backtesting_py_stats(curve: EquityCurve, trips: RoundTrips, close: np.ndarray) -> pd.Series:
    """backtesting.py's compute_stats on the same equity and trades (given as its trade table)."""
    trades = pd.DataFrame(
        {
            "EntryBar": np.searchsorted(curve.ts, trips.entry_ts),
            "ExitBar": np.searchsorted(curve.ts, trips.exit_ts),
            "PnL": trips.pnl,
            "ReturnPct": trips.return_pct / 100,
            "Duration": pd.to_timedelta(trips.duration_ns, unit="ns"),
        }
    )
    ohlc = pd.DataFrame({"Close": close}, index=pd.to_datetime(curve.ts, unit="ns"))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backtesting_compute_stats(trades, curve.equity, ohlc, None)


def _weekdays(n: int) -> np.ndarray:
    return _ns(pd.bdate_range("2024-01-01", periods=n))


def _compare(ts: np.ndarray, close: np.ndarray, fills: dict[str, np.ndarray]) -> dict[str, object]:
    curve = equity_curve(ts, {"X": close}, fills, 1_000.0)
    trips = round_trips(fills)
    ours = compute_stats(curve, trips, buy_hold_close=close)
    _assert_same_stats(ours, _backtesting_py_stats(curve, trips, close))
    return ours


def test_no_trades_on_flat_equity_leave_undefined_stats_nan() -> None:
    ts = _weekdays(30)
    stats = _compare(ts, np.linspace(10, 20, 30), _no_fills())
    assert stats["# Trades"] == 0
    assert stats["Exposure Time [%]"] == 0.0
    assert stats["Return [%]"] == 0.0
    assert stats["Max. Drawdown [%]"] == 0.0
    for key in ("Win Rate [%]", "Sharpe Ratio", "Profit Factor", "SQN", "Avg. Drawdown [%]"):
        assert _isnan(stats[key]), key
    assert stats["Max. Drawdown Duration"] is None
    assert stats["Avg. Trade Duration"] is None
    assert stats["Duration"] == dt.timedelta(days=39)


def test_one_winning_trade_has_no_profit_factor_like_backtesting_py() -> None:
    ts = _weekdays(30)
    close = 10 + np.sin(np.arange(30) / 3.0)
    stats = _compare(
        ts, close, _fills((ts[3], "X", 1, 5, 9.5, 0.1), (ts[8], "X", -1, 5, 11.0, 0.1))
    )
    assert stats["# Trades"] == 1
    assert stats["Win Rate [%]"] == 100.0
    assert _isnan(stats["Profit Factor"])
    assert _isnan(stats["SQN"])
    assert stats["Exposure Time [%]"] == pytest.approx(100 * 6 / 30)
    assert stats["Commissions [$]"] == pytest.approx(0.2)


def test_break_even_trades_count_as_losses() -> None:
    ts = _weekdays(20)
    close = np.full(20, 10.0)
    fills = _fills(
        (ts[1], "X", 1, 1, 10.0, 0.0),
        (ts[2], "X", -1, 1, 10.0, 0.0),
        (ts[4], "X", -1, 1, 10.0, 0.0),
        (ts[6], "X", 1, 1, 9.0, 0.0),
    )
    stats = _compare(ts, close, fills)
    assert stats["Win Rate [%]"] == 50.0
    assert stats["Equity Final [$]"] == 1_001.0


def test_a_drawdown_only_on_the_last_bar_averages_like_backtesting_py() -> None:
    ts = _weekdays(10)
    close = np.full(10, 10.0)
    curve = equity_curve(ts, {"X": close}, _fills((ts[-1], "X", 1, 1, 11.0, 0.0)), 1_000.0)
    stats = compute_stats(curve, RoundTrips.empty(), buy_hold_close=close)
    theirs = _backtesting_py_stats(curve, RoundTrips.empty(), close)
    assert stats["Avg. Drawdown [%]"] == pytest.approx(theirs["Avg. Drawdown [%]"]) == -0.1
    assert stats["Max. Drawdown [%]"] == pytest.approx(-0.1)
    assert stats["Max. Drawdown Duration"] is None  # backtesting.py shows the drawdown (0.001) here


def test_no_statistic_and_no_trade_figure_is_negative_zero() -> None:
    """backtesting.py shows "Max. Drawdown [%] -0.0" for a run that never fell; the CLI then
    printed "-0". A short closed at its entry price, free, has made 0, not -0.0."""
    ts = _weekdays(10)
    close = np.full(10, 10.0)
    fills = _fills((ts[2], "X", -1, 1, 10.0, 0.0), (ts[5], "X", 1, 1, 10.0, 0.0))
    trips = round_trips(fills)
    assert math.copysign(1, trips.pnl[0]) == math.copysign(1, trips.return_pct[0]) == 1
    stats = _compare(ts, close, fills)
    assert stats["Max. Drawdown [%]"] == 0.0
    zeros = [k for k, v in stats.items() if isinstance(v, float) and v == 0]
    assert {"Max. Drawdown [%]", "Best Trade [%]", "Return [%]"} <= set(zeros)
    assert [k for k in zeros if math.copysign(1, stats[k]) < 0] == []


def test_hourly_data_with_weekends_annualises_over_365_days_and_rounds_to_hours() -> None:
    ts = _ns(pd.date_range("2024-03-01", periods=24 * 20, freq="h"))
    close = 100 + np.cumsum(np.random.default_rng(7).normal(0, 0.5, len(ts)))
    fills = _fills(
        (ts[5], "X", 1, 3, close[4], 0.5),
        (ts[50], "X", -1, 5, close[49], 0.5),
        (ts[130], "X", 1, 2, close[129], 0.5),
        (ts[300], "X", -1, 1, close[299], 0.5),
        (ts[401], "X", 1, 1, close[400], 0.5),
    )
    stats = _compare(ts, close, fills)  # backtesting.py agrees on every figure
    assert stats["# Trades"] == 3
    assert stats["Avg. Trade Duration"] == dt.timedelta(hours=76)  # (45 + 80 + 101) / 3, rounded up
    assert stats["Max. Trade Duration"] == dt.timedelta(hours=101)
    assert stats["Return (Ann.) [%]"] != 0.0


def test_stats_survive_a_storage_record_round_trip() -> None:
    expected = _run(SmaCross, 0.002)
    trades = expected["_trades"]
    fills = _fills_from_trades(trades, 0.002)
    close = GOOG.Close.to_numpy()
    curve = equity_curve(_ns(GOOG.index), {"GOOG": close}, fills, 10_000.0)
    stats = compute_stats(curve, round_trips(fills), buy_hold_close=close)
    record = stats_to_record(stats)
    assert isinstance(record["Start"], int)
    assert record["Max. Drawdown Duration"] == 830 * 86_400.0
    assert all(v is None or isinstance(v, int | float) for v in record.values())
    assert stats_from_record(record) == stats


def test_bad_inputs_are_refused_with_the_reason() -> None:
    ts = _weekdays(5)
    flat = np.full(5, 100.0)
    with pytest.raises(ValueError, match="risk_free_rate"):
        compute_stats((ts, flat), RoundTrips.empty(), risk_free_rate=5.0)
    with pytest.raises(ValueError, match="buy_hold_close"):
        compute_stats((ts, flat), RoundTrips.empty(), buy_hold_close=flat[:3])
    with pytest.raises(ValueError, match="strictly increasing"):
        compute_stats((ts[::-1], flat), RoundTrips.empty())
    with pytest.raises(ValueError, match="bar 2 is not finite"):
        compute_stats((ts, np.array([1.0, 2, np.nan, 3, 4])), RoundTrips.empty())
