"""The run browser's database thread: every query and change runs there, in order.

DuckDB connections must not be shared between threads, so the worker owns one cursor of the
database for its whole life. The GUI thread only submits jobs and receives their results as
callbacks on its own thread (a queued signal), so a slow query never freezes a window.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable
from typing import Any

import duckdb
from PySide6.QtCore import QObject, Signal

from ostdesk.store.database import Database

Query = Callable[[duckdb.DuckDBPyConnection], Any]


@dataclasses.dataclass(frozen=True)
class _Job:
    query: Query
    on_done: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None


class RunWorker(QObject):
    """One thread with its own cursor. ``submit`` a query ``f(cursor) -> value``; ``on_done``
    (or ``on_error`` with a message) is called later on the GUI thread. Errors with no
    ``on_error`` are emitted as ``failed``. Call ``close()`` before closing the database."""

    failed = Signal(str)
    _delivered = Signal(object)  # (job, ok, value or message)

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pending = 0
        self._closed = False
        self._delivered.connect(self._deliver)
        self._thread = threading.Thread(target=self._loop, name="ostdesk-runs-db", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        """Whether a submitted job has not been delivered yet."""
        return self._pending > 0

    def submit(
        self,
        query: Query,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the run worker is closed")
        self._pending += 1
        self._jobs.put(_Job(query, on_done, on_error))

    def close(self) -> None:
        """Finish the queued jobs, release the cursor and end the thread (results not yet
        delivered are dropped)."""
        self._closed = True
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _loop(self) -> None:
        try:
            cur = self.db.cursor()
        except Exception as exc:  # every later job reports why
            self._fail_all(f"cannot read the database: {exc}")
            return
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    value = job.query(cur)
                except Exception as exc:  # delivered to the GUI, never lost
                    self._delivered.emit((job, False, str(exc) or type(exc).__name__))
                else:
                    self._delivered.emit((job, True, value))
        finally:
            self.db.release(cur)

    def _fail_all(self, message: str) -> None:
        while (job := self._jobs.get()) is not None:
            self._delivered.emit((job, False, message))

    def _deliver(self, result: tuple[_Job, bool, Any]) -> None:
        job, ok, value = result
        self._pending -= 1
        if self._closed:  # a result queued before close: its widgets are going away
            return
        if ok:
            if job.on_done is not None:
                job.on_done(value)
        elif job.on_error is not None:
            job.on_error(value)
        else:
            self.failed.emit(value)
