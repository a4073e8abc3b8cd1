"""Reading the dates users type (``2024-01-31``, ``2024-01-31T14:30``) as UTC nanoseconds."""

from __future__ import annotations

import datetime as dt

# Times are stored as 64-bit nanoseconds since 1970, in whole microseconds (DuckDB's unit).
FIRST_US = -(2**63 // 1000)
LAST_US = 2**63 // 1000
FIRST_NS = FIRST_US * 1000
LAST_NS = LAST_US * 1000
STORABLE_RANGE = "1677-09-22 to 2262-04-10"
"""The whole days a 64-bit nanosecond count reaches, for messages."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_DAY_US = 86_400_000_000


def parse_when(text: str, *, end_of_day: bool = False) -> int:
    """ISO date or date-time, UTC unless it carries an offset. A bare date used as the end of a
    range means the whole day (``end_of_day``). Raises ``ValueError`` for text that is not a
    date, or a date outside ``STORABLE_RANGE``."""
    raw = text.strip()
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    micros = (value - _EPOCH) // _MICROSECOND  # exact, unlike a float timestamp()
    whole_day = end_of_day and len(raw) == 10
    if whole_day:
        micros += _DAY_US - 1
    if not FIRST_US <= micros <= LAST_US:
        raise ValueError(f"{text!r} is outside the dates ostdesk can store ({STORABLE_RANGE})")
    return micros * 1000 + (999 if whole_day else 0)
