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
    frame: Mapping[str, Any],
    sql: str,
    params: object = None,
) -> None:
    """Run ``sql``, an ``INSERT ... SELECT ... FROM frame_columns``, over the numpy columns of
    ``frame``: one statement for the whole batch, no Python per row.

    DuckDB finds ``frame_columns`` as a local of this function (a replacement scan), which
    costs ~0.8 ms a statement less than registering and unregistering a view: time in which
    the recorder held the GIL, a few dozen times a run, while the engine waited for it."""
    frame_columns = frame  # noqa: F841 -- read by DuckDB, by name
    cur.execute(sql, params)
