"""A blotter on screen: filter bar, table, context menu, remembered header, copy and CSV export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.events import Side
from ostdesk.gui.blotter.book import OrderStatus
from ostdesk.gui.blotter.filter import DONE, WORKING, RowFilter
from ostdesk.gui.blotter.models import BlotterModel
from ostdesk.gui.column_fit import fitted_width, widest_rows
from ostdesk.store import csv_text

_ROW_HEIGHT = 22
FIT_ROWS = 25  # rows Qt measures to fit a hidden table's columns (about a screenful)
FIT_TEXT_ROWS = 200  # rows whose texts choose the cells a fit measures (~2 ms a table)
_TIME_COLUMNS = frozenset({"Time", "Updated"})  # their sort key is the time in ns
_WIDTH = 92
_WIDTHS = {
    "Time": 156,
    "Updated": 156,
    "Order ID": 82,
    "Fill ID": 72,
    "Side": 56,
    "Type": 86,
    "TIF": 56,
    "Status": 132,
    "Reason": 320,
    "Strategy": 120,
    "Commission": 104,
    "Unrealised P&L": 124,
    "Realised P&L": 116,
    "Market value": 120,
}
_SIDES: tuple[tuple[str, Side | None], ...] = (
    ("All sides", None),
    ("Buy", Side.BUY),
    ("Sell", Side.SELL),
)
_STATUSES: tuple[tuple[str, frozenset[OrderStatus] | None], ...] = (
    ("All statuses", None),
    ("Working", WORKING),
    ("Done", DONE),
    *((s.value, frozenset({s})) for s in OrderStatus),
)


class _RowTable(QTableView):
    """A table whose Copy key copies whole rows; Qt's own copies only the current cell."""

    copyRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copyRequested.emit()
            event.accept()
        else:
            super().keyPressEvent(event)


