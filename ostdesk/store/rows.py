"""Reading DuckDB results so they do not hold transactions open."""

from __future__ import annotations

from typing import Any

import duckdb


def first_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a one-row result, read to the end.

    DuckDB keeps a statement's transaction open until its result is read to the end, and an
    open transaction on the long-lived main connection blocks ``CHECKPOINT`` for everyone (so
    the write-ahead log is then folded in by whichever commit crosses the threshold, often a
    run's first insert on the GUI thread). ``fetchone()`` alone leaves the result open.
    """
    rows = result.fetchall()
    return tuple(rows[0]) if rows else None
