"""What the window showed when it closed, remembered per database file so a relaunch picks up
where the trader left off: the run on the chart, its symbol and the visible bars.

Kept in ``QSettings`` (not the database): it is the window's state, not research data, and a
database opened read-only or copied to another machine should not carry it. The group is named
by a hash of the file's resolved path, since ``QSettings`` reads "/" in keys as nesting.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings


@dataclasses.dataclass(frozen=True, slots=True)
class ShownRun:
    """The run on the chart: ``x_range`` is in bar indices of ``symbol`` (a recorded run's
    bars never change), ``follow`` whether the view kept to the latest bar."""

    run_id: int
    symbol: str | None = None
    x_range: tuple[float, float] | None = None
    follow: bool = True


class WindowMemory:
    """The remembered ``ShownRun`` of one database file."""

    def __init__(self, db_path: Path | str, settings: QSettings | None = None) -> None:
        self.db_path = str(Path(db_path).resolve())
        digest = hashlib.sha1(self.db_path.encode("utf-8")).hexdigest()[:16]
        self.group = f"databases/{digest}"
        self._settings = settings if settings is not None else QSettings()

    def load(self) -> ShownRun | None:
        """The run remembered, or None (nothing saved, or values a newer or broken
        settings file left that cannot be read as one)."""
        s = self._settings
        s.beginGroup(self.group)
        try:
            run_id = _int(s.value("run_id"))
            if run_id is None:
                return None
            symbol = s.value("symbol")
            lo, hi = _float(s.value("x_lo")), _float(s.value("x_hi"))
            return ShownRun(
                run_id=run_id,
                symbol=str(symbol) if symbol else None,
                x_range=(lo, hi) if lo is not None and hi is not None and lo < hi else None,
                follow=str(s.value("follow", "true")).lower() == "true",
            )
        finally:
            s.endGroup()

    def save(self, shown: ShownRun | None) -> None:
        """Remember ``shown`` (None forgets: the next start shows the empty state)."""
        s = self._settings
        s.remove(self.group)
        if shown is None:
            return
        s.beginGroup(self.group)
        s.setValue("path", self.db_path)  # for a person reading the settings file
        s.setValue("run_id", shown.run_id)
        s.setValue("symbol", shown.symbol or "")
        if shown.x_range is not None:
            s.setValue("x_lo", shown.x_range[0])
            s.setValue("x_hi", shown.x_range[1])
        s.setValue("follow", "true" if shown.follow else "false")
        s.endGroup()


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _float(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None
