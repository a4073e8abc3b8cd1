"""Writing to DuckDB all or nothing, and inserting numpy columns in one statement."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb


@contextlib.contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """``BEGIN`` ... ``COMMIT``, or ``ROLLBACK`` and re-raise: nothing half-written stays."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield
        cur.execute("COMMIT")
    except BaseException:
        # a failed COMMIT has already ended the transaction; the original error propagates
        with contextlib.suppress(duckdb.TransactionException):
            cur.execute("ROLLBACK")
        raise


def insert_frame(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    frame: Mapping[str, Any],
    sql: str,
    params: object = None,
) -> None:
    """Run ``sql`` (an ``INSERT ... FROM name``) over numpy columns registered as ``name``:
    one statement for the whole batch, no Python per row."""
    cur.register(name, frame)
    try:
        cur.execute(sql, params)
    finally:
        cur.unregister(name)
