"""How long a working order is live, whatever the bars' period: the simulated broker's
time-in-force rules, in one place (``docs/orders.md`` states them with examples).

Every order has an end of life, a time from which it may no longer trade:

- GTC: never;
- GTD: its ``expire_ns``;
- DAY: the end of its *session*, the UTC calendar day of the first bar the order can trade on
  (the first bar of its symbol after the bar it was decided on). On intraday bars the order is
  live for the rest of that day; one decided on a day's last bar is live the next trading day,
  as a broker queues a DAY order sent after the close for the next session. On daily bars a
  DAY order decided on bar T is live for bar T+1 only, whatever its date (a Friday's order
  trades on Monday). Bars are stored in UTC and the data's zone and trading hours are not
  known, so a market whose session spans midnight UTC has two "days" per session.

An order is live on every bar of its symbol that opens before its end of life: a bar does not
say when within it a price traded, so a GTD expiring at 16:00 still trades on that day's daily
bar (opened at 00:00), and one expiring before the next bar opens never trades. The broker
ends an unfilled order with an ``OrderExpired`` stamped, like a fill, with a bar's open time:
after matching its last live bar when that bar's span reaches the end of life (always on daily
bars), so a strategy learns of it before deciding on that bar; otherwise (the session's last
bar closes before midnight UTC) at the first bar that opens at or after the end, before
matching it.
"""

from __future__ import annotations

from ostdesk.engine.events import BarPeriod, TimeInForce

DAY_NS = BarPeriod.DAY.value

NEVER = 2**63 - 1
"""The end of life of a GTC order: after every int64 time a bar can have."""


def end_of_life(tif: TimeInForce, expire_ns: int | None, first_bar_ns: int) -> int:
    """The time from which an order of ``tif`` may no longer trade, known once the first bar
    it can trade on (opened at ``first_bar_ns``) is seen."""
    if tif is TimeInForce.DAY:
        return (first_bar_ns // DAY_NS + 1) * DAY_NS
    if tif is TimeInForce.GTD:
        assert expire_ns is not None  # the broker refuses a GTD order without one
        return expire_ns
    return NEVER
