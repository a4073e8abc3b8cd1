"""Incremental technical indicators: O(1) per bar, one instance per symbol, Qt-free.

Every indicator follows ``base.Indicator``: ``update(open, high, low, close, volume)`` once per
bar, history per output line (NaN during warm-up), ``ind[-1]`` for the latest main-line value,
``clone()`` for another symbol, and a ``placement`` telling the chart where to draw it.
"""

from __future__ import annotations

from ostdesk.engine.indicators.base import SOURCES, Indicator, Placement, SourcedIndicator
from ostdesk.engine.indicators.extremes import Highest, Lowest
from ostdesk.engine.indicators.momentum import MACD, RSI, Stochastic
from ostdesk.engine.indicators.moving import EMA, SMA, WMA
from ostdesk.engine.indicators.trend import ADX
from ostdesk.engine.indicators.volatility import ATR, Bollinger

__all__ = [
    "ADX",
    "ATR",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "SOURCES",
    "WMA",
    "Bollinger",
    "Highest",
    "Indicator",
    "Lowest",
    "Placement",
    "SourcedIndicator",
    "Stochastic",
]
