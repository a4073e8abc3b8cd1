"""The run browser: every recorded run, searchable, filterable and sortable, with actions.

It never touches the database on the GUI thread: listing, renaming, deleting and exporting
are jobs of its ``RunWorker``. What opening, comparing and re-running a run *do* belongs to
the main window, which connects the request signals.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.runs import queries
from ostdesk.gui.runs.dialogs import ExportDialog, RunEditDialog
from ostdesk.gui.runs.model import RunTableModel
from ostdesk.gui.runs.table import COLUMN_KEYS, RunQuery, RunTable
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.research.stitched import rerun_refusal
from ostdesk.store.database import Database
from ostdesk.store.errors import StoreError
from ostdesk.store.run_schema import RUN_STATUSES
from ostdesk.store.runs import get_run, update_run

DATE_FILTERS = (("Any date", None), ("Today", 0), ("Last 7 days", 7), ("Last 30 days", 30))
_WIDTHS = {
    "run_id": 50,
    "name": 140,
    "params_text": 170,
    "symbols_text": 120,
    "range_start": 170,
    "started": 140,
}
_TICK_MS = 1000


class RunBrowser(QWidget):
    """The run list of one database. ``shutdown()`` it before closing the database."""

    openRequested = Signal(object)  # run_id: int
    replayRequested = Signal(object)  # run_id: int
    compareRequested = Signal(object)  # list[int] of 2+ run ids
    rerunRequested = Signal(object)  # the run's stored row (get_run: params as a dict)
    runsDeleted = Signal(object)  # list[int]
    refreshed = Signal(int)  # number of runs in the database after a refresh

    def __init__(self, db: Database | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker: RunWorker | None = None
        self._owned_db: Database | None = None
        self._loading = False
        self._stale = False
        self._kept_ids: list[int] = []
        self.model = RunTableModel()
        self._build()
        self._tick = QTimer(self, interval=_TICK_MS)
        self._tick.timeout.connect(self.model.tick_running)
        self._tick.start()
        if db is not None:
            self.set_database(db)

    # -- database ---------------------------------------------------------------------------
    def set_database(self, db: Database) -> None:
        """Show the runs of ``db`` (the caller keeps owning it)."""
        self.shutdown()
        self.worker = RunWorker(db, self)
        self.worker.failed.connect(self.show_error)
        self.model.set_table(RunTable.empty())
        self.refresh()

    def open_file(self, path: Path | str) -> bool:
        """Open and show another database file (owned, closed by ``shutdown``); on failure,
        such as a file another process holds, say why in the browser and return False."""
        try:
            db = Database.open(path)
        except StoreError as exc:
            self.shutdown()
            self.model.set_table(RunTable.empty())
            self.show_error(f"Cannot open the database: {exc}")
            return False
        self.set_database(db)
        self._owned_db = db
        return True

    def shutdown(self) -> None:
        """End the worker thread (and close a database opened with ``open_file``)."""
        if self.worker is not None:
            self.worker.close()
            self.worker.deleteLater()
            self.worker = None
        if self._owned_db is not None:
            self._owned_db.close()
            self._owned_db = None
        self._loading = self._stale = False

    # -- live updates -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list in the background; requests while one loads are coalesced."""
        if self.worker is None:
            return
        if self._loading:
            self._stale = True
            return
        self._loading = True
        self.worker.submit(queries.load_table, self._on_table, self._on_table_error)

    def run_started(self, run_id: int) -> None:
        """A run was just recorded as ``running``: show it."""
        self.refresh()

    def run_finished(self, run_id: int) -> None:
        """A run ended: show its final status and statistics."""
        self.refresh()

    def _on_table(self, table: RunTable) -> None:
        self._loading = False
        if self._stale:
            self._stale = False
            self.refresh()
        self.banner.hide()
        self._set_strategies(table.strategies())
        self.model.set_table(table)
        self._update_count()
        self.refreshed.emit(len(table))

    def _on_table_error(self, message: str) -> None:
        self._loading = False
        self.show_error(f"Cannot list the runs: {message}")

    # -- selection and requests ---------------------------------------------------------------
    def selected_run_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.run_id_at(r) for r in rows]

    def select_runs(self, run_ids: Sequence[int]) -> None:
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row in self.model.rows_of(list(run_ids)):
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.table.selectionModel().select(selection, flags)

    def open_selected(self) -> None:
        ids = self.selected_run_ids()
        if ids:
            self.openRequested.emit(ids[0])

    def replay_selected(self) -> None:
        ids = self.selected_run_ids()
        if ids:
            self.replayRequested.emit(ids[0])

    def compare_selected(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) >= 2:
            self.compareRequested.emit(ids)
        else:
            self.show_message("Select two or more runs to compare them.")

    def rerun_selected(self) -> None:
        ids = self.selected_run_ids()
        if ids:
            self._submit(functools.partial(get_run, run_id=ids[0]), self._rerun)

    def _rerun(self, run: dict[str, Any]) -> None:
        """Ask for a re-run of ``run``, unless it is not one backtest (a walk-forward's
        stitched run): then the banner says so, and what runs it again."""
        refusal = rerun_refusal(run)
        if refusal is None:
            self.rerunRequested.emit(run)
        else:
            self.show_message(refusal)

    # -- changes ----------------------------------------------------------------------------
    def edit_run(
        self,
        run_id: int,
        *,
        name: str | None = None,
        notes: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> None:
        """Rename a run or set its notes or tags (saved, then the list refreshes)."""

        def query(cur: Any) -> None:
            update_run(cur, run_id, name=name, notes=notes, tags=tags)

        self._submit(query, lambda _: self.refresh())

    def edit_selected(self) -> None:
        ids = self.selected_run_ids()
        if not ids:
            return
        row = self.model.rows_of(ids[:1])[0]
        dialog = RunEditDialog(
            ids[0],
            str(self.model.value(row, "name")),
            str(self.model.value(row, "tags_text")),
            str(self.model.value(row, "notes")),
            self,
        )
        if dialog.exec():
            name, tags, notes = dialog.values()
            self.edit_run(ids[0], name=name, tags=tags, notes=notes)

    def delete_runs(self, run_ids: Sequence[int], *, confirm: bool = True) -> None:
        """Delete runs and all their rows, after asking unless ``confirm`` is False."""
        ids = list(run_ids)
        if not ids or self.worker is None:
            return
        if confirm and not self._confirm_delete(ids):
            return
        db = self.worker.db
        self._submit(lambda _cur: queries.delete_runs(db, ids), self._on_deleted)

    def delete_selected(self) -> None:
        self.delete_runs(self.selected_run_ids())

    def _confirm_delete(self, ids: list[int]) -> bool:
        what = f"run {ids[0]}" if len(ids) == 1 else f"{len(ids)} runs"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete runs",
            f"Delete {what} with all its recorded data? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _on_deleted(self, ids: list[int]) -> None:
        self.runsDeleted.emit(ids)
        self.refresh()

    def export_runs(
        self, run_ids: Sequence[int], whats: Sequence[str], folder: Path | str, fmt: str
    ) -> None:
        ids, tables, target = list(run_ids), list(whats), Path(folder)

        def query(cur: Any) -> list[Path]:
            return queries.export_runs(cur, ids, tables, target, fmt)

        self._submit(
            query, lambda paths: self.show_message(f"Exported {len(paths)} files to {target}")
        )

    def export_selected(self) -> None:
        ids = self.selected_run_ids()
        if not ids:
            return
        dialog = ExportDialog(str(Path.home()), self)
        if dialog.exec():
            whats, fmt, folder = dialog.choice()
            self.export_runs(ids, whats, folder, fmt)

    def export_report(self, run_id: int, path: Path | str) -> None:
        """Write run ``run_id``'s report (one self-contained HTML file) to ``path`` on the
        database thread; the banner says where it went, or why it could not be written."""
        from ostdesk.report import write_report

        def query(cur: Any) -> Path:
            return write_report(cur, run_id, path)

        self._submit(
            query, lambda done: self.show_message(f"Wrote the report of run {run_id} to {done}")
        )

    def export_report_selected(self) -> None:
        ids = self.selected_run_ids()
        if not ids:
            return
        suggested = str(Path.home() / f"run-{ids[0]}.html")
        path, _ = QFileDialog.getSaveFileName(self, "Export report", suggested, "HTML (*.html)")
        if path:
            self.export_report(ids[0], path)

    def _submit(self, query: Callable[[Any], Any], on_done: Callable[[Any], None]) -> None:
        if self.worker is None:
            self.show_error("No database is open.")
            return
        self.worker.submit(query, on_done, self.show_error)

    # -- messages -----------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.banner.setStyleSheet("color: #ef5350;")
        self.banner.setText(text)
        self.banner.show()

    def show_message(self, text: str) -> None:
        self.banner.setStyleSheet("")
        self.banner.setText(text)
        self.banner.show()

    # -- search and filters -------------------------------------------------------------------
    def current_query(self) -> RunQuery:
        status = self.status_box.currentData()
        days = self.date_box.currentData()
        started_from = None
        if days is not None:
            now = dt.datetime.now().astimezone()
            since = now.replace(hour=0, minute=0, second=0, microsecond=0)
            since -= dt.timedelta(days=days)
            started_from = int(since.timestamp() * 1e6)
        return RunQuery(
            text=self.search_box.text(),
            statuses=frozenset({status}) if status else frozenset(),
            strategy=self.strategy_box.currentData(),
            started_from_us=started_from,
        )

    def _apply_query(self) -> None:
        self.model.set_query(self.current_query())
        self._update_count()

    def _set_strategies(self, strategies: list[str]) -> None:
        current = self.strategy_box.currentData()
        self.strategy_box.blockSignals(True)
        self.strategy_box.clear()
        self.strategy_box.addItem("Any strategy", None)
        for name in strategies:
            self.strategy_box.addItem(name, name)
        index = self.strategy_box.findData(current) if current else 0
        self.strategy_box.setCurrentIndex(max(index, 0))
        self.strategy_box.blockSignals(False)
        if current and index < 0:
            self._apply_query()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.table)
        self.count_label.setText(f"{total:,} runs" if shown == total else f"{shown:,} of {total:,}")
        self._update_actions()

    # -- building -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search name, strategy, symbol, parameter, tag…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._apply_query)
        self.status_box = QComboBox()
        self.status_box.addItem("Any status", None)
        for status in RUN_STATUSES:
            self.status_box.addItem(status.capitalize(), status)
        self.strategy_box = QComboBox()
        self.strategy_box.addItem("Any strategy", None)
        self.date_box = QComboBox()
        for label, days in DATE_FILTERS:
            self.date_box.addItem(label, days)
        for box in (self.status_box, self.strategy_box, self.date_box):
            box.currentIndexChanged.connect(self._apply_query)
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(self.search_box, 1)
        for widget in (self.status_box, self.strategy_box, self.date_box, self.count_label):
            filters.addWidget(widget)

        self.actions = self._make_actions()
        buttons = QHBoxLayout()
        for key in ("open", "compare", "edit", "rerun", "export", "delete"):
            button = QToolButton()
            button.setDefaultAction(self.actions[key])
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.table = self._make_table()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(filters)
        layout.addLayout(buttons)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)

    def _make_actions(self) -> dict[str, QAction]:
        specs = {
            "open": ("Open", self.open_selected, QKeySequence(Qt.Key.Key_Return)),
            "replay": ("Replay", self.replay_selected, None),
            "compare": ("Compare", self.compare_selected, None),
            "edit": ("Edit…", self.edit_selected, QKeySequence(Qt.Key.Key_F2)),
            "rerun": ("Re-run", self.rerun_selected, None),
            "export": ("Export…", self.export_selected, None),
            "report": ("Export report…", self.export_report_selected, None),
            "delete": (
                "Delete",
                self.delete_selected,
                QKeySequence(QKeySequence.StandardKey.Delete),
            ),
        }
        actions = {}
        for key, (text, slot, shortcut) in specs.items():
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(shortcut)
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
            actions[key] = action
        actions["edit"].setToolTip("Rename the run and set its tags and notes")
        actions["report"].setToolTip(
            "Write the run's report: one HTML file to share, which opens offline in any browser"
        )
        actions["replay"].setToolTip("Replay the run bar by bar (F6 or Esc leaves the replay)")
        actions["rerun"].setToolTip("Run the same configuration again now, as a new run")
        return actions

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setSortingEnabled(True)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_menu)
        table.doubleClicked.connect(self._on_double_click)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultSectionSize(80)
        for key, width in _WIDTHS.items():
            header.resizeSection(COLUMN_KEYS.index(key), width)
        header.setSortIndicator(COLUMN_KEYS.index("run_id"), Qt.SortOrder.DescendingOrder)
        self.model.modelAboutToBeReset.connect(self._keep_selection)
        self.model.modelReset.connect(self._restore_selection)
        table.selectionModel().selectionChanged.connect(self._update_actions)
        return table

    def _keep_selection(self) -> None:
        self._kept_ids = self.selected_run_ids()

    def _restore_selection(self) -> None:
        if self._kept_ids:
            self.select_runs(self._kept_ids)
        self._update_actions()

    def _update_actions(self) -> None:
        n = len(self.table.selectionModel().selectedRows())
        for key in ("open", "replay", "edit", "rerun"):
            self.actions[key].setEnabled(n >= 1)
        self.actions["compare"].setEnabled(n >= 2)
        self.actions["export"].setEnabled(n >= 1)
        self.actions["report"].setEnabled(n == 1)
        self.actions["delete"].setEnabled(n >= 1)

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.isValid():
            self.openRequested.emit(self.model.run_id_at(index.row()))

    def _show_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for key in ("open", "replay", "compare", "edit", "rerun", "export", "report"):
            menu.addAction(self.actions[key])
        menu.addSeparator()
        menu.addAction(self.actions["delete"])
        menu.popup(self.table.viewport().mapToGlobal(pos))
