"""The stored studies, newest first: open one to see its trials, resume one that was
cancelled or interrupted (a crash leaves a study ``running``; the window marks it
``interrupted`` when it opens the database, as the CLI does)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store.studies import list_studies

RESUMABLE = ("interrupted", "cancelled", "failed")
COLUMNS = ("Study", "Status", "Strategy", "Method", "Trials", "Objectives", "Name", "Created")


class StudiesList(QWidget):
    openRequested = Signal(int)
    resumeRequested = Signal(int)
    failed = Signal(str)

    def __init__(self, worker: RunWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.rows: list[dict[str, Any]] = []
        self.busy = False  # a study runs: nothing can be resumed meanwhile
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Show the study's trials, heatmap and front (double-click)")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip(
            "Go on with a cancelled or interrupted study; its stored trials are not run again"
        )
        self.refresh_button = QPushButton("Refresh")
        buttons = QHBoxLayout()
        for b in (self.open_button, self.resume_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(self._open)
        self.resume_button.clicked.connect(self._resume)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self._open())
        self._update_buttons()

    def refresh(self) -> None:
        self.worker.submit(list_studies, self._show, self.failed.emit)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def select(self, study_id: int) -> None:
        for i, row in enumerate(self.rows):
            if row["study_id"] == study_id:
                self.table.selectRow(i)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def _show(self, rows: list[dict[str, Any]]) -> None:
        chosen = self.selected()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            planned = "?" if r["planned"] is None else f"{r['planned']:,}"
            cells = (
                str(r["study_id"]),
                r["status"],
                r["strategy"],
                r["method"],
                f"{r['trials']:,} / {planned}",
                r["objectives"],
                r["name"] or "",
                str(r["created_at"])[:19],
            )
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        if chosen is not None:
            self.select(chosen["study_id"])
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.selected()
        self.open_button.setEnabled(row is not None)
        self.resume_button.setEnabled(
            row is not None and row["status"] in RESUMABLE and not self.busy
        )

    def _open(self) -> None:
        row = self.selected()
        if row is not None:
            self.openRequested.emit(int(row["study_id"]))

    def _resume(self) -> None:
        row = self.selected()
        if row is not None and row["status"] in RESUMABLE and not self.busy:
            self.resumeRequested.emit(int(row["study_id"]))