class BlotterView(QWidget):
    """Filter bar over a sortable table of one ``BlotterModel``.

    Column widths, order, visibility and sort are saved under ``blotter/<name>/header``.
    """

    rowActivated = Signal(int)  # model row double-clicked

    def __init__(
        self,
        name: str,
        model: BlotterModel,
        *,
        statuses: bool = True,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.model = model
        self._settings = settings if settings is not None else QSettings()
        self._restoring = False
        self._fit_pending = True  # fit the columns to the next run's first rows

        self.symbol_box = QLineEdit(placeholderText="Filter symbol…", clearButtonEnabled=True)
        self.symbol_box.setMaximumWidth(180)
        self.side_box = QComboBox()
        for label, side in _SIDES:
            self.side_box.addItem(label, side)
        self.status_box = QComboBox()
        for label, wanted in _STATUSES:
            self.status_box.addItem(label, wanted)
        self.status_box.setVisible(statuses)
        self._statuses = statuses
        self.count_label = QLabel()
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count_label.setStyleSheet("color: palette(mid);")

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 4, 4, 2)
        bar.setSpacing(6)
        bar.addWidget(self.symbol_box)
        bar.addWidget(self.side_box)
        bar.addWidget(self.status_box)
        bar.addStretch(1)
        bar.addWidget(self.count_label)

        self.table = _RowTable()
        self._set_up_table()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addLayout(bar)
        self._layout.addWidget(self.table, 1)

        self.symbol_box.textChanged.connect(self._apply_filter)
        self.side_box.currentIndexChanged.connect(self._apply_filter)
        self.status_box.currentIndexChanged.connect(self._apply_filter)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._update_count)
        model.modelReset.connect(self._fit_first_rows)
        model.rowsInserted.connect(self._fit_first_rows)
        self._update_count()

    def _set_up_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setStyleSheet(
            "QTableView::item { padding: 0 6px; }"
            " QHeaderView::section { padding: 2px 6px; font-weight: 600; }"
        )
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_menu)
        table.doubleClicked.connect(self._on_double_click)
        table.copyRequested.connect(self.copy_selection)
        rows = table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(_ROW_HEIGHT)

        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setResizeContentsPrecision(FIT_ROWS)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_column_menu)
        for i, column in enumerate(self.model.columns):
            header.resizeSection(i, _WIDTHS.get(column.name, _WIDTH))
            header.setSectionHidden(i, not column.visible)
        first_sort_order = (
            Qt.SortOrder.DescendingOrder
            if self.model.columns[0].name == "Time"
            else Qt.SortOrder.AscendingOrder
        )
        header.setSortIndicator(0, first_sort_order)
        self._restore_header()
        table.setSortingEnabled(True)  # sorts the model by the (restored) indicator
        header.sectionResized.connect(self._save_header)
        header.sectionMoved.connect(self._save_header)
        header.sortIndicatorChanged.connect(self._save_header)

    def add_banner(self, widget: QWidget) -> None:
        """Show ``widget`` above the filter bar (the positions view's account line)."""
        self._layout.insertWidget(0, widget)

    # -- header state --------------------------------------------------------------------------

    @property
    def settings_key(self) -> str:
        return f"blotter/{self.name}/header"

    def _restore_header(self) -> None:
        state = self._settings.value(self.settings_key)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restoring = True
            self.table.horizontalHeader().restoreState(state)
            self._restoring = False

    def _save_header(self, *_: Any) -> None:
        if not self._restoring:
            self._settings.setValue(self.settings_key, self.table.horizontalHeader().saveState())

    def fit_columns(self) -> None:
        """Widen each shown column that cuts its header or cells (never narrow one: a width
        the trader chose stays), so "DEMO-ALPHA" reads whole. The texts of the first
        ``FIT_TEXT_ROWS`` rows say which cells are likely widest, and only those are measured
        (``widest_rows``): Qt measuring a screenful of rows in every column held the window
        ~6 ms for the four tables at a run's first rows. Not saved: the saved header holds
        the trader's own widths."""
        table, header, model = self.table, self.table.horizontalHeader(), self.model
        records = [model.record_at(row) for row in range(min(model.rowCount(), FIT_TEXT_ROWS))]
        if not records:
            return
        self._restoring = True
        try:
            for i, column in enumerate(model.columns):
                if header.isSectionHidden(i):
                    continue
                texts = np.array([column.text(record) for record in records], dtype=object)
                wanted = fitted_width(table, i, widest_rows(texts))
                if header.sectionSize(i) < wanted:
                    header.resizeSection(i, wanted)
        finally:
            self._restoring = False

    def fit_next_rows(self) -> None:
        """Fit the columns to the next rows shown, once: a new run's (live, opened or
        replayed). A replay's seeks reset the model many times; refitting four tables at
        each made every far move slower."""
        self._fit_pending = True

    def _fit_first_rows(self, *_: Any) -> None:
        if self._fit_pending and self.model.rowCount() > 0:
            self._fit_pending = False
            # on a turn of the event loop of its own: four tables measured inside the flush
            # that brought their first rows held the window ~40 ms more
            QTimer.singleShot(0, self, self.fit_columns)  # dropped with a closed view

    def set_column_visible(self, column: int, visible: bool) -> None:
        self.table.horizontalHeader().setSectionHidden(column, not visible)
        self._save_header()

    # -- filter --------------------------------------------------------------------------------

    def _apply_filter(self) -> None:
        self.model.set_filter(
            RowFilter(
                symbol=self.symbol_box.text().strip(),
                side=self.side_box.currentData(),
                statuses=self.status_box.currentData() if self._statuses else None,
            )
        )

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} row{'s' if n != 1 else ''}")

    # -- copy, export, menus ---------------------------------------------------------------------

    def visible_columns(self) -> list[int]:
        """Columns as the user sees them: shown ones, in on-screen order."""
        header = self.table.horizontalHeader()
        logical = [header.logicalIndex(v) for v in range(header.count())]
        return [c for c in logical if not header.isSectionHidden(c)]

    def selected_rows(self) -> list[int]:
        return sorted(ix.row() for ix in self.table.selectionModel().selectedRows())

    def rows_as_table(self, rows: list[int]) -> list[list[str]]:
        """Header line then one line per row, visible columns only, numbers without separators."""
        columns = self.visible_columns()
        lines = [[self.model.columns[c].name for c in columns]]
        lines += [[self.model.cell_text(r, c) for c in columns] for r in rows]
        return lines

    def copy_selection(self) -> str:
        """Put the selected rows on the clipboard as tab-separated text (for a spreadsheet)."""
        rows = self.selected_rows()
        if not rows:
            return ""
        text = "\n".join(
            "\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line)
            for line in self.rows_as_table(rows)
        )
        QGuiApplication.clipboard().setText(text)
        return text

    def export_csv(self, path: Path | str) -> int:
        """Write every row shown (filter and sort as on screen) to ``path``; return the count.

        Cells are written as the command line's export writes them (``store.csv_text``):
        ISO-8601 UTC times and numbers at full precision less arithmetic noise, not the
        screen's rounding; an empty cell stays empty.
        """
        rows = list(range(self.model.rowCount()))
        columns = self.visible_columns()
        lines = [[self.model.columns[c].name for c in columns]]
        lines += [[self._export_text(r, c) for c in columns] for r in rows]
        with open(path, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(lines)
        return len(rows)

    def _export_text(self, row: int, column: int) -> str:
        text = self.model.cell_text(row, column)
        col = self.model.columns[column]
        if not text or not (col.numeric or col.name in _TIME_COLUMNS):
            return text
        key = col.key(self.model.record_at(row))  # the value itself: a number, or a time in ns
        if col.name in _TIME_COLUMNS:
            return csv_text.iso_time(int(key))
        return str(key) if isinstance(key, int) else csv_text.number_text(float(key))

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {self.name}", f"{self.name}.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_csv(path)

    def _show_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        copy = QAction("Copy rows", menu)
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setEnabled(bool(self.selected_rows()))
        copy.triggered.connect(self.copy_selection)
        menu.addAction(copy)
        menu.addAction("Export CSV…", self._ask_export)
        menu.addAction("Fit columns to rows", self.fit_columns)
        menu.addSeparator()
        menu.addMenu(self._column_menu(menu))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _show_column_menu(self, pos: QPoint) -> None:
        self._column_menu(self).exec(self.table.horizontalHeader().mapToGlobal(pos))

    def _column_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Columns", parent)
        header = self.table.horizontalHeader()
        for i, column in enumerate(self.model.columns):
            action = menu.addAction(column.name)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.toggled.connect(lambda on, i=i: self.set_column_visible(i, on))
        return menu

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.isValid():
            self.rowActivated.emit(index.row())
