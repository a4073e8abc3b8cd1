"""How exported CSV reads: times, durations and numbers, one definition in Python and in SQL.

The command line's export writes CSV with DuckDB (the SQL below) and the blotters write it
row by row (the Python below); both give the same text for the same value, which a test
checks, so a file from either opens the same way in a spreadsheet or pandas.

- Times: ISO-8601 in UTC with ``Z``, fractions of a second only when there are some
  (``2004-08-19T00:00:00Z``, ``2024-03-05T14:30:00.25Z``).
- Durations: ``3 days 04:00:00`` (``1 day``, fractions as for times), which
  ``pandas.to_timedelta`` reads.
- Computed numbers (prices with slippage, P&L, equity, percentages) are rounded to 12
  significant digits, never into their integer part and to at most 20 decimals, which
  removes arithmetic noise (``6.999999999999996`` -> ``7``, ``2.2e-21`` -> ``0``); quoted
  data (bars) keep every digit, so an exported bar reads back bit for bit. Either way a whole
  number has no ``.0`` and other values use the shortest text that reads back as the same
  double. NaN is an empty cell, as a missing value. Parquet keeps full precision.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math

_NS_PER_SECOND = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS_PER_SECOND
_EPOCH = dt.datetime(1970, 1, 1)
_DIGITS = 12
_MAX_DECIMALS = 20  # DuckDB rounds exactly up to here (not at 23); smaller values are noise
_WHOLE_LIMIT = 1e15  # whole numbers below this are written as integers (exact in a double)
_EXACT_DECIMALS = decimal.Context(prec=800, rounding=decimal.ROUND_HALF_UP, Emin=-999_999)


def iso_time(ts_ns: int) -> str:
    """``1092873600000000000`` -> ``"2004-08-19T00:00:00Z"``."""
    seconds, ns = divmod(int(ts_ns), _NS_PER_SECOND)
    stamp = (_EPOCH + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}{_fraction(ns)}Z"


def duration_text(ns: int) -> str:
    """``273600000000000`` -> ``"3 days 04:00:00"``."""
    sign = "-" if ns < 0 else ""
    days, rest = divmod(abs(int(ns)), _NS_PER_DAY)
    seconds, fraction = divmod(rest, _NS_PER_SECOND)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    unit = "day" if days == 1 else "days"
    return f"{sign}{days} {unit} {hours:02d}:{minutes:02d}:{seconds:02d}{_fraction(fraction)}"


def number_text(value: float) -> str:
    """A computed number without arithmetic noise (see the module's docstring)."""
    return exact_number_text(_rounded(float(value)))


def exact_number_text(value: float) -> str:
    """Every digit of ``value``; a whole number without ``.0``; NaN as nothing."""
    if math.isnan(value):
        return ""
    if abs(value) < _WHOLE_LIMIT and value == math.trunc(value):
        return str(int(value))
    return repr(float(value))


def _fraction(ns: int) -> str:
    return f".{ns:09d}".rstrip("0").rstrip(".")


def _rounded(x: float) -> float:
    """What DuckDB's ``round(x, d)`` gives: the exact value rounded to ``d`` decimals,
    halves away from zero (Python's ``round`` takes halves to even)."""
    if not math.isfinite(x) or x == 0:
        return x
    decimals = min(_MAX_DECIMALS, max(0, _DIGITS - 1 - math.floor(math.log10(abs(x)))))
    with decimal.localcontext(_EXACT_DECIMALS):
        return float(decimal.Decimal(x).quantize(decimal.Decimal(1).scaleb(-decimals)))


# -- the same in SQL, for DuckDB's COPY ------------------------------------------------------------
def iso_time_sql(column: str) -> str:
    """SQL for ``iso_time`` of a BIGINT nanosecond column."""
    text = f"strftime(make_timestamp_ns({column}), '%Y-%m-%dT%H:%M:%S.%n')"
    return f"rtrim(rtrim({text}, '0'), '.') || 'Z'"


def duration_sql(column: str) -> str:
    """SQL for ``duration_text`` of a BIGINT nanosecond column."""
    n = f"abs({column})"
    days = f"({n} // {_NS_PER_DAY})"
    seconds = f"(({n} % {_NS_PER_DAY}) // {_NS_PER_SECOND})"
    clock = (
        f"lpad(({seconds} // 3600)::VARCHAR, 2, '0') || ':' || "
        f"lpad((({seconds} % 3600) // 60)::VARCHAR, 2, '0') || ':' || "
        f"lpad(({seconds} % 60)::VARCHAR, 2, '0') || '.' || "
        f"lpad(({n} % {_NS_PER_SECOND})::VARCHAR, 9, '0')"
    )
    return (
        f"CASE WHEN {column} < 0 THEN '-' ELSE '' END || {days}::VARCHAR || "
        f"CASE WHEN {days} = 1 THEN ' day ' ELSE ' days ' END || rtrim(rtrim({clock}, '0'), '.')"
    )


def number_sql(column: str) -> str:
    """SQL for ``number_text`` of a DOUBLE column."""
    decimals = (
        f"least({_MAX_DECIMALS}, greatest(0, {_DIGITS - 1} - floor(log10(abs({column})))))::INTEGER"
    )
    rounded = (
        f"CASE WHEN NOT isfinite({column}) OR {column} = 0 THEN {column} "
        f"ELSE round({column}, {decimals}) END"
    )
    return exact_number_sql(f"({rounded})")


def exact_number_sql(column: str) -> str:
    """SQL for ``exact_number_text`` of a DOUBLE column."""
    return (
        f"CASE WHEN isnan({column}) THEN NULL "
        f"WHEN abs({column}) < {_WHOLE_LIMIT:.0f} AND {column} = trunc({column}) "
        f"THEN ({column})::BIGINT::VARCHAR ELSE ({column})::VARCHAR END"
    )
