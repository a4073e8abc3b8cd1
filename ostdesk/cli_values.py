"""One value as the command line shows it: as text a trader reads, or as plain JSON.

Text: numbers with thousands separators and at most four decimals (never ``-0``), times in
UTC (``2004-08-19 00:00:00 UTC``), durations as ``3 days 04:00``, lists joined by commas, a
missing value as ``n/a``.

JSON: real objects and arrays; times are ISO-8601 strings in UTC
(``2004-08-19T00:00:00+00:00``), durations ISO-8601 durations (``P3DT4H``), NaN and
infinities ``null``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values, enums as what they mean."""
    if hasattr(value, "tolist"):
        value = value.tolist()  # numpy scalar, array or masked constant (-> None)
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.value)
    return value


def text(value: Any) -> str:
    """``value`` as one short piece of text for a person."""
    value = plain(value)
    if value is None:
        return "n/a"
    if isinstance(value, bool):  # as --param takes it
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.timedelta):
        return duration(value)
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


def as_typed(value: Any) -> str:
    """A parameter's value as ``--param NAME=VALUE`` takes it: ``true``, ``1.5``, an enum's
    name."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


def number(value: float) -> str:
    """``100773.94`` -> ``100,773.94``; at most four decimals, and ``0`` rather than ``-0``."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 1e15:
        return f"{value:.6g}"
    shown = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def money(value: float | None) -> str:
    """``510947.53125`` -> ``510,947.53``: an amount of money to the cent."""
    if value is None or not math.isfinite(value):
        return text(value)
    return f"{round(value, 2) + 0.0:,.2f}"  # + 0.0 turns -0.0 into 0.0


def utc(value: dt.datetime) -> dt.datetime:
    """An aware time in UTC; a naive one is UTC already (as the database stores times)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def timestamp(value: dt.datetime) -> str:
    """``2004-08-19 00:00:00 UTC``, with the fraction of a second only when there is one."""
    value = utc(value)
    fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return f"{value:%Y-%m-%d %H:%M:%S}{fraction} UTC"


def duration(value: dt.timedelta) -> str:
    """``3 days 04:00``, ``1 day``, ``04:30``, ``00:00:05``: days, then hours and minutes
    (seconds only when there are some)."""
    sign, value = ("-", -value) if value < dt.timedelta(0) else ("", value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}"
    if seconds or value.microseconds:
        clock += f":{seconds:02d}"
        if value.microseconds:
            clock += f".{value.microseconds:06d}".rstrip("0")
    if not value.days:
        return sign + clock
    days = f"{value.days:,} day{'s' if value.days != 1 else ''}"
    return sign + (days if clock == "00:00" else f"{days} {clock}")


def time_of_ns(ts_ns: int | None) -> dt.datetime | None:
    """A stored nanosecond timestamp as an aware UTC datetime (times are whole microseconds)."""
    return None if ts_ns is None else _EPOCH + dt.timedelta(microseconds=int(ts_ns) // 1000)


def json_value(value: Any) -> Any:
    """``value`` as plain JSON types (see the module's docstring)."""
    value = plain(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def iso_duration(value: dt.timedelta) -> str:
    """``P3DT4H``, ``PT30M``, ``PT1.5S``, ``P0D``: ISO 8601, which pandas and most tools read."""
    sign, value = ("-", -value) if value < dt.timedelta(0) else ("", value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M")) if amount)
    if seconds or value.microseconds:
        clock += f"{seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".") + "S"
    days = f"{value.days}D" if value.days else ""
    if not days and not clock:
        return "P0D"
    return f"{sign}P{days}{'T' + clock if clock else ''}"
