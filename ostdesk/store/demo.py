"""Synthetic demo bars, so a first launch with an empty store has something to backtest.

Seeded, so every install gets the same bars: minute bars in 14:30-21:00 UTC sessions on
weekdays over four weeks, a random walk whose volatility clusters (GARCH(1,1)) and is higher at
the open and close, overnight gaps, and U-shaped intraday volume. The instruments say they are
synthetic. Generation and insert take well under a second (~39k bars).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import BarPeriod
from ostdesk.store.database import Database
from ostdesk.store.importer import Progress, no_progress
from ostdesk.store.transactions import insert_frame, transaction

DEMO_SYMBOLS: tuple[str, ...] = (
    "DEMO-ALPHA",
    "DEMO-BRAVO",
    "DEMO-CHARLIE",
    "DEMO-DELTA",
    "DEMO-ECHO",
)
DEMO_DESCRIPTION = "Synthetic demo data (seeded random walk, not real prices)"
TICK_SIZE = 0.01

_SEED = 20240108
_FIRST_DAY = np.datetime64("2024-01-08", "D")  # a Monday
_WEEKS = 4
_SESSION_OPEN_MINUTE = 14 * 60 + 30
_SESSION_MINUTES = 390  # 14:30-21:00 UTC
_START_PRICES = np.array([48.0, 112.0, 23.5, 310.0, 75.0])
_DAILY_VOL = np.array([0.018, 0.012, 0.03, 0.015, 0.022])  # of returns over a session
_BASE_VOLUME = np.array([900.0, 2500.0, 400.0, 1500.0, 700.0])
_MINUTE_NS = BarPeriod.MINUTE.value


def install_demo_data(db: Database, progress: Progress | None = None) -> list[str]:
    """(Re)write the demo symbols' bars and instruments in one transaction; return the symbols."""
    report = progress or no_progress
    report(0.0, "generating demo bars")
    columns = demo_bars()
    report(0.4, f"storing {len(columns['ts_event_ns']):,} demo bars")
    cur = db.cursor()
    try:
        with transaction(cur):
            symbols = list(DEMO_SYMBOLS)
            cur.execute("DELETE FROM bars WHERE list_contains(?, symbol)", [symbols])
            cur.execute("DELETE FROM instruments WHERE list_contains(?, symbol)", [symbols])
            cur.executemany(
                "INSERT INTO instruments (symbol, description, tick_size) VALUES (?, ?, ?)",
                [[s, f"{DEMO_DESCRIPTION}", TICK_SIZE] for s in symbols],
            )
            insert_frame(
                cur,
                columns,
                "INSERT INTO bars SELECT symbol::VARCHAR, ?, ts_event_ns, open, high, low, close, "
                "volume FROM frame_columns ORDER BY symbol, ts_event_ns",
                [BarPeriod.MINUTE.label],
            )
    finally:
        db.release(cur)
    report(1.0, f"installed demo data for {len(DEMO_SYMBOLS)} symbols")
    return list(DEMO_SYMBOLS)


def demo_bars() -> dict[str, npt.NDArray[np.generic]]:
    """The demo bars of every symbol as columns (symbol, ts_event_ns, open ... volume)."""
    rng = np.random.default_rng(_SEED)
    days = np.arange(_FIRST_DAY, _FIRST_DAY + np.timedelta64(7 * _WEEKS, "D"))
    days = days[np.is_busday(days)]
    minute = np.tile(np.arange(_SESSION_MINUTES), len(days))
    day_ns = np.repeat(days.astype("datetime64[ns]").astype(np.int64), _SESSION_MINUTES)
    ts = day_ns + (_SESSION_OPEN_MINUTE + minute) * _MINUTE_NS
    steps, n_sym = len(ts), len(DEMO_SYMBOLS)

    # intraday U-shapes: x runs -1 (open) .. 1 (close)
    x = (minute - (_SESSION_MINUTES - 1) / 2) / ((_SESSION_MINUTES - 1) / 2)
    vol_shape = (0.7 + 0.9 * x**2)[:, None]
    volume_shape = (0.6 + 2.4 * x**4 + 0.8 * x**2)[:, None]

    returns = _garch_returns(rng, steps, _DAILY_VOL / np.sqrt(_SESSION_MINUTES)) * vol_shape
    gaps = np.where((minute == 0)[:, None], rng.normal(0.0, 0.5, (steps, n_sym)) * _DAILY_VOL, 0.0)
    gaps[0] = 0.0
    log_close = np.log(_START_PRICES) + np.cumsum(gaps + returns, axis=0)
    log_open = log_close - returns
    open_, close = np.exp(log_open), np.exp(log_close)
    wick = np.abs(rng.normal(0.0, 0.6, (2, steps, n_sym))) * np.abs(returns).mean(axis=0)
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) * np.exp(-wick[1])
    open_, high, low, close = (
        np.round(a / TICK_SIZE) * TICK_SIZE for a in (open_, high, low, close)
    )
    high = np.maximum(high, np.maximum(open_, close))
    low = np.maximum(np.minimum(low, np.minimum(open_, close)), TICK_SIZE)
    volume = np.round(_BASE_VOLUME * volume_shape * rng.lognormal(0.0, 0.5, (steps, n_sym)))

    def by_symbol(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        flat: npt.NDArray[np.float64] = np.ascontiguousarray(a.T).reshape(-1)
        return flat  # symbol-major, like the table's key

    return {
        "symbol": np.repeat(np.array(DEMO_SYMBOLS), steps),
        "ts_event_ns": np.tile(ts, n_sym),
        "open": by_symbol(open_),
        "high": by_symbol(high),
        "low": by_symbol(low),
        "close": by_symbol(close),
        "volume": by_symbol(volume),
    }


def _garch_returns(
    rng: np.random.Generator, steps: int, sigma: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Log returns with GARCH(1,1) variance around ``sigma`` per symbol (volatility clusters)."""
    alpha, beta = 0.08, 0.9
    target = sigma**2
    omega = target * (1 - alpha - beta)
    shocks = rng.standard_t(5, (steps, len(sigma))) / np.sqrt(5 / 3)  # fat tails, unit variance
    returns: npt.NDArray[np.float64] = np.empty_like(shocks)
    var = target.copy()
    for i in range(steps):
        r = np.sqrt(var) * shocks[i]
        returns[i] = r
        var = omega + alpha * r * r + beta * var
    return returns
