"""Reading the dates users type (``2024-01-31``, ``2024-01-31T14:30``) as UTC nanoseconds."""

from __future__ import annotations

import datetime as dt


def parse_when(text: str, *, end_of_day: bool = False) -> int:
    """ISO date or date-time, UTC unless it carries an offset. A bare date used as the end of a
    range means the whole day (``end_of_day``)."""
    raw = text.strip()
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    ns = int(value.timestamp()) * 1_000_000_000 + value.microsecond * 1000
    if end_of_day and len(raw) == 10:
        ns += 86_400_000_000_000 - 1
    return ns
