"""The Walk-forward panel: walk a stored study forward (its strategy, space, objective, method
and data) with in-sample and out-of-sample lengths in bars or days, rolling or anchored; a
row per window as it finishes (its dates, best parameters, in- and out-of-sample statistics),
the walk-forward efficiency, and the stitched out-of-sample run to open in the chart.

The work runs on ``WalkForwardThread``; this panel only shows what its signals hand over."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.optimize.walkforward_thread import WalkForwardRequest, WalkForwardThread
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.research.spec import StudySpec
from ostdesk.research.study import StudyProgress
from ostdesk.research.walkforward import (
    MIN_ANNUALISED_DAYS,
    STITCHED_NOTE,
    WalkForward,
    Window,
    WindowResult,
)
from ostdesk.store.database import Database
from ostdesk.store.studies import list_studies
from ostdesk.store.timefmt import format_ns

DAY_NS = 86_400 * 10**9
EFFICIENCY_TIP = (
    "Walk-forward efficiency (Pardo): the mean yearly out-of-sample return of the chosen "
    "parameters over their mean yearly in-sample return (continuously compounded). Near 1: "
    "the optimisation held out of sample; near 0 or below: it did not. Undefined (n/a) when "
    "the mean in-sample return is not above 0."
)


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def _efficiency_text(result: WalkForward) -> str:
    """The efficiency with the two means it divides (and why it is n/a, if it is)."""

    def percent(rate: float) -> str:
        return f"{100 * rate:+.2f}%" if math.isfinite(rate) else "n/a"

    text = (
        f"Walk-forward efficiency: {_number(result.efficiency)} (mean yearly return out of "
        f"sample {percent(result.oos_mean)}, in sample {percent(result.is_mean)})"
    )
    if result.efficiency_note is not None and math.isfinite(result.is_mean):
        text += ": in-sample mean not above 0"
    return text


SHORT_TIP = (
    f"Fewer than {MIN_ANNUALISED_DAYS} trading days in sample or out of sample: annualised "
    "figures (Sharpe, Sortino, Return (Ann.)) scale a few days up to a year; compare the "
    "returns instead."
)


def _day(ts_ns: int) -> str:
    """A window bound to the microsecond, as bar times are stored (the last window ends a
    nanosecond past its last bar, which is no time a user knows)."""
    return format_ns(ts_ns // 1000 * 1000).removesuffix(" UTC").removesuffix(" 00:00:00")


class WalkForwardPanel(QWidget):
    """Pick a study, set the windows, Start; ``openRunRequested(run_id)`` asks the window to
    show the stitched run (or a window's out-of-sample run, double-clicked)."""

    openRunRequested = Signal(int)
    problemReported = Signal(str)

    def __init__(self, db: Database, worker: RunWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.walker = WalkForwardThread(db, self)
        self.spec: StudySpec | None = None
        self.windows: list[Window] = []
        self.results: list[WindowResult] = []
        self.result: WalkForward | None = None

        self.study = QComboBox()
        self.study.setToolTip("The stored study to walk forward (`ostdesk studies`)")
        self.refresh_button = QPushButton("Refresh")
        self.in_sample = self._length(500, "Length of each in-sample window, optimised on")
        self.out_of_sample = self._length(100, "Length of each out-of-sample window, run after")
        self.unit = QComboBox()
        self.unit.addItems(["bars", "days"])
        self.anchored = QCheckBox("Anchored")
        self.anchored.setToolTip("Every in-sample window starts at the first bar (else: rolling)")
        self.workers = QSpinBox()
        self.workers.setRange(1, 256)
        self.workers.setValue(os.cpu_count() or 1)
        self.workers.setToolTip("Trials run at once in each in-sample study")
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.open_button = QPushButton("Open stitched run")
        self.open_button.setToolTip(
            "The out-of-sample windows as one run, each with its window's parameters"
        )
        self.progress = QProgressBar()
        self.progress_label = QLabel("")
        self.efficiency = QLabel("Walk-forward efficiency: n/a")
        self.efficiency.setToolTip(EFFICIENCY_TIP)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Double-click a window to open its out-of-sample run")
        self._layout()
        self._connect()
        self._set_running(False)

    @staticmethod
    def _length(value: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, 10_000_000)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def _layout(self) -> None:
        form = QFormLayout()
        study_row = QHBoxLayout()
        study_row.addWidget(self.study, 1)
        study_row.addWidget(self.refresh_button)
        form.addRow("Study", study_row)
        lengths = QHBoxLayout()
        for label, widget in (("In-sample", self.in_sample), ("Out-of-sample", self.out_of_sample)):
            lengths.addWidget(QLabel(label))
            lengths.addWidget(widget)
        lengths.addWidget(self.unit)
        lengths.addWidget(self.anchored)
        lengths.addStretch(1)
        form.addRow("Windows", lengths)
        workers = QHBoxLayout()  # a spin box across the dock read as a slider
        workers.addWidget(self.workers)
        workers.addStretch(1)
        form.addRow("Workers", workers)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.progress_label)
        footer = QHBoxLayout()
        footer.addWidget(self.efficiency, 1)
        footer.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)
        layout.addWidget(self.notes)

    def _connect(self) -> None:
        self.refresh_button.clicked.connect(self.refresh)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.walker.cancel)
        self.open_button.clicked.connect(self._open_stitched)
        self.table.cellDoubleClicked.connect(self._open_window)
        self.walker.planned.connect(self._on_planned)
        self.walker.windowsReady.connect(self._on_windows)
        self.walker.progressChanged.connect(self._on_progress)
        self.walker.finished.connect(self._on_finished)
        self.walker.failed.connect(self._on_failed)

    # -- studies ---------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        """The studies as they are whenever the panel comes into view (its list was empty on
        a first visit, and missed a study finished since, until Refresh)."""
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Reload the stored studies (on the database thread)."""
        self.worker.submit(list_studies, self._show_studies, self.problemReported.emit)

    def _show_studies(self, rows: Sequence[Mapping[str, Any]]) -> None:
        chosen = self.study.currentData()
        self.study.clear()
        for r in rows:
            text = f"{r['study_id']}: {r['strategy']} ({r['method']}, {r['trials']:,} trials)"
            self.study.addItem(f"{text} {r['name']}".strip(), int(r["study_id"]))
        if chosen is not None:
            self.select_study(chosen)
        self._set_running(self.walker.running)

    def select_study(self, study_id: int) -> None:
        index = self.study.findData(study_id)
        if index >= 0:
            self.study.setCurrentIndex(index)

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> None:
        study_id = self.study.currentData()
        if study_id is None or self.walker.running:
            return
        scale = 1 if self.unit.currentText() == "bars" else DAY_NS
        request = WalkForwardRequest(
            study_id=int(study_id),
            in_sample=self.in_sample.value() * scale,
            out_of_sample=self.out_of_sample.value() * scale,
            unit="bars" if scale == 1 else "ns",
            anchored=self.anchored.isChecked(),
            workers=self.workers.value(),
        )
        self.spec, self.windows, self.results, self.result = None, [], [], None
        self.table.setRowCount(0)
        self.efficiency.setText("Walk-forward efficiency: n/a")
        self.efficiency.setToolTip(EFFICIENCY_TIP)
        self.notes.setText("")
        self.progress.setRange(0, 0)
        self.progress_label.setText("cutting the windows…")
        self.walker.start(request)
        self._set_running(True)

    def shutdown(self) -> bool:
        return self.walker.shutdown()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and self.study.count() > 0)
        self.cancel_button.setEnabled(running)
        for w in (self.study, self.in_sample, self.out_of_sample, self.unit, self.anchored):
            w.setEnabled(not running)
        stitched = self.result is not None and self.result.stitched_run_id is not None
        self.open_button.setEnabled(stitched and not running)

    def _on_planned(self, windows: list[Window], spec: StudySpec) -> None:
        self.windows, self.spec = windows, spec
        stat = spec.objectives[0].stat
        columns = ["Window", "In-sample", "Out-of-sample", "Best parameters"]
        columns += [f"IS {stat}", f"OOS {stat}", "IS Return [%]", "OOS Return [%]", "OOS run"]
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setRowCount(len(windows))
        for w in windows:
            cells = [
                str(w.index + 1),
                f"{_day(w.is_start_ns)} to {_day(w.is_end_ns)}",
                f"{_day(w.oos_start_ns)} to {_day(w.oos_end_ns)}",
            ]
            self._set_cells(w.index, cells)
        self.progress.setRange(0, len(windows))
        self.progress.setValue(0)

    def _on_windows(self, results: list[WindowResult]) -> None:
        if self.spec is None:
            return
        stat = self.spec.objectives[0].stat
        for r in results:
            self.results.append(r)
            params = " ".join(f"{k}={v}" for k, v in r.best_params.items())
            short = " (short)" if r.too_short else ""
            self._set_cells(
                r.window.index,
                [
                    params or f"none: {r.why_none}",
                    _number(r.is_stats.get(stat)) + short,
                    _number(r.oos_stats.get(stat)) + short,
                    _number(r.is_stats.get("Return [%]")),
                    _number(r.oos_stats.get("Return [%]")),
                    "" if r.oos_run_id is None else str(r.oos_run_id),
                ],
                first=3,
            )
            if r.too_short:
                days = f"{r.is_days} in sample, {r.oos_days} out of sample. "
                for col in (4, 5):
                    self.table.item(r.window.index, col).setToolTip(days + SHORT_TIP)
        self.progress.setValue(len(self.results))

    def _set_cells(self, row: int, cells: Sequence[str], first: int = 0) -> None:
        for col, text in enumerate(cells, start=first):
            item = QTableWidgetItem(text)
            if col >= 4:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)

    def _on_progress(self, index: int, progress: StudyProgress) -> None:
        planned = "?" if progress.planned is None else f"{progress.planned:,}"
        self.progress_label.setText(
            f"window {index + 1} of {len(self.windows)}: {progress.done:,} / {planned} trials"
        )

    def _on_finished(self, result: WalkForward) -> None:
        self.result = result
        self.efficiency.setText(_efficiency_text(result))
        tip = EFFICIENCY_TIP
        if result.efficiency_note is not None:
            tip = f"{EFFICIENCY_TIP}\n\nHere: {result.efficiency_note}."
        self.efficiency.setToolTip(tip)
        done = f"{len(result.windows)} of {len(self.windows)} windows"
        if result.cancelled:
            self.progress_label.setText(f"cancelled after {done}")
        elif result.failure is not None:
            self.progress_label.setText(f"{done}: {result.failure}")
        else:
            self.progress_label.setText(f"{done}; stitched run {result.stitched_run_id}")
        notes = [SHORT_TIP.replace("Fewer", "Windows marked (short) have fewer", 1)]
        notes = notes if any(r.too_short for r in result.windows) else []
        if result.stitched_run_id is not None:
            notes.append(STITCHED_NOTE)
        self.notes.setText(" ".join(notes))
        self._set_running(False)

    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText(message)
        self.problemReported.emit(f"walk-forward: {message}")
        self._set_running(False)

    def _open_stitched(self) -> None:
        if self.result is not None and self.result.stitched_run_id is not None:
            self.openRunRequested.emit(self.result.stitched_run_id)

    def _open_window(self, row: int, _column: int) -> None:
        for r in self.results:
            if r.window.index == row and r.oos_run_id is not None:
                self.openRunRequested.emit(r.oos_run_id)
