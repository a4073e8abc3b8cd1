"""Qt table models over the Qt-free books: one per blotter, fed one bridge batch at a time.

A batch becomes at most one ``rowsInserted`` (plus a layout change when, under a user sort, the
new rows land apart), one ``dataChanged`` spanning the updated rows, and, for working orders, one
``rowsRemoved`` per contiguous run of ended orders. Models are only reset on a bulk load, a
filter change or a new run. Sorting and filtering are numpy work in ``SortedRows``; a row whose
values change keeps its place until the next sort or filter change, so rows never jump under
the mouse.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ostdesk.engine.events import Side
from ostdesk.engine.portfolio import Position
from ostdesk.gui.blotter.book import (
    AccountBook,
    BookChanges,
    FillRecord,
    OrderBook,
    OrderRecord,
    OrderStatus,
)
from ostdesk.gui.blotter.columns import (
    Column,
    SortKey,
    fill_columns,
    order_columns,
    position_columns,
)
from ostdesk.gui.blotter.filter import RowFilter
from ostdesk.gui.blotter.format import PricePrecision, time_text
from ostdesk.gui.blotter.rows import SortedRows
from ostdesk.gui.colors import MarketColors

SORT_ROLE = Qt.ItemDataRole.UserRole
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset({_DISPLAY, _ALIGN, _FOREGROUND, _TOOLTIP, SORT_ROLE})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_MUTED = QColor("#8a8f98")
_FILLED = QColor("#4f9cf5")
_ALERT = QColor("#f0a030")

AnyIndex = QModelIndex | QPersistentModelIndex


class BlotterModel(QAbstractTableModel):
    """Rows of records in a ``SortedRows`` order; subclasses say where records come from."""

    def __init__(self, columns: Sequence[Column[Any]], colors: MarketColors) -> None:
        super().__init__()
        self.columns = list(columns)
        self.filter = RowFilter()
        self._rows = SortedRows.empty()
        self._sort_column = 0
        self._tones: dict[str, QColor] = {}
        self.set_colors(colors)

    # -- what a subclass provides -------------------------------------------------------------

    def _record(self, index: int) -> Any:
        raise NotImplementedError

    def _candidates(self) -> Iterable[int]:
        """Indices of every record the blotter could show, ascending."""
        raise NotImplementedError

    def _filter_fields(self, record: Any) -> tuple[str, Side | None, OrderStatus | None]:
        raise NotImplementedError

    def _tooltip(self, record: Any, column: int) -> str | None:
        tip = self.columns[column].tip
        return None if tip is None else tip(record)

    def locate(self, row: int) -> tuple[str, int] | None:
        """(symbol, ts_ns) the chart should centre on for this row, if any."""
        return None

    # -- Qt's interface -----------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == _DISPLAY:
                return self.columns[section].name
            if role == _ALIGN:
                return _RIGHT if self.columns[section].numeric else _LEFT
        return None

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        column = self.columns[index.column()]
        if role == _ALIGN:
            return _RIGHT if column.numeric else _LEFT
        record = self._record(self._rows.record(index.row()))
        if role == _DISPLAY:
            return column.text(record)
        if role == _FOREGROUND:
            tone = column.tone(record) if column.tone is not None else None
            return None if tone is None else self._tones[tone]
        if role == _TOOLTIP:
            return self._tooltip(record, index.column())
        return column.key(record)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows shown by ``column`` (numpy, stable; ties newest first when descending)."""
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        old = self._rows
        self._sort_column = column
        records = np.sort(old.records)
        self._rows = SortedRows.sort(
            records, self._keys(records), order is Qt.SortOrder.DescendingOrder
        )
        self._move_persistent(old, shift=0)
        self.layoutChanged.emit()

    # -- for views and the container ----------------------------------------------------------

    def record_at(self, row: int) -> Any:
        return self._record(self._rows.record(row))

    def set_filter(self, row_filter: RowFilter) -> None:
        if row_filter != self.filter:
            self.filter = row_filter
            self.rebuild()

    def set_colors(self, colors: MarketColors) -> None:
        self._tones = {
            "buy": colors.buy,
            "sell": colors.sell,
            "up": colors.up,
            "down": colors.down,
            "muted": _MUTED,
            "filled": _FILLED,
            "alert": _ALERT,
        }
        if len(self._rows):
            self._changed_rows(0, len(self._rows) - 1)

    def rebuild(self) -> None:
        """Recompute every row from the book (bulk load, filter change, new run)."""
        self.beginResetModel()
        records = np.fromiter(self._accepted(self._candidates()), np.int64)
        descending = self._rows.descending
        self._rows = SortedRows.sort(records, self._keys(records), descending)
        self.endResetModel()

    def cell_text(self, row: int, column: int) -> str:
        """A cell as plain text for copy and CSV: no thousands separators in numbers."""
        col = self.columns[column]
        text = col.text(self.record_at(row))
        return text.replace(",", "") if col.numeric else text

    # -- batch plumbing for subclasses --------------------------------------------------------

    def _accepted(self, indices: Iterable[int]) -> list[int]:
        row_filter = self.filter
        if not row_filter.active:
            return list(indices)
        record, fields = self._record, self._filter_fields
        return [i for i in indices if row_filter.accepts(*fields(record(i)))]

    def _keys(self, records: np.ndarray) -> np.ndarray:
        times = self._times()
        if times is not None and self.columns[self._sort_column].name == "Time":
            keys: np.ndarray = np.frombuffer(times, np.int64)[records]
            return keys  # ~50x faster than a call per row
        key = self.columns[self._sort_column].key
        record = self._record
        values: list[SortKey] = [key(record(int(i))) for i in records]
        return np.array(values) if values else np.empty(0, np.float64)

    def _times(self) -> array[int] | None:
        """The "Time" column's key of every record as one column, if the model has it."""
        return None

    def _insert(self, indices: Iterable[int]) -> None:
        accepted = self._accepted(indices)
        if not accepted:
            return
        records = np.asarray(accepted, np.int64)
        old = self._rows
        new, first = old.merged(records, self._keys(records))
        n = len(records)
        self.beginInsertRows(QModelIndex(), first or 0, (first or 0) + n - 1)
        self._rows = new
        self.endInsertRows()
        if first is None:
            # Inserted as a block at the top, now moved to their sorted places.
            self.layoutAboutToBeChanged.emit()
            self._move_persistent(old, shift=n)
            self.layoutChanged.emit()

    def _update(self, indices: Sequence[int]) -> None:
        rows = self._rows.rows_of(indices)
        rows = rows[rows >= 0]
        if len(rows):
            self._changed_rows(int(rows.min()), int(rows.max()))

    def _remove(self, indices: Sequence[int]) -> None:
        rows = self._rows.rows_of(indices)
        rows = np.sort(rows[rows >= 0])[::-1]
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] - 1:
                last, first = int(rows[start]), int(rows[i - 1])
                self.beginRemoveRows(QModelIndex(), first, last)
                self._rows = self._rows.without_rows(first, last)
                self.endRemoveRows()
                start = i

    def _changed_rows(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    def _move_persistent(self, old: SortedRows, shift: int) -> None:
        """Point persistent indexes (selection, current cell) at their records' new rows."""
        indexes = self.persistentIndexList()
        if not indexes:
            return
        olds = [ix.row() - shift for ix in indexes]
        records = [old.record(r) if 0 <= r < len(old) else -1 for r in olds]
        rows = self._rows.rows_of(records)
        self.changePersistentIndexList(
            indexes,
            [
                self.index(int(r), ix.column()) if r >= 0 else QModelIndex()
                for r, ix in zip(rows, indexes, strict=True)
            ],
        )


class _OrderModel(BlotterModel):
    def __init__(
        self, book: OrderBook, prices: PricePrecision, colors: MarketColors, *, history: bool
    ) -> None:
        self.book = book
        super().__init__(order_columns(prices, history=history), colors)
        self._status_column = [c.name for c in self.columns].index("Status")

    def set_book(self, book: OrderBook) -> None:
        self.book = book
        self.rebuild()

    def _record(self, index: int) -> OrderRecord:
        return self.book.orders[index]

    def _times(self) -> array[int]:
        return self.book.submitted_ns

    def _filter_fields(self, record: OrderRecord) -> tuple[str, Side | None, OrderStatus | None]:
        return record.symbol, record.side, record.status

    def _tooltip(self, record: OrderRecord, column: int) -> str | None:
        if column == self._status_column:
            steps = self.book.history(record)
            return "\n".join(f"{time_text(ts)}   {label}" for ts, label in steps)
        return super()._tooltip(record, column)

    def locate(self, row: int) -> tuple[str, int] | None:
        order = self.record_at(row)
        return order.symbol, order.submitted_ns


class WorkingOrdersModel(_OrderModel):
    """Live orders only: a row appears when an order is submitted and leaves when it ends."""

    def __init__(self, book: OrderBook, prices: PricePrecision, colors: MarketColors) -> None:
        super().__init__(book, prices, colors, history=False)

    def _candidates(self) -> Iterable[int]:
        return self.book.working()

    def apply(self, changes: BookChanges) -> None:
        if changes.working_ended:
            self._remove(changes.working_ended)
        if changes.working_added:
            self._insert(changes.working_added)
        if changes.working_updated:
            self._update(changes.working_updated)


class OrdersModel(_OrderModel):
    """Every order with its lifecycle status, fill price and reason."""

    def __init__(self, book: OrderBook, prices: PricePrecision, colors: MarketColors) -> None:
        super().__init__(book, prices, colors, history=True)

    def _candidates(self) -> Iterable[int]:
        return range(len(self.book.orders))

    def apply(self, changes: BookChanges) -> None:
        if changes.inserted:
            self._insert(changes.inserted)
        if changes.updated:
            self._update(changes.updated)


class FillsModel(BlotterModel):
    def __init__(self, book: OrderBook, prices: PricePrecision, colors: MarketColors) -> None:
        self.book = book
        super().__init__(fill_columns(prices), colors)

    def set_book(self, book: OrderBook) -> None:
        self.book = book
        self.rebuild()

    def _record(self, index: int) -> FillRecord:
        return self.book.fill(index)

    def _times(self) -> array[int]:
        return self.book.fill_ns

    def _candidates(self) -> Iterable[int]:
        return range(len(self.book.fills))

    def _filter_fields(self, record: FillRecord) -> tuple[str, Side | None, OrderStatus | None]:
        return record.fill.symbol, record.fill.side, None

    def locate(self, row: int) -> tuple[str, int] | None:
        fill = self.record_at(row).fill
        return fill.symbol, fill.ts_event_ns

    def apply(self, changes: BookChanges) -> None:
        if changes.fills:
            self._insert(changes.fills)


class PositionsModel(BlotterModel):
    """One row per traded symbol (flat positions stay, with their realised P&L)."""

    def __init__(self, account: AccountBook, prices: PricePrecision, colors: MarketColors) -> None:
        self.account = account
        self._shown = len(account.symbols)
        super().__init__(position_columns(prices), colors)
        self._rows = SortedRows.empty(descending=False)

    def set_account(self, account: AccountBook) -> None:
        self.account = account
        self.rebuild()

    def rebuild(self) -> None:
        self._shown = len(self.account.symbols)
        super().rebuild()

    def _record(self, index: int) -> Position:
        return self.account.portfolio.positions[self.account.symbols[index]]

    def _candidates(self) -> Iterable[int]:
        return range(len(self.account.symbols))

    def _filter_fields(self, record: Position) -> tuple[str, Side | None, OrderStatus | None]:
        side = Side.BUY if record.quantity > 0 else Side.SELL if record.quantity < 0 else None
        return record.symbol, side, None

    def apply(self, changed: set[str]) -> None:
        symbols = self.account.symbols
        if len(symbols) > self._shown:
            self._insert(range(self._shown, len(symbols)))
            self._shown = len(symbols)
        if changed:
            self._update([i for i, s in enumerate(symbols) if s in changed])
