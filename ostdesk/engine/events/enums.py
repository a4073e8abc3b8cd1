"""Enumerations shared by events, the broker and strategies."""

from __future__ import annotations

import enum


class BarPeriod(enum.Enum):
    """Length of one bar; the value is the length in nanoseconds."""

    SECOND = 1_000_000_000
    MINUTE = 60_000_000_000
    HOUR = 3_600_000_000_000
    DAY = 86_400_000_000_000

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | BarPeriod) -> BarPeriod:
        """Accept ``"minute"``, ``"MINUTE"``, ``"1m"`` ... and give a clear error otherwise."""
        if isinstance(text, BarPeriod):
            return text
        key = text.strip().lower()
        aliases = {
            "s": "second",
            "1s": "second",
            "m": "minute",
            "1m": "minute",
            "1min": "minute",
            "h": "hour",
            "1h": "hour",
            "d": "day",
            "1d": "day",
            "daily": "day",
        }
        key = aliases.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            choices = ", ".join(p.label for p in cls)
            raise ValueError(f"unknown bar period {text!r}; choose one of {choices}") from None


class Side(enum.Enum):
    BUY = 1
    SELL = -1

    @property
    def sign(self) -> int:
        # ``_value_``: ``value`` is an enum property, ~0.2 µs a read, and the blotters read the
        # sign of every fill
        sign: int = self._value_
        return sign


class OrderType(enum.Enum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(enum.Enum):
    """GTC lives until cancelled; DAY for the UTC day of the first bar it can trade on (on
    daily bars: the next bar only); GTD on the bars that open before ``expire_ns``. The rules,
    and when an expiry is published, are in :mod:`ostdesk.engine.time_in_force`."""

    GTC = "gtc"
    DAY = "day"
    GTD = "gtd"


class RejectionReason(enum.Enum):
    """Why the broker refused a request; each rejection also carries a human message."""

    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    MISSING_PRICE = "missing_price"
    UNEXPECTED_PRICE = "unexpected_price"
    INVALID_EXPIRY = "invalid_expiry"
    UNKNOWN_ORDER = "unknown_order"
    DUPLICATE_ORDER_ID = "duplicate_order_id"
    ORDER_NOT_WORKING = "order_not_working"
    INSUFFICIENT_BUYING_POWER = "insufficient_buying_power"
    UNKNOWN_SYMBOL = "unknown_symbol"
    INVALID_TIME_IN_FORCE = "invalid_time_in_force"
    ORDER_TOO_LARGE = "order_too_large"
