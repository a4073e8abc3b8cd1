"""Indicators for strategy authors: ``from ostdesk.indicators import SMA``."""

from ostdesk.engine.indicators import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    WMA,
    Bollinger,
    Highest,
    Indicator,
    Lowest,
    Placement,
    Stochastic,
)

__all__ = [
    "ADX",
    "ATR",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "WMA",
    "Bollinger",
    "Highest",
    "Indicator",
    "Lowest",
    "Placement",
    "Stochastic",
]
