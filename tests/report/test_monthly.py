"""Monthly returns of the report against pandas, and the envelopes that keep a chart of a
million points small without losing a spike."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ostdesk.report.envelope import envelope
from ostdesk.report.monthly import monthly_returns

HOUR_NS = 3_600_000_000_000


def pandas_monthly(ts: np.ndarray, equity: np.ndarray) -> pd.Series:
    """Each month's last equity over the previous month's last (the first: over the first
    equity), by pandas' month-end resampling; months without bars dropped."""
    series = pd.Series(equity, index=pd.to_datetime(ts, utc=True))
    closes = series.resample("ME").last().dropna()
    before = closes.shift(1).fillna(series.iloc[0])
    return closes / before - 1.0


def as_series(table: object) -> pd.Series:
    values = {}
    for i, year in enumerate(table.years):  # type: ignore[attr-defined]
        for m in range(12):
            value = table.returns[i, m]  # type: ignore[attr-defined]
            if np.isfinite(value):
                values[pd.Timestamp(year=year, month=m + 1, day=1, tz="UTC")] = value
    return pd.Series(values, dtype=float)


def test_monthly_returns_equal_pandas_month_end_resampling() -> None:
    rng = np.random.default_rng(7)
    n = 30_000  # hourly bars over ~3.4 years, a gap of two months in the middle
    ts = np.datetime64("2021-01-04T09:00", "ns").astype(np.int64) + np.arange(n) * HOUR_NS
    keep = ~((ts >= np.datetime64("2022-03-01", "ns").astype(np.int64))
             & (ts < np.datetime64("2022-05-01", "ns").astype(np.int64)))  # fmt: skip
    ts = ts[keep]
    equity = 100_000 * np.exp(np.cumsum(rng.normal(0, 0.002, len(ts))))
    table = monthly_returns(ts, equity)
    expected = pandas_monthly(ts, equity)
    got = as_series(table)
    assert list(got.index.strftime("%Y-%m")) == list(expected.index.strftime("%Y-%m"))
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert np.isnan(table.returns[table.years.index(2022), 2:4]).all()  # March, April: blank


def test_a_years_total_compounds_its_months_and_equals_pandas_year_end() -> None:
    rng = np.random.default_rng(11)
    ts = np.datetime64("2019-06-03", "ns").astype(np.int64) + np.arange(900) * 24 * HOUR_NS
    equity = 50_000 * np.exp(np.cumsum(rng.normal(0, 0.01, len(ts))))
    table = monthly_returns(ts, equity)
    series = pd.Series(equity, index=pd.to_datetime(ts, utc=True))
    closes = series.resample("YE").last()
    expected = closes / closes.shift(1).fillna(series.iloc[0]) - 1.0
    np.testing.assert_allclose(table.totals, expected.to_numpy(), rtol=1e-12)
    months = np.where(np.isnan(table.returns), 0.0, table.returns)
    np.testing.assert_allclose(np.prod(1 + months, axis=1) - 1, table.totals, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 40 * 24), min_size=1, max_size=60),
    st.floats(0.5, 2.0),
)
def test_monthly_returns_agree_with_pandas_for_any_bar_spacing(
    steps_hours: list[int], drift: float
) -> None:
    ts = np.datetime64("2020-01-31T23:00", "ns").astype(np.int64) + np.cumsum(
        np.array(steps_hours, dtype=np.int64) * HOUR_NS
    )
    equity = 1_000 * drift ** np.linspace(0, 1, len(ts)) + np.arange(len(ts)) % 3
    got = as_series(monthly_returns(ts, equity))
    expected = pandas_monthly(ts, equity)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_an_envelope_keeps_each_columns_first_lowest_highest_and_last_point() -> None:
    rng = np.random.default_rng(5)
    values = np.cumsum(rng.normal(0, 1, 1_000_003))
    values[123_456] = 1e6  # one spike must survive the thinning
    env = envelope(values, 900)
    assert len(env) == 900
    ends = np.r_[env.start[1:], len(values)]
    for k in (0, 137, 899):
        part = values[env.start[k] : ends[k]]
        assert (env.first[k], env.low[k], env.high[k], env.last[k]) == (
            part[0], part.min(), part.max(), part[-1]
        )  # fmt: skip
    assert env.high.max() == 1e6 and env.low.min() == values.min()


def test_a_series_shorter_than_the_columns_keeps_every_point() -> None:
    values = np.array([3.0, np.nan, 1.0, 2.0])
    env = envelope(values, 900, low=values - 1, high=values + 1)
    assert env.start.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(env.low, values - 1)
    np.testing.assert_array_equal(env.last, values)
