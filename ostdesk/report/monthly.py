"""Monthly returns of a run's equity: the year-by-month table a trader reads first.

A month's return is its last equity over the last equity before it (the previous month's
close, or the run's first equity for the first month), minus 1; a year's total compounds its
months, which is the same as its last equity over the last equity before it. Months without
bars are blank, not 0 (a run that starts in March has no January).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MonthlyReturns:
    """``returns[i, m]``: the return of month ``m + 1`` of ``years[i]`` (NaN: no bars), and
    ``totals[i]`` the year's; both as fractions."""

    years: list[int]
    returns: FloatArray
    totals: FloatArray


def monthly_returns(ts: npt.ArrayLike, equity: npt.ArrayLike) -> MonthlyReturns:
    """The table for equity ``equity`` at bar times ``ts`` (ns since the epoch, UTC,
    increasing). Non-finite equity is left out."""
    t = np.asarray(ts, dtype=np.int64)
    e = np.asarray(equity, dtype=np.float64)
    finite = np.isfinite(e)
    t, e = t[finite], e[finite]
    if len(t) == 0:
        return MonthlyReturns([], np.empty((0, 12)), np.empty(0))
    month = t.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)  # since 1970-01
    last = np.r_[np.flatnonzero(month[1:] != month[:-1]), len(t) - 1]
    closes = e[last]
    before = np.r_[e[0], closes[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_month = closes / before - 1.0
    months = month[last]
    first_year, last_year = 1970 + months[0] // 12, 1970 + months[-1] // 12
    years = list(range(int(first_year), int(last_year) + 1))
    returns = np.full((len(years), 12), np.nan)
    returns[months // 12 + 1970 - first_year, months % 12] = per_month
    year_of = months // 12
    year_last = np.r_[np.flatnonzero(year_of[1:] != year_of[:-1]), len(months) - 1]
    year_close = closes[year_last]
    year_before = np.r_[e[0], year_close[:-1]]
    totals = np.full(len(years), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        totals[year_of[year_last] + 1970 - first_year] = year_close / year_before - 1.0
    return MonthlyReturns(years, returns, totals)
