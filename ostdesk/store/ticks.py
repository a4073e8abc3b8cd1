"""Each symbol's tick size, the unit of a run's slippage: the instrument's own, else the price grid.

Slippage is given in ticks, so a tick of 0.01 on EURUSD (quoted to 0.00001) would be 1,000 of
its real ticks. An instrument with a stored ``tick_size`` (the demo's) uses it. Otherwise the
tick is read from the prices: the largest power of ten, down to ``10**-MAX_DECIMALS``, that
every open, high, low and close of the first ``SAMPLE_BARS`` bars is a whole multiple of.
Prices on no such grid (adjusted or computed series) get about a basis point of the median
price, rounded down to a power of ten, so slippage keeps the size a trader expects.
"""

from __future__ import annotations

import math

import numpy as np

from ostdesk.engine.events import BarPeriod
from ostdesk.store.database import DbOrCursor, connection_of

SAMPLE_BARS = 2_000
MAX_DECIMALS = 6


def tick_sizes(db: DbOrCursor, symbols: tuple[str, ...], period: BarPeriod) -> dict[str, float]:
    """The tick size of each of ``symbols``: the stored one, else the grid of its bars of
    ``period`` (a symbol with neither is left out: the broker then uses its default)."""
    con = connection_of(db)
    stored = dict(
        con.execute(
            "SELECT symbol, tick_size FROM instruments "
            "WHERE tick_size IS NOT NULL AND list_contains(?, symbol)",
            [list(symbols)],
        ).fetchall()
    )
    ticks: dict[str, float] = {}
    for symbol in symbols:
        if symbol in stored:
            ticks[symbol] = float(stored[symbol])
            continue
        prices = np.array(
            con.execute(
                "SELECT open, high, low, close FROM bars WHERE symbol = ? AND period = ? "
                "ORDER BY ts_event_ns LIMIT ?",
                [symbol, period.label, SAMPLE_BARS],
            ).fetchall(),
            dtype=np.float64,
        ).ravel()
        if len(prices):
            ticks[symbol] = price_grid(prices)
    return ticks


def price_grid(prices: np.ndarray) -> float:
    """The tick ``prices`` are quoted in (see the module docstring); ``prices`` is not empty."""
    for decimals in range(MAX_DECIMALS + 1):
        scaled = prices * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return 10.0**-decimals
    median = float(np.median(np.abs(prices)))
    if not median > 0:
        return 10.0**-MAX_DECIMALS
    return 10.0 ** (math.floor(math.log10(median)) - 4)
