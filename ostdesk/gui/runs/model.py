"""The Qt table model of the run browser: a view of a ``RunTable`` through row indices.

Search, filters and sorting swap the index array (numpy work in ``RunTable``) and reset the
model; cells are formatted only when a view paints them, so 10,000 runs cost no more than
the ~40 rows on screen. Selection is kept by the browser, by run id, across resets.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ostdesk.gui.runs.format import date_text, day_text, duration_text, number_text
from ostdesk.gui.runs.table import COLUMN_KEYS, COLUMNS, Indices, RunQuery, RunTable

STATUS_COLORS = {
    "running": QColor("#4f9cf5"),
    "completed": QColor("#26a69a"),
    "failed": QColor("#ef5350"),
    "cancelled": QColor("#8a8f98"),
    "interrupted": QColor("#f0a030"),
}
_FORMATS = {
    "return_pct": "{:+,.2f}",
    "cagr_pct": "{:+,.2f}",
    "sharpe": "{:,.2f}",
    "max_drawdown_pct": "{:,.2f}",
    "trades": "{:,.0f}",
    "win_rate_pct": "{:,.1f}",
    "profit_factor": "{:,.2f}",
}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_WALL = COLUMN_KEYS.index("wall")

_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.ToolTipRole,
    }
)
AnyIndex = QModelIndex | QPersistentModelIndex


class RunTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.table = RunTable.empty()
        self.query = RunQuery()
        self.sort_key = "run_id"
        self.descending = True
        self.rows: Indices = np.zeros(0, dtype=np.intp)

    # -- what the browser changes ------------------------------------------------------------
    def set_table(self, table: RunTable) -> None:
        self.beginResetModel()
        self.table = table
        self.rows = table.view(self.query, self.sort_key, self.descending)
        self.endResetModel()

    def set_query(self, query: RunQuery) -> None:
        self.beginResetModel()
        self.query = query
        self.rows = self.table.view(query, self.sort_key, self.descending)
        self.endResetModel()

    def run_id_at(self, row: int) -> int:
        return int(self.table.run_id[self.rows[row]])

    def rows_of(self, run_ids: list[int]) -> list[int]:
        """Rows (display positions) of those runs that are shown."""
        shown = self.table.run_id[self.rows]
        return [int(r) for r in np.flatnonzero(np.isin(shown, np.asarray(run_ids, np.int64)))]

    def value(self, row: int, key: str) -> Any:
        return self.table.columns[key][self.rows[row]]

    def tick_running(self) -> None:
        """Repaint the wall time of running runs (it grows while they run)."""
        running = np.flatnonzero(self.table.columns["status"][self.rows] == "running")
        if len(running):
            top = self.index(int(running[0]), _WALL)
            self.dataChanged.emit(top, self.index(int(running[-1]), _WALL))

    # -- Qt model API ---------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tooltip or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.beginResetModel()
        self.sort_key = COLUMN_KEYS[column]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.rows = self.table.view(self.query, self.sort_key, self.descending)
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():  # views ask for ~10 roles per cell
            return None
        column = COLUMNS[index.column()]
        i = int(self.rows[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(column.key, i)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric and column.key != "range_start" else _LEFT
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "status":
            return STATUS_COLORS.get(str(self.table.columns["status"][i]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(column.key, i)
        return None

    def _text(self, key: str, i: int) -> str:
        cols = self.table.columns
        if key == "run_id":
            return str(cols["run_id"][i])
        if key == "range_start":
            start, end = cols["range_start"][i], cols["range_end"][i]
            return f"{day_text(start) or '…'} → {day_text(end) or '…'}"
        if key == "started":
            return _wall_clock(cols["started"][i])
        if key == "wall":
            seconds = cols["wall"][i]
            if cols["status"][i] == "running" and not np.isnan(cols["started"][i]):
                seconds = time.time() - cols["started"][i] / 1e6
            return duration_text(seconds)
        if key in _FORMATS:
            return number_text(float(cols[key][i]), _FORMATS[key])
        return str(cols[key][i])

    def _tooltip(self, key: str, i: int) -> str | None:
        cols = self.table.columns
        if key == "name":
            lines = [f"Run {cols['run_id'][i]}"]
            if cols["tags_text"][i]:
                lines.append(f"Tags: {cols['tags_text'][i]}")
            if cols["notes"][i]:
                lines.append(str(cols["notes"][i]))
            return "\n".join(lines)
        if key in ("params_text", "symbols_text"):
            return str(cols[key][i]) or None
        if key == "status":
            return str(cols["error"][i]) or None
        if key == "range_start":
            return f"{date_text(cols['range_start'][i])} → {date_text(cols['range_end'][i])} UTC"
        return None


def _wall_clock(micros: float) -> str:
    if np.isnan(micros):
        return ""
    stamp = dt.datetime.fromtimestamp(micros / 1e6, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S")
