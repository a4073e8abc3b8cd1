"""How a working order trades against one bar: the simulated broker's fill rules.

A bar gives four prices and not their order, except that the open comes first; an order fills
only where the bar proves it could have (``docs/orders.md`` has the examples). A market order
fills at the bar's open; a limit fills at the better of its limit and the open when the bar
reaches it; a stop fills at the worse of its stop and the open when the bar reaches it (gaps
through a stop fill at the open). A stop-limit becomes a limit when the bar reaches its stop,
and fills on that same bar only when the bar proves the limit was reachable after the trigger:
triggered at the open (a gap), if the bar reaches the limit, at the better of limit and open;
triggered inside the bar at its stop, if the limit is at the stop or beyond it (buy: limit >=
stop), at the stop. A limit short of the stop (buy: limit < stop) waits for the next bar, as
the bar's low may have come before the trigger (backtesting.py decides so too). Prices are
per unit; slippage is applied by the broker afterwards to market and stop fills only (a limit
never fills worse than its limit).
"""

from __future__ import annotations

import math

from ostdesk.engine.events import OrderType

NO_FILL = math.nan


def limit_price(is_buy: bool, limit: float, open_: float, high: float, low: float) -> float:
    """A limit's fill on this bar; ``open_`` is where the bar starts for it (for a stop-limit
    triggered on this bar: where it triggered, the stop or the open if the bar gapped)."""
    if is_buy:
        return min(limit, open_) if low <= limit else NO_FILL
    return max(limit, open_) if high >= limit else NO_FILL


def stop_triggered(is_buy: bool, stop: float, high: float, low: float) -> bool:
    return high >= stop if is_buy else low <= stop


def stop_price(is_buy: bool, stop: float, open_: float, high: float, low: float) -> float:
    if not stop_triggered(is_buy, stop, high, low):
        return NO_FILL
    return max(stop, open_) if is_buy else min(stop, open_)


def fill_price(
    order_type: OrderType,
    is_buy: bool,
    limit: float | None,
    stop: float | None,
    triggered: bool,
    open_: float,
    high: float,
    low: float,
) -> tuple[float, bool]:
    """Price at which the order fills on this bar (NaN if it does not), and whether a stop-limit
    is triggered after this bar."""
    if order_type is OrderType.MARKET:
        return open_, triggered
    if order_type is OrderType.LIMIT:
        assert limit is not None
        return limit_price(is_buy, limit, open_, high, low), triggered
    if order_type is OrderType.STOP:
        assert stop is not None
        return stop_price(is_buy, stop, open_, high, low), triggered
    assert limit is not None and stop is not None
    if triggered:
        return limit_price(is_buy, limit, open_, high, low), True
    trigger = stop_price(is_buy, stop, open_, high, low)
    if math.isnan(trigger):
        return NO_FILL, False
    if trigger != open_ and (limit < stop if is_buy else limit > stop):
        return NO_FILL, True  # the bar cannot show the price reached the limit after the stop
    return limit_price(is_buy, limit, trigger, high, low), True
