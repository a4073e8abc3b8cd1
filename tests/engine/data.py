"""Market data for engine tests: real GOOG daily bars and seeded random walks, as BarChunks."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ostdesk.engine.bar_chunk import BarChunk


def goog() -> pd.DataFrame:
    import backtesting

    path = os.path.join(os.path.dirname(backtesting.__file__), "test", "GOOG.csv")
    return pd.read_csv(path, index_col=0, parse_dates=True)


def chunk_from_frame(df: pd.DataFrame) -> BarChunk:
    ts = (
        df.index.tz_localize("UTC").as_unit("ns").asi8
        if df.index.tz is None
        else df.index.as_unit("ns").asi8
    )
    return BarChunk(
        ts=np.asarray(ts, dtype=np.int64),
        symbol_index=np.zeros(len(df), dtype=np.int32),
        open=df["Open"].to_numpy(float),
        high=df["High"].to_numpy(float),
        low=df["Low"].to_numpy(float),
        close=df["Close"].to_numpy(float),
        volume=df["Volume"].to_numpy(float),
    )


def random_walk_chunk(n_symbols: int, n_bars: int, seed: int = 1) -> BarChunk:
    """Bars of several symbols on one minute grid, sorted by (ts, symbol)."""
    rng = np.random.default_rng(seed)
    ts = 1_700_000_000_000_000_000 + 60_000_000_000 * np.arange(n_bars, dtype=np.int64)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, (n_symbols, n_bars)), axis=1))
    open_ = close * np.exp(rng.normal(0, 0.0005, close.shape))
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    return BarChunk(
        ts=np.repeat(ts, n_symbols),
        symbol_index=np.tile(np.arange(n_symbols, dtype=np.int32), n_bars),
        open=open_.T.ravel(),
        high=high.T.ravel(),
        low=low.T.ravel(),
        close=close.T.ravel(),
        volume=np.full(n_symbols * n_bars, 1000.0),
    )
