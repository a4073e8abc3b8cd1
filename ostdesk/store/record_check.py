"""Proof that a recorded run is whole: what the recorder was handed, what it wrote, and what the
database holds, table by table.

A run is stored ``completed`` only if the three agree and the recorder saw every bar the
datafeed published (the bus hands a sink each event it subscribed to, so "handed" is
"published"). The first write that fails stops the recording for good: a record with a gap is
worth less than a record that says where it stops, and statistics over a gap would lie.
"""

from __future__ import annotations

import dataclasses

import duckdb

from ostdesk.store.database import duckdb_message
from ostdesk.store.rows import first_row
from ostdesk.store.run_schema import RECORDED_TABLES
from ostdesk.store.timefmt import format_ns


def _zeros() -> dict[str, int]:
    return dict.fromkeys(RECORDED_TABLES, 0)


class RecordingError(Exception):
    """The recorder could not store part of a run; the message is one sentence for the user."""


@dataclasses.dataclass
class RecordTally:
    """Rows per table: handed to the recorder (published) and committed by it."""

    handed: dict[str, int] = dataclasses.field(default_factory=_zeros)
    written: dict[str, int] = dataclasses.field(default_factory=_zeros)
    failure: str | None = None
    """The first failure, as one sentence; once set, nothing more is written."""

    def fail(self, table: str, last_ts: int, exc: BaseException) -> RecordingError:
        """Note the first failure (``last_ts``: the last bar stored, -1 if none) and return it
        as the error to report."""
        where = f"after {format_ns(last_ts)}" if last_ts >= 0 else "before storing any bar"
        self.failure = f"the recording stopped {where}: could not store {table}: {sentence(exc)}"
        return RecordingError(self.failure)

    def gap(self, stored: dict[str, int], bars_published: int) -> str | None:
        """The first disagreement between published, written and stored rows, as a
        sentence; None if the record is whole."""
        if self.handed["run_bars"] != bars_published:
            return (
                f"the record is incomplete: the datafeed published {bars_published:,} bars "
                f"but the recorder received {self.handed['run_bars']:,}"
            )
        for table in RECORDED_TABLES:
            handed, written, held = self.handed[table], self.written[table], stored[table]
            if not handed == written == held:
                return (
                    f"the record is incomplete: {table} should hold {handed:,} rows, "
                    f"{written:,} were written and {held:,} are stored"
                )
        return None


def sentence(exc: BaseException) -> str:
    """An exception as the sentence a user reads: DuckDB's without its 'IO Error: ' prefix."""
    return duckdb_message(exc) if isinstance(exc, duckdb.Error) else f"{type(exc).__name__}: {exc}"


def stored_rows(cur: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, int]:
    """Rows per recorded table for ``run_id``, as the database holds them now (one query)."""
    counts = ", ".join(
        f"(SELECT count(*) FROM {table} WHERE run_id = $run)" for table in RECORDED_TABLES
    )
    row = first_row(cur.execute(f"SELECT {counts}", {"run": run_id}))
    assert row is not None  # a SELECT of scalars always gives one row
    return dict(zip(RECORDED_TABLES, (int(n) for n in row), strict=True))
