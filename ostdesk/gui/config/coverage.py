"""What the store holds, read off the GUI thread: coverage per period and symbol.

It scans the bars table (~100 ms at 10 M bars, 2.4 ms for the demo data), so it is read once
per database, or after an import, on a short-lived thread with its own cursor.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from ostdesk.engine.events import BarPeriod
from ostdesk.store.database import Database
from ostdesk.store.errors import StoreError
from ostdesk.store.market_data import coverage, list_instruments

Coverage = dict[str, tuple[int, int, int]]  # symbol -> (first ns, last ns, bars)


class DataSummary:
    """What the store holds: coverage per period, and each symbol's description."""

    def __init__(self, by_period: dict[BarPeriod, Coverage], descriptions: dict[str, str]) -> None:
        self.by_period = by_period
        self.descriptions = descriptions

    @classmethod
    def read(cls, db: Database) -> DataSummary:
        """Read it through a cursor of its own (any thread)."""
        cur = db.cursor()
        try:
            by_period = {period: coverage(cur, None, period) for period in BarPeriod}
            descriptions = {i.symbol: i.description for i in list_instruments(cur)}
        finally:
            db.release(cur)
        return cls({p: c for p, c in by_period.items() if c}, descriptions)

    @property
    def symbols(self) -> list[str]:
        found = {s for cov in self.by_period.values() for s in cov}
        return sorted(found)

    @property
    def periods(self) -> list[BarPeriod]:
        return sorted(self.by_period, key=lambda p: p.value)


class SummaryLoader(QObject):
    """Reads a :class:`DataSummary` on a short-lived thread; ``loaded`` or ``failed`` follows.
    Only the latest request's answer is delivered."""

    loaded = Signal(object)
    failed = Signal(str)
    _answered = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._answered.connect(self._on_answer)

    def load(self, db: Database) -> None:
        self._generation += 1
        generation = self._generation

        def work() -> None:
            result: DataSummary | str
            try:
                result = DataSummary.read(db)
            except StoreError as exc:
                result = str(exc)
            except Exception as exc:  # a database error is shown, never lost with the thread
                result = f"{type(exc).__name__}: {exc}"
            self._answered.emit(generation, result)

        self._thread = threading.Thread(target=work, name="ostdesk-coverage", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Join the reading thread (on close, so no thread outlives its widget)."""
        if self._thread is not None:
            self._thread.join()

    def _on_answer(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        if isinstance(result, DataSummary):
            self.loaded.emit(result)
        else:
            self.failed.emit(str(result))
