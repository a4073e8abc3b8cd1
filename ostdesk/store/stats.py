"""Run statistics, named and defined as backtesting.py's ``compute_stats`` (0.6) defines them.

This docstring is the one place every definition lives (``STAT_DEFINITIONS`` repeats them one
line each for tooltips). ``e`` is the equity per bar, ``ts`` the bar times,
``dd = 1 - e / cummax(e)`` the drawdown per bar, ``r`` the round trips' returns as fractions and
``pl`` their P&L after commission.

Period and annualisation
    The data period is the median spacing of the last 100 bars. Durations in the trade and
    drawdown statistics are rounded *up* to that period's resolution (whole days for daily bars,
    minutes for 5-minute bars). Equity is sampled at the last bar of each calendar day (of each
    Monday-Sunday week, calendar month or calendar year when the period is 7, 31 or 365 days);
    ``d`` are those samples' simple returns. ``g`` is their geometric mean,
    ``exp(mean(log(1 + d))) - 1`` (0 if any ``1 + d <= 0``). ``N``, the periods per year, is 52, 12
    or 1 for weekly, monthly or yearly data, else 365 when more than 60% of 2/7 of the bars fall on
    a weekend and 252 otherwise.

Statistics
    Start, End, Duration: first and last bar times and their difference.
    Exposure Time [%]: share of bars with a round trip open, its entry and exit bars included
    (a fill belongs to the last bar at or before its time).
    Equity Final [$], Equity Peak [$]: ``e[-1]``, ``max(e)``.
    Commissions [$]: sum of the round trips' commissions (open lots excluded).
    Return [%]: ``100 * (e[-1] / e[0] - 1)``.
    Buy & Hold Return [%]: ``100 * (c[-1] / c[k] - 1)`` of the given closes ``c`` from the first
    tradable bar ``k``, the first bar at which every indicator the strategy declared has a value
    (:mod:`ostdesk.store.warmup`); NaN, like Alpha and Beta, without closes. A multi-symbol
    run's ``c`` is an equal-value holding of its symbols bought at ``k``
    (:mod:`ostdesk.store.run_results`).
    Return (Ann.) [%]: ``100 * ((1 + g)**N - 1)``.
    Volatility (Ann.) [%]: ``100 * sqrt((var(d) + (1 + g)**2)**N - (1 + g)**(2N))`` with the sample
    variance (ddof 1): the volatility of ``N`` compounded periods.
    CAGR [%]: ``100 * ((e[-1] / e[0])**(1 / years) - 1)``, years = Duration / 365.25 days.
    Sharpe Ratio: (Return (Ann.) - risk-free rate) / Volatility (Ann.).
    Sortino Ratio: (annual return - risk-free rate) / (``sqrt(mean(min(d, 0)**2)) * sqrt(N)``).
    Calmar Ratio: annual return / ``max(dd)``.
    Alpha [%], Beta: ``beta = cov(le, lc) / var(lc)`` of the per-bar log returns of equity ``le``
    and closes ``lc``; ``alpha = Return - rf - beta * (Buy & Hold Return - rf)`` (Jensen's alpha).
    Max. Drawdown [%]: ``-100 * max(dd)`` (negative).
    Drawdown periods run from a bar where ``dd == 0`` to the next such bar (or the last bar) at
    least two bars later. Avg. Drawdown [%]: ``-100 *`` mean of the periods' deepest ``dd`` (with
    no period, of the non-zero ``dd``). Max./Avg. Drawdown Duration: longest / mean period time.
    # Trades: number of round trips.
    Win Rate [%]: share of round trips with ``pl > 0``; break-even trades count as losses.
    Best/Worst Trade [%]: ``100 * max(r)``, ``100 * min(r)``.
    Avg. Trade [%]: ``100 *`` geometric mean of ``r``.
    Max./Avg. Trade Duration: longest / mean round-trip time (exit - entry).
    Profit Factor: sum of the positive ``r`` / |sum of the negative ``r``|, on returns not cash;
    NaN with no losing trade.
    Expectancy [%]: ``100 * mean(r)``.
    SQN: ``sqrt(n) * mean(pl) / std(pl)`` (Van Tharp's System Quality Number, std with ddof 1).
    Kelly Criterion: ``W - (1 - W) / (mean winning pl / mean losing |pl|)``, ``W`` the win rate.

A statistic that cannot be computed is NaN (numbers) or None (times and durations), and none
is ever ``-0.0``: a zero is 0.0, so a run that never fell has a Max. Drawdown of 0, not "-0".

Where ostdesk differs from backtesting.py 0.6 on purpose (each figure otherwise agrees to 1e-6
relative: ``tests/integration/test_vs_backtesting.py``)
    Commissions [$] is always given (0 without commissions); backtesting.py leaves it out then.
    Zeros are never negative; backtesting.py shows "Max. Drawdown [%] -0.0" for a flat run.
    Drawdown durations are None when no drawdown period spans two bars (a fall on the last bar
    only); backtesting.py then gives the drawdown's depth (a fraction) as its duration.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from ostdesk.store.equity import EquityCurve
from ostdesk.store.roundtrips import FloatArray, IntArray, RoundTrips

STAT_DEFINITIONS: dict[str, str] = {
    "Start": "Time of the first bar.",
    "End": "Time of the last bar.",
    "Duration": "End minus Start.",
    "Exposure Time [%]": "Share of bars with a trade open, entry and exit bars included.",
    "Equity Final [$]": "Equity at the last bar's close.",
    "Equity Peak [$]": "Highest equity at any bar's close.",
    "Commissions [$]": "Commissions paid on the closed trades.",
    "Return [%]": "Final equity over starting equity, minus 1.",
    "Buy & Hold Return [%]": "Return of holding the instrument from the first tradable bar "
    "(the first bar at which every indicator has a value).",
    "Return (Ann.) [%]": "Geometric mean daily return, compounded over 252 (or 365) days.",
    "Volatility (Ann.) [%]": "Standard deviation of a year of compounded daily returns.",
    "CAGR [%]": "Compound annual growth of equity over Duration in years of 365.25 days.",
    "Sharpe Ratio": "Annual return minus the risk-free rate, over annual volatility.",
    "Sortino Ratio": "Annual return minus the risk-free rate, over annualised downside deviation.",
    "Calmar Ratio": "Annual return over the maximum drawdown.",
    "Alpha [%]": "Return minus beta times Buy & Hold Return (Jensen's alpha, net of risk-free).",
    "Beta": "Covariance of equity and price log returns over the variance of price log returns.",
    "Max. Drawdown [%]": "Deepest fall of equity below its running peak (negative).",
    "Avg. Drawdown [%]": "Mean of the deepest fall of each drawdown period (negative).",
    "Max. Drawdown Duration": "Longest time from an equity peak to its recovery (or the end).",
    "Avg. Drawdown Duration": "Mean time from an equity peak to its recovery (or the end).",
    "# Trades": "Number of closed round trips.",
    "Win Rate [%]": "Share of trades with positive P&L; break-even trades count as losses.",
    "Best Trade [%]": "Highest trade return after commission.",
    "Worst Trade [%]": "Lowest trade return after commission.",
    "Avg. Trade [%]": "Geometric mean of the trade returns.",
    "Max. Trade Duration": "Longest time from entry to exit.",
    "Avg. Trade Duration": "Mean time from entry to exit.",
    "Profit Factor": "Sum of winning trade returns over the sum of losing ones (in %, not cash).",
    "Expectancy [%]": "Arithmetic mean of the trade returns.",
    "SQN": "System Quality Number: sqrt(trades) times mean P&L over its standard deviation.",
    "Kelly Criterion": "Win rate minus loss rate over the win/loss ratio of mean P&L.",
}
TIME_KEYS = ("Start", "End")
DURATION_KEYS = (
    "Duration",
    "Max. Drawdown Duration",
    "Avg. Drawdown Duration",
    "Max. Trade Duration",
    "Avg. Trade Duration",
)

_DAY = 86_400_000_000_000
_UNITS = (_DAY, 3_600_000_000_000, 60_000_000_000, 1_000_000_000, 1_000_000, 1_000, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def compute_stats(
    equity: EquityCurve | tuple[npt.ArrayLike, npt.ArrayLike],
    trades: RoundTrips,
    *,
    buy_hold_close: npt.ArrayLike | None = None,
    first_trading_bar: int = 0,
    risk_free_rate: float = 0.0,
) -> dict[str, object]:
    """The statistics of one run, keyed and ordered as ``STAT_DEFINITIONS``.

    ``equity`` is an :class:`EquityCurve` or ``(ts, equity)`` arrays on the bar timeline.
    ``buy_hold_close`` (closes aligned on that timeline) enables Buy & Hold Return, Alpha and Beta;
    ``first_trading_bar`` is the first bar the strategy could trade (after indicator warm-up),
    where Buy & Hold starts. ``risk_free_rate`` is annual, as a fraction.
    """
    ts, e = _equity_arrays(equity)
    if not -1.0 < risk_free_rate < 1.0:
        raise ValueError(f"risk_free_rate: {risk_free_rate} is not a fraction in (-1, 1)")
    close = _closes(buy_hold_close, len(ts), first_trading_bar)
    # Undefined ratios become NaN or inf, as in backtesting.py, rather than warnings.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        stats = _equity_stats(ts, e, close, first_trading_bar, risk_free_rate, trades)
        stats.update(_trade_stats(trades, _resolution(_period(ts))))
    # -0.0 + 0.0 is 0.0 and every other float is unchanged: no statistic reads "-0"
    return {k: v + 0.0 if isinstance(v, float) else v for k, v in stats.items()}


def _period(ts: IntArray) -> int:
    """The data period: the median bar spacing over the last 100 bars (0 for a single bar)."""
    return int(np.median(np.diff(ts[-100:]))) if len(ts) > 1 else 0


def _resolution(period: int) -> int:
    """The largest time unit (day ... ns) that divides the period: durations round up to it."""
    return next(u for u in _UNITS if period % u == 0)


def _equity_stats(
    ts: IntArray,
    e: FloatArray,
    close: FloatArray,
    first_trading_bar: int,
    risk_free_rate: float,
    trades: RoundTrips,
) -> dict[str, object]:
    period = _period(ts)
    unit = _resolution(period)
    dd = 1.0 - e / np.maximum.accumulate(e)
    s: dict[str, object] = {"Start": _time(ts[0]), "End": _time(ts[-1])}
    s["Duration"] = _duration(int(ts[-1] - ts[0]))
    s["Exposure Time [%]"] = 100.0 * float(_held(ts, trades).mean())
    s["Equity Final [$]"] = float(e[-1])
    s["Equity Peak [$]"] = float(e.max())
    s["Commissions [$]"] = float(trades.commission.sum())
    total_return = (e[-1] - e[0]) / e[0]
    s["Return [%]"] = 100.0 * float(total_return)
    buy_hold = (close[-1] - close[first_trading_bar]) / close[first_trading_bar]
    s["Buy & Hold Return [%]"] = 100.0 * float(buy_hold)

    per_year = _periods_per_year(ts, period)
    d = _period_returns(ts, e, period)
    g = np.float64(_geometric_mean(d))
    annual = float((1.0 + g) ** per_year - 1.0)
    var = np.var(d, ddof=1) if len(d) > 1 else np.float64(math.nan)
    vol = float(np.sqrt((var + (1 + g) ** 2) ** per_year - (1 + g) ** (2 * per_year)))
    s["Return (Ann.) [%]"] = 100.0 * annual
    s["Volatility (Ann.) [%]"] = 100.0 * vol
    duration_ns = int(ts[-1] - ts[0])
    years = (duration_ns // _DAY + (duration_ns % _DAY) // 10**9 / 86400) / 365.25
    cagr = (e[-1] / e[0]) ** (1.0 / years) - 1.0 if years else math.nan
    s["CAGR [%]"] = 100.0 * float(cagr)
    s["Sharpe Ratio"] = (100.0 * (annual - risk_free_rate)) / (100.0 * vol or math.nan)
    downside = np.sqrt(np.mean(np.minimum(d, 0.0) ** 2)) if len(d) else np.float64(math.nan)
    s["Sortino Ratio"] = float(np.float64(annual - risk_free_rate) / (downside * np.sqrt(per_year)))
    max_dd = float(np.nan_to_num(dd.max()))
    s["Calmar Ratio"] = annual / (max_dd or math.nan)
    beta = _beta(e, close)
    alpha = total_return - risk_free_rate - beta * (buy_hold - risk_free_rate)
    s["Alpha [%]"] = 100.0 * float(alpha)
    s["Beta"] = beta
    s["Max. Drawdown [%]"] = -100.0 * max_dd
    dd_durations, dd_peaks = _drawdown_periods(ts, dd)
    s["Avg. Drawdown [%]"] = -100.0 * _mean(dd_peaks)
    periods = len(dd_durations)
    s["Max. Drawdown Duration"] = _ceil(int(dd_durations.max()), 1, unit) if periods else None
    s["Avg. Drawdown Duration"] = _ceil(int(dd_durations.sum()), periods, unit) if periods else None
    return s


def _trade_stats(trades: RoundTrips, unit: int) -> dict[str, object]:
    n = len(trades)
    pl = trades.pnl
    r = trades.return_pct / 100.0
    win_rate = float((pl > 0).mean()) if n else math.nan
    wins, losses = r[r > 0].sum(), abs(r[r < 0].sum())
    return {
        "# Trades": n,
        "Win Rate [%]": 100.0 * win_rate,
        "Best Trade [%]": 100.0 * float(r.max()) if n else math.nan,
        "Worst Trade [%]": 100.0 * float(r.min()) if n else math.nan,
        "Avg. Trade [%]": 100.0 * _geometric_mean(r),
        "Max. Trade Duration": _ceil(int(trades.duration_ns.max()), 1, unit) if n else None,
        "Avg. Trade Duration": _ceil(int(trades.duration_ns.sum()), n, unit) if n else None,
        "Profit Factor": float(wins) / (float(losses) or math.nan),
        "Expectancy [%]": 100.0 * _mean(r),
        "SQN": math.sqrt(n) * _mean(pl) / ((float(np.std(pl, ddof=1)) if n > 1 else 0) or math.nan),
        "Kelly Criterion": win_rate - (1 - win_rate) / (_mean(pl[pl > 0]) / -_mean(pl[pl < 0])),
    }


def _equity_arrays(
    equity: EquityCurve | tuple[npt.ArrayLike, npt.ArrayLike],
) -> tuple[IntArray, FloatArray]:
    raw_ts, raw_e = (equity.ts, equity.equity) if isinstance(equity, EquityCurve) else equity
    ts = np.asarray(raw_ts, dtype=np.int64)
    e = np.asarray(raw_e, dtype=np.float64)
    if ts.ndim != 1 or ts.shape != e.shape or not len(ts):
        raise ValueError(f"equity: ts {ts.shape} and equity {e.shape} must be equal, non-empty 1-d")
    if (np.diff(ts) <= 0).any():
        raise ValueError("equity: ts must be strictly increasing")
    if not np.isfinite(e).all():
        raise ValueError(f"equity: bar {int(np.argmin(np.isfinite(e)))} is not finite")
    return ts, e


def _closes(buy_hold_close: npt.ArrayLike | None, n: int, first: int) -> FloatArray:
    if not 0 <= first < n:
        raise ValueError(f"first_trading_bar: {first} is outside the {n} bars")
    if buy_hold_close is None:
        return np.full(n, math.nan)
    close = np.asarray(buy_hold_close, dtype=np.float64)
    if close.shape != (n,):
        raise ValueError(
            f"buy_hold_close: expected {n} closes aligned on the bars, got {close.shape}"
        )
    return close


def _held(ts: IntArray, trades: RoundTrips) -> npt.NDArray[np.bool_]:
    """Per bar: is a round trip open (entry bar through exit bar)?"""
    entry = np.searchsorted(ts, trades.entry_ts, side="right") - 1
    exit_ = np.searchsorted(ts, trades.exit_ts, side="right") - 1
    if len(trades) and entry.min() < 0:
        raise ValueError("trades: a round trip was entered before the first bar")
    n = len(ts)
    change = np.bincount(entry, minlength=n + 1) - np.bincount(exit_ + 1, minlength=n + 1)
    return np.asarray(np.cumsum(change)[:n] > 0)


def _periods_per_year(ts: IntArray, period: int) -> int:
    days = period // _DAY
    if days in (7, 31, 365):
        return {7: 52, 31: 12, 365: 1}[days]
    weekday = (ts // _DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    have_weekends = float((weekday >= 5).mean()) > 2 / 7 * 0.6
    return 365 if have_weekends else 252


def _period_returns(ts: IntArray, e: FloatArray, period: int) -> FloatArray:
    """Simple returns between the last equity of consecutive calendar days (weeks, months...)."""
    days = ts // _DAY
    key: npt.NDArray[np.int64 | np.datetime64]
    match period // _DAY:
        case 7:
            key = (days + 3) // 7
        case 31:
            key = ts.astype("datetime64[ns]").astype("datetime64[M]")
        case 365:
            key = ts.astype("datetime64[ns]").astype("datetime64[Y]")
        case _:
            key = days
    last = np.r_[np.flatnonzero(key[1:] != key[:-1]), len(ts) - 1]
    sampled = e[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = sampled[1:] / sampled[:-1] - 1.0
    return np.asarray(d[~np.isnan(d)])


def _geometric_mean(returns: FloatArray) -> float:
    growth = returns + 1.0
    if np.any(growth <= 0):
        return 0.0
    return float(np.exp(np.log(growth).mean()) - 1.0) if len(returns) else math.nan


def _beta(e: FloatArray, close: FloatArray) -> float:
    if len(e) < 3:
        return math.nan
    cov = np.cov(np.log(e[1:] / e[:-1]), np.log(close[1:] / close[:-1]))
    return float(cov[0, 1] / cov[1, 1])


def _drawdown_periods(ts: IntArray, dd: FloatArray) -> tuple[IntArray, FloatArray]:
    """Duration (ns) and deepest ``dd`` of each drawdown period."""
    at_peak = np.unique(np.r_[np.flatnonzero(dd == 0), len(dd) - 1])
    deepest = np.maximum.reduceat(dd, at_peak[:-1]) if len(at_peak) > 1 else np.empty(0)
    real = at_peak[1:] > at_peak[:-1] + 1
    if not real.any():
        return np.empty(0, dtype=np.int64), np.asarray(dd[dd != 0])
    return (ts[at_peak[1:]] - ts[at_peak[:-1]])[real], deepest[real]


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if len(values) else math.nan


def _ceil(total_ns: int, count: int, unit: int) -> dt.timedelta:
    """``total_ns / count`` rounded up to a whole ``unit``, as a timedelta."""
    return _duration(-(-total_ns // (count * unit)) * unit)


def _duration(ns: int) -> dt.timedelta:
    return dt.timedelta(microseconds=ns // 1000)


def _time(ns: np.int64) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(ns) // 1000)


def stats_to_record(stats: Mapping[str, object]) -> dict[str, float | int | None]:
    """Stats as storable scalars: numbers as float, durations as seconds, times as int ns (UTC)."""
    record: dict[str, float | int | None] = {}
    for key, value in stats.items():
        if value is None:
            record[key] = None
        elif isinstance(value, dt.datetime):
            delta = value - _EPOCH
            record[key] = (delta // dt.timedelta(microseconds=1)) * 1000
        elif isinstance(value, dt.timedelta):
            record[key] = value.total_seconds()
        elif isinstance(value, int | float | np.number):
            record[key] = float(value)
        else:
            raise ValueError(f"stats[{key!r}]: {value!r} is not a number, time or duration")
    return record


def stats_from_record(record: Mapping[str, float | int | None]) -> dict[str, object]:
    """Inverse of :func:`stats_to_record`."""
    stats: dict[str, object] = {}
    for key, value in record.items():
        if value is None:
            stats[key] = None
        elif key in TIME_KEYS:
            stats[key] = _time(np.int64(value))
        elif key in DURATION_KEYS:
            stats[key] = dt.timedelta(seconds=value)
        elif key == "# Trades":
            stats[key] = int(value)
        else:
            stats[key] = float(value)
    return stats
