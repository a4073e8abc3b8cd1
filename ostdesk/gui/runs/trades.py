"""The round-trip trade list of a run: a sortable Qt model over ``run_trades`` columns."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ostdesk.gui.runs.format import date_text, duration_text, number_text
from ostdesk.store.runs import Columns

# (column key in run_trades, header, format; None = text, "time", "duration" or a format)
TRADE_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("symbol", "Symbol", None),
    ("side", "Side", None),
    ("size", "Size", "{:,.4g}"),
    ("entry_ts", "Entry", "time"),
    ("entry_price", "Entry price", "{:,.4f}"),
    ("exit_ts", "Exit", "time"),
    ("exit_price", "Exit price", "{:,.4f}"),
    ("pnl", "P&L", "{:+,.2f}"),
    ("return_pct", "Return %", "{:+,.2f}"),
    ("duration_ns", "Duration", "duration"),
    ("mae_pct", "MAE %", "{:,.2f}"),
    ("mfe_pct", "MFE %", "{:,.2f}"),
)
EXIT_COLUMN = [c[0] for c in TRADE_COLUMNS].index("exit_ts")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
AnyIndex = QModelIndex | QPersistentModelIndex
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
    }
)


class TradeTableModel(QAbstractTableModel):
    def __init__(self, win: QColor, loss: QColor) -> None:
        super().__init__()
        self.colors = (win, loss)
        self.trades: Columns = {}
        self.rows = np.zeros(0, dtype=np.intp)
        self.sort_column = EXIT_COLUMN
        self.descending = False

    def set_trades(self, trades: Columns) -> None:
        """Show another run's trades, in the order the user last sorted by."""
        self.beginResetModel()
        self.trades = trades
        self.rows = self._sorted()
        self.endResetModel()

    def trade_at(self, row: int) -> tuple[str, int, int]:
        """Symbol, entry and exit time (ns) of the trade shown in ``row``."""
        i = self.rows[row]
        t = self.trades
        return str(t["symbol"][i]), int(t["entry_ts"][i]), int(t["exit_ts"][i])

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(TRADE_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return TRADE_COLUMNS[section][1]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.beginResetModel()
        self.sort_column = column
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.rows = self._sorted()
        self.endResetModel()

    def _sorted(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        values = self.trades.get(TRADE_COLUMNS[self.sort_column][0])
        if values is None or not len(values):
            return np.zeros(0, dtype=np.intp)
        if values.dtype == object:
            values = np.unique(values.astype(str), return_inverse=True)[1]
        keys = np.asarray(values, dtype=np.float64)
        return np.argsort(-keys if self.descending else keys, kind="stable")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():  # views ask for ~10 roles per cell
            return None
        key, _, fmt = TRADE_COLUMNS[index.column()]
        value = self.trades[key][self.rows[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            if fmt is None:
                return str(value)
            if fmt == "time":
                return date_text(float(value))
            if fmt == "duration":
                return duration_text(float(value) / 1e9)
            return number_text(float(value), fmt)
        if role == Qt.ItemDataRole.TextAlignmentRole and fmt is not None:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and key in ("pnl", "return_pct"):
            number = float(value)
            return None if np.isnan(number) else self.colors[0 if number > 0 else 1]
        return None
