"""Indicators against independent vectorised references (numpy/pandas) on real GOOG daily bars.

Each reference is written here from the textbook formula, not from the implementation: pandas
rolling windows, numpy sliding windows, and ``ewm(adjust=False)`` restarted from an explicit SMA
seed for the exponential and Wilder averages. Full series are compared, NaN positions included.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable

import backtesting
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from ostdesk.engine.indicators import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    SOURCES,
    WMA,
    Bollinger,
    Highest,
    Indicator,
    Lowest,
    Placement,
    Stochastic,
)

RTOL = 1e-9


@pytest.fixture(scope="module")
def goog() -> pd.DataFrame:
    path = os.path.join(os.path.dirname(backtesting.__file__), "test", "GOOG.csv")
    return pd.read_csv(path, index_col=0, parse_dates=True).astype(float)


def feed(ind: Indicator, df: pd.DataFrame) -> Indicator:
    cols = [df[c].tolist() for c in ("Open", "High", "Low", "Close", "Volume")]
    for o, h, lo, c, v in zip(*cols, strict=True):
        ind.update(o, h, lo, c, v)
    return ind


def assert_series(actual: object, expected: np.ndarray | pd.Series) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=RTOL, atol=0)


def seeded_ewm(x: np.ndarray, start: int, n: int, alpha: float) -> np.ndarray:
    """EMA of ``x[start:]`` seeded by the mean of its first ``n`` values, aligned to ``x``."""
    out = np.full(len(x), np.nan)
    seed = x[start : start + n].mean()
    body = np.r_[seed, x[start + n :]]
    out[start + n - 1 :] = pd.Series(body).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    return out


def true_range(df: pd.DataFrame) -> np.ndarray:
    prev = df.Close.shift(1)
    tr = pd.concat([df.High - df.Low, (df.High - prev).abs(), (df.Low - prev).abs()], axis=1)
    return tr.max(axis=1).to_numpy()  # max skips the NaN gaps on bar 0, leaving high - low


# --- values against references ---------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 10, 50])
def test_sma_matches_pandas_rolling_mean(goog: pd.DataFrame, n: int) -> None:
    ind = feed(SMA(n), goog)
    assert_series(ind.line("value"), goog.Close.rolling(n).mean())


@pytest.mark.parametrize("n", [1, 3, 20])
def test_ema_matches_sma_seeded_ewm(goog: pd.DataFrame, n: int) -> None:
    ind = feed(EMA(n), goog)
    assert_series(ind.line("value"), seeded_ewm(goog.Close.to_numpy(), 0, n, 2 / (n + 1)))


@pytest.mark.parametrize("n", [1, 4, 30])
def test_wma_matches_weighted_window_dot_product(goog: pd.DataFrame, n: int) -> None:
    weights = np.arange(1, n + 1, dtype=float)
    expected = goog.Close.rolling(n).apply(lambda w: w @ weights / weights.sum(), raw=True)
    assert_series(feed(WMA(n), goog).line("value"), expected)


@pytest.mark.parametrize("n", [2, 14])
def test_rsi_matches_wilder_averages_of_gains_and_losses(goog: pd.DataFrame, n: int) -> None:
    change = goog.Close.diff().to_numpy()
    gain = seeded_ewm(np.clip(change, 0, None), 1, n, 1 / n)
    loss = seeded_ewm(np.clip(-change, 0, None), 1, n, 1 / n)
    with np.errstate(invalid="ignore"):
        expected = np.where(gain + loss == 0, 50.0, 100 * gain / (gain + loss))  # flat: neutral
    ind = feed(RSI(n), goog)
    assert np.isnan(ind.line("value")[n - 1]) and not np.isnan(ind.line("value")[n])
    assert_series(ind.line("value"), expected)


@pytest.mark.parametrize("n", [1, 14])
def test_atr_matches_wilder_average_of_true_range(goog: pd.DataFrame, n: int) -> None:
    expected = seeded_ewm(true_range(goog), 0, n, 1 / n)
    assert_series(feed(ATR(n), goog).line("value"), expected)


@pytest.mark.parametrize(("n", "k"), [(20, 2.0), (5, 1.5)])
def test_bollinger_matches_population_std_bands(goog: pd.DataFrame, n: int, k: float) -> None:
    windows = sliding_window_view(goog.Close.to_numpy(), n)
    pad = np.full(n - 1, np.nan)
    middle = np.r_[pad, windows.mean(axis=1)]
    std = np.r_[pad, windows.std(axis=1, ddof=0)]
    ind = feed(Bollinger(n, k), goog)
    assert_series(ind.line("middle"), middle)
    assert_series(ind.line("upper"), middle + k * std)
    assert_series(ind.line("lower"), middle - k * std)
    assert_series(ind.line("width"), 2 * k * std / middle)


def test_macd_matches_difference_of_seeded_emas(goog: pd.DataFrame) -> None:
    close = goog.Close.to_numpy()
    macd = seeded_ewm(close, 0, 12, 2 / 13) - seeded_ewm(close, 0, 26, 2 / 27)
    signal = seeded_ewm(macd, 25, 9, 2 / 10)
    ind = feed(MACD(12, 26, 9), goog)
    assert_series(ind.line("macd"), macd)
    assert_series(ind.line("signal"), signal)
    # macd - signal cancels: compare it with a tolerance relative to the lines it comes from
    np.testing.assert_allclose(ind.line("histogram"), macd - signal, rtol=0, atol=1e-9 * 30)
    assert np.isnan(ind.line("signal")[32]) and not np.isnan(ind.line("signal")[33])


@pytest.mark.parametrize(("k", "smooth", "d"), [(14, 3, 3), (5, 1, 2)])
def test_stochastic_matches_rolling_extremes_formula(
    goog: pd.DataFrame, k: int, smooth: int, d: int
) -> None:
    hh = goog.High.rolling(k).max()
    ll = goog.Low.rolling(k).min()
    raw = (100 * (goog.Close - ll) / (hh - ll)).where(hh > ll, 50.0).where(hh.notna())
    slow_k = raw.rolling(smooth).mean()
    ind = feed(Stochastic(k, smooth, d), goog)
    assert_series(ind.line("k"), slow_k)
    assert_series(ind.line("d"), slow_k.rolling(d).mean())


@pytest.mark.parametrize("n", [1, 14])
def test_adx_matches_wilder_directional_movement(goog: pd.DataFrame, n: int) -> None:
    up = goog.High.diff().to_numpy()
    down = -goog.Low.diff().to_numpy()
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    tr = true_range(goog)
    atr = seeded_ewm(tr, 1, n, 1 / n)
    plus_di = 100 * seeded_ewm(plus_dm, 1, n, 1 / n) / atr
    minus_di = 100 * seeded_ewm(minus_dm, 1, n, 1 / n) / atr
    total = plus_di + minus_di
    with np.errstate(invalid="ignore"):
        dx = np.where(total == 0, 0.0, 100 * np.abs(plus_di - minus_di) / total)  # flat: 0
    adx = seeded_ewm(dx, n, n, 1 / n)
    ind = feed(ADX(n), goog)
    assert_series(ind.line("plus_di"), plus_di)
    assert_series(ind.line("minus_di"), minus_di)
    assert_series(ind.line("adx"), adx)
    assert np.isnan(ind.line("adx")[2 * n - 2]) and not np.isnan(ind.line("adx")[2 * n - 1])


@pytest.mark.parametrize("n", [1, 20])
def test_highest_and_lowest_match_rolling_max_and_min(goog: pd.DataFrame, n: int) -> None:
    assert_series(feed(Highest(n), goog).line("value"), goog.High.rolling(n).max())
    assert_series(feed(Lowest(n), goog).line("value"), goog.Low.rolling(n).min())
    assert_series(feed(Highest(n, "close"), goog).line("value"), goog.Close.rolling(n).max())


@pytest.mark.parametrize(
    ("source", "formula"),
    [
        ("open", lambda d: d.Open),
        ("high", lambda d: d.High),
        ("low", lambda d: d.Low),
        ("close", lambda d: d.Close),
        ("volume", lambda d: d.Volume),
        ("hl2", lambda d: (d.High + d.Low) / 2),
        ("hlc3", lambda d: (d.High + d.Low + d.Close) / 3),
        ("ohlc4", lambda d: (d.Open + d.High + d.Low + d.Close) / 4),
    ],
)
def test_source_selects_the_bar_input(
    goog: pd.DataFrame, source: str, formula: Callable[[pd.DataFrame], pd.Series]
) -> None:
    assert_series(feed(SMA(7, source=source), goog).line("value"), formula(goog).rolling(7).mean())


def test_every_source_is_tested() -> None:
    assert set(SOURCES) == {"open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4"}


# --- long runs: no drift ---------------------------------------------------------------------


def adversarial_walk(count: int, seed: int) -> list[float]:
    """A random walk whose first half sits at 1e12: the rounding left in a running sum after
    those values leave the window would swamp the later, small values without re-summing."""
    rng = random.Random(seed)
    x, out = 0.0, []
    for i in range(count):
        x += rng.gauss(0.0, 1.0)
        out.append(x + (1e12 if i < count // 2 else 0.0))
    return out


def test_sma_does_not_drift_over_a_million_updates() -> None:
    values = adversarial_walk(1_000_000, seed=1)
    n = 50
    ind = SMA(n)
    update = ind.update
    for x in values:
        update(x, x, x, x, 0.0)
    for back in (1, 2, 37):
        window = values[len(values) - n - back + 1 : len(values) - back + 1]
        assert ind[-back] == pytest.approx(math.fsum(window) / n, rel=1e-9, abs=0)


def test_wma_does_not_drift_over_a_long_run() -> None:
    values = adversarial_walk(200_000, seed=2)
    n = 30
    ind = WMA(n)
    for x in values:
        ind.update(x, x, x, x, 0.0)
    weights = np.arange(1, n + 1)
    assert ind.value == pytest.approx(np.array(values[-n:]) @ weights / weights.sum(), rel=1e-9)


def test_bollinger_does_not_drift_over_a_long_run() -> None:
    values = adversarial_walk(200_000, seed=3)
    n = 30
    ind = Bollinger(n, 2)
    for x in values:
        ind.update(x, x, x, x, 0.0)
    window = np.array(values[-n:])
    middle, upper, _, _ = ind.latest()
    assert middle == pytest.approx(window.mean(), rel=1e-9, abs=0)
    assert (upper - middle) / 2 == pytest.approx(window.std(), rel=1e-9, abs=0)


# --- the contract: indexing, cloning, labels, validation ----------------------------------------


def test_indexing_reads_the_main_line_and_returns_nan_out_of_range() -> None:
    ind = SMA(2)
    assert len(ind) == 0 and math.isnan(ind[-1]) and math.isnan(ind.value) and not ind.ready
    for c in (1.0, 3.0, 5.0):
        ind.update(c, c, c, c, 0.0)
    assert len(ind) == 3
    assert (ind[-1], ind[-2], ind[1], ind[2]) == (4.0, 2.0, 2.0, 4.0)
    assert math.isnan(ind[-3]) and math.isnan(ind[0])  # warm-up
    assert math.isnan(ind[-4]) and math.isnan(ind[3]) and math.isnan(ind[-100])  # out of range
    assert ind.value == 4.0 and ind.ready and ind.latest() == (4.0,)


def test_ready_and_latest_follow_the_main_line_of_multi_line_indicators() -> None:
    ind = MACD(2, 3, 2)
    assert len(ind.latest()) == 3 and all(math.isnan(v) for v in ind.latest())
    closes = [1.0, 2.0, 4.0, 7.0]
    for c in closes[:3]:
        ind.update(c, c, c, c, 0.0)
    macd, signal, hist = ind.latest()
    assert ind.ready and macd == ind[-1] and math.isnan(signal) and math.isnan(hist)
    ind.update(7.0, 7.0, 7.0, 7.0, 0.0)
    assert not any(math.isnan(v) for v in ind.latest())
    assert ind.latest() == tuple(ind.line(name)[-1] for name in ind.lines)


def test_line_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"BB\(20,2\) has no line 'mid'; its lines are middle"):
        Bollinger().line("mid")


def test_clone_has_same_parameters_and_independent_state(goog: pd.DataFrame) -> None:
    prototype = feed(Bollinger(10, 1.5, source="hl2"), goog.iloc[:50])
    before = prototype.latest()
    twin = prototype.clone()
    assert type(twin) is Bollinger and twin.label == prototype.label == "BB(10,1.5,hl2)"
    assert len(twin) == 0 and not twin.ready
    feed(twin, goog.iloc[50:80])
    assert len(prototype) == 50 and len(twin) == 30 and prototype.latest() == before
    fresh = feed(Bollinger(10, 1.5, source="hl2"), goog.iloc[50:80])
    assert np.array_equal(twin.line("upper"), fresh.line("upper"), equal_nan=True)


ALL = [
    SMA(10),
    EMA(10),
    WMA(10),
    RSI(),
    MACD(),
    Stochastic(),
    ATR(),
    Bollinger(),
    ADX(),
    Highest(20),
    Lowest(20),
]


@pytest.mark.parametrize("proto", ALL, ids=lambda i: i.label)
def test_clone_reproduces_the_prototype_on_the_same_bars(
    goog: pd.DataFrame, proto: Indicator
) -> None:
    a = feed(proto.clone(), goog.iloc[:300])
    b = feed(proto.clone(), goog.iloc[:300])
    assert a.label == proto.label and a is not b
    for name in proto.lines:
        assert np.array_equal(a.line(name), b.line(name), equal_nan=True)
    assert len(proto) == 0


def test_labels_placements_and_line_labels() -> None:
    labels = {i.label: (i.placement, i.line_labels()) for i in ALL}
    assert labels == {
        "SMA(10)": (Placement.PRICE, ("SMA(10)",)),
        "EMA(10)": (Placement.PRICE, ("EMA(10)",)),
        "WMA(10)": (Placement.PRICE, ("WMA(10)",)),
        "RSI(14)": (Placement.PANE, ("RSI(14)",)),
        "MACD(12,26,9)": (
            Placement.PANE,
            ("MACD(12,26,9).macd", "MACD(12,26,9).signal", "MACD(12,26,9).histogram"),
        ),
        "Stoch(14,3,3)": (Placement.PANE, ("Stoch(14,3,3).k", "Stoch(14,3,3).d")),
        "ATR(14)": (Placement.PANE, ("ATR(14)",)),
        "BB(20,2)": (
            Placement.PRICE,
            ("BB(20,2).middle", "BB(20,2).upper", "BB(20,2).lower", "BB(20,2).width"),
        ),
        "ADX(14)": (Placement.PANE, ("ADX(14).adx", "ADX(14).plus_di", "ADX(14).minus_di")),
        "Highest(20)": (Placement.PRICE, ("Highest(20)",)),
        "Lowest(20)": (Placement.PRICE, ("Lowest(20)",)),
    }
    assert SMA(5, source="hl2").label == "SMA(5,hl2)"
    assert Highest(5, source="close").label == "Highest(5,close)"


def test_integral_float_and_numpy_lengths_are_accepted() -> None:
    assert SMA(10.0).length == 10 and type(SMA(10.0).length) is int
    assert EMA(np.int64(7)).label == "EMA(7)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SMA(0), "SMA length must be an integer >= 1, got 0"),
        (lambda: SMA(-3), "SMA length must be an integer >= 1, got -3"),
        (lambda: EMA(2.5), "EMA length must be an integer >= 1, got 2.5"),
        (lambda: WMA(True), "WMA length must be an integer >= 1, got True"),
        (lambda: RSI("14"), "RSI length must be an integer >= 1, got '14'"),
        (lambda: ATR(None), "ATR length must be an integer >= 1, got None"),
        (lambda: Bollinger(1), "Bollinger length must be an integer >= 2, got 1"),
        (lambda: Bollinger(20, 0), "Bollinger k must be a finite number > 0, got 0"),
        (lambda: Bollinger(20, math.inf), "Bollinger k must be a finite number > 0, got inf"),
        (lambda: MACD(26, 12), "MACD fast length must be < slow length, got fast=26, slow=12"),
        (lambda: MACD(12, 26, 0), "MACD signal length must be an integer >= 1, got 0"),
        (lambda: Stochastic(14, 0), "Stochastic smooth_k length must be an integer >= 1, got 0"),
        (lambda: ADX(0), "ADX length must be an integer >= 1, got 0"),
        (lambda: Highest(0), "Highest length must be an integer >= 1, got 0"),
        (lambda: Lowest(1.5), "Lowest length must be an integer >= 1, got 1.5"),
        (lambda: SMA(5, source="Close"), "SMA source must be one of close, open, high, low"),
    ],
)
def test_invalid_parameters_raise_clear_errors(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(message)


# --- properties --------------------------------------------------------------------------------

prices = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(c=prices, n=st.integers(1, 30), count=st.integers(1, 80))
def test_moving_averages_of_a_constant_are_the_constant(c: float, n: int, count: int) -> None:
    for cls in (SMA, EMA, WMA):
        ind = cls(n)
        for _ in range(count):
            ind.update(c, c, c, c, 1.0)
        assert ind.ready == (count >= n)
        if ind.ready:
            assert ind.value == pytest.approx(c, rel=1e-12)


@settings(max_examples=50)
@given(closes=st.lists(prices, min_size=1, max_size=120), n=st.integers(1, 20))
def test_oscillators_stay_within_0_and_100(closes: list[float], n: int) -> None:
    rsi, stoch, adx = RSI(n), Stochastic(n, 2, 2), ADX(n)
    for prev, c in zip([closes[0], *closes], closes, strict=False):
        hi, lo = max(prev, c) * 1.01, min(prev, c) * 0.99
        for ind in (rsi, stoch, adx):
            ind.update(prev, hi, lo, c, 1.0)
            for v in ind.latest():
                assert math.isnan(v) or -1e-9 <= v <= 100 + 1e-9


@settings(max_examples=50)
@given(closes=st.lists(prices, min_size=1, max_size=120), n=st.integers(1, 20))
def test_bands_and_extremes_bracket_the_average(closes: list[float], n: int) -> None:
    bb, hi, lo, sma = Bollinger(max(n, 2)), Highest(n, "close"), Lowest(n, "close"), SMA(n)
    for c in closes:
        for ind in (bb, hi, lo, sma):
            ind.update(c, c, c, c, 0.0)
        middle, upper, lower, _ = bb.latest()
        if not math.isnan(middle):
            assert lower <= middle * (1 + 1e-12) and middle <= upper * (1 + 1e-12)
        if sma.ready:
            assert lo.value * (1 - 1e-12) <= sma.value <= hi.value * (1 + 1e-12)
