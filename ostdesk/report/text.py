"""How the report's values read: as ``ostdesk show`` prints them (``ostdesk.cli_values``),
plus the compact forms a table cell or an axis label needs."""

from __future__ import annotations

import math

import numpy as np


def when(ts_ns: object) -> str:
    """A bar time, UTC: ``2020-01-02 14:30`` (seconds and fractions only when present)."""
    stamp = str(np.datetime64(int(ts_ns), "ns")).replace("T", " ")  # type: ignore[call-overload]
    head, _, fraction = stamp.partition(".")
    fraction = fraction.rstrip("0")
    if fraction:
        return f"{head}.{fraction}"
    return head[:-3] if head.endswith(":00") else head


def compact_money(value: float) -> str:
    """``1,250,000`` -> ``1.25M``: an axis label."""
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def number(value: object, decimals: int = 2) -> str:
    """A number with thousands separators and ``decimals`` places; blank when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{float(value) + 0.0:,.{decimals}f}"  # type: ignore[arg-type]


def signed_pct(value: object) -> str:
    """``+1.23%`` (``0.00%`` rather than ``-0.00%``); blank when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{round(float(value), 2) + 0.0:+.2f}%"  # type: ignore[arg-type]
