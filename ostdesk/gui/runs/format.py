"""How run values read in the browser, the details panel and the comparison.

Missing values (SQL NULL, NaN, a statistic that could not be computed) read as an empty cell
in tables and an em dash in the statistics lists, never as "nan".
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

MISSING = "—"


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number_text(value: object, fmt: str = "{:,.2f}") -> str:
    return "" if is_missing(value) else fmt.format(value)


def date_text(ts_ns: float) -> str:
    """A bar time as ``2024-03-05 14:30`` UTC (minutes are enough to tell runs apart)."""
    if is_missing(ts_ns):
        return ""
    seconds = int(ts_ns) // 1_000_000_000
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


def day_text(ts_ns: float) -> str:
    return date_text(ts_ns)[:10]


def duration_text(seconds: float) -> str:
    """``2d 03:04:05``, ``03:04:05`` or ``4.2 s`` for short wall times."""
    if is_missing(seconds):
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    days, rest = divmod(round(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock


def params_text(params: Mapping[str, Any]) -> str:
    """``fast=10 slow=30``: compact enough for a table cell."""
    return " ".join(f"{k}={_value_text(v)}" for k, v in params.items())


def params_from_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _value_text(value: Any) -> str:
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def stat_text(value: object) -> str:
    """One statistic of ``run_stats`` as it reads in a list (times UTC, durations d hh:mm)."""
    if is_missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.timedelta):
        return duration_text(value.total_seconds())
    if isinstance(value, int):
        return f"{value:,d}"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


def stat_number(value: object) -> float:
    """A statistic as a number to compare runs by (NaN when it has none)."""
    if is_missing(value):
        return math.nan
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return math.nan
