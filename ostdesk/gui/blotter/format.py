"""How blotter cells read: UTC times, quantities, prices at each symbol's precision, money.

Prices of one symbol share one number of decimals (the most any of its quoted prices needed,
2 to 6), so a right-aligned column lines up on the decimal point whatever the instrument.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from ostdesk.engine import events as ev

_MIN_DECIMALS = 2
_MAX_DECIMALS = 6


def time_text(ts_ns: int) -> str:
    """``2024-03-05 14:30:00`` in UTC, with milliseconds only when there are some."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{ns // 1_000_000:03d}" if ns else stamp


def qty_text(qty: float) -> str:
    if not math.isfinite(qty):  # a malformed order's: unreadable (blank), or infinite
        return "" if math.isnan(qty) else f"{qty:,}"
    if qty == int(qty):
        return f"{qty:,.0f}"
    return f"{qty:,.4f}".rstrip("0")


def money_text(value: float) -> str:
    return "" if math.isnan(value) else f"{value:,.2f}"


def percent_text(value: float) -> str:
    return f"{value:.2%}"


def decimals_needed(price: float) -> int:
    for decimals in range(_MIN_DECIMALS, _MAX_DECIMALS):
        if abs(round(price, decimals) - price) <= 1e-9 * max(1.0, abs(price)):
            return decimals
    return _MAX_DECIMALS


class PricePrecision:
    """Decimals per symbol, learnt from the quoted prices in the events (limits, stops, fills,
    bar closes) before any row is drawn, so a symbol's first and last rows agree.

    Computed averages are formatted but not learnt from: 101.3333... must not widen a column.
    """

    __slots__ = ("_decimals",)

    def __init__(self) -> None:
        self._decimals: dict[str, int] = {}

    def learn(self, events: Sequence[ev.EventBase]) -> None:
        see = self._see
        for e in events:
            if isinstance(e, ev.BarReceived):
                see(e.symbol, e.close)
            elif isinstance(e, ev.FillEvent):
                see(e.symbol, e.price)
            elif isinstance(e, ev.OrderSubmissionRequest):
                if e.limit_price is not None:
                    see(e.symbol, e.limit_price)
                if e.stop_price is not None:
                    see(e.symbol, e.stop_price)

    def _see(self, symbol: str, price: float) -> None:
        known = self._decimals.get(symbol, _MIN_DECIMALS)
        if known < _MAX_DECIMALS and math.isfinite(price):
            needed = decimals_needed(price)
            if needed > known:
                self._decimals[symbol] = needed

    def text(self, symbol: str, price: float | None) -> str:
        if price is None or math.isnan(price):
            return ""
        return f"{price:,.{self._decimals.get(symbol, _MIN_DECIMALS)}f}"
