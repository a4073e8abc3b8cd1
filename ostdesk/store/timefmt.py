"""Nanosecond timestamps as text for messages (always UTC, always labelled so)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def format_ns(ts_ns: int) -> str:
    """``1577836800000000000`` -> ``"2020-01-01 00:00:00 UTC"`` (fractions only when present)."""
    text = str(np.datetime64(int(ts_ns), "ns")).replace("T", " ")
    head, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{head}.{fraction} UTC" if fraction else f"{head} UTC"


def utc_now() -> dt.datetime:
    """Wall-clock now as a naive UTC datetime: what the runs table's TIMESTAMP columns hold
    (TIMESTAMPTZ would make DuckDB need pytz to read them back)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
