"""The Optimize view: set up a parameter study on the strategy dock's configuration, run it
on all cores (or a Ray cluster) without freezing the window, and read it as it runs: a live
table, a heatmap, parallel coordinates and a Pareto front. Double-clicking a trial records it
as a run (``runRequested``), which the window opens like any run. Stored studies can be
reopened, and one a crash interrupted resumed.

The study engine (``ostdesk.research``) does the work on a thread of its own
(``StudyThread``); database reads go through the window's database worker.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.events.enums import BarPeriod
from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig
from ostdesk.engine.strategy import Strategy
from ostdesk.gui.config.dock import ConfigDock
from ostdesk.gui.config.form import ERROR_COLOR
from ostdesk.gui.optimize.heatmap import HeatmapView
from ostdesk.gui.optimize.parallel import ParallelCoordinates
from ostdesk.gui.optimize.pareto import ParetoView
from ostdesk.gui.optimize.ranges import plain_message
from ostdesk.gui.optimize.robustness import RobustnessView
from ostdesk.gui.optimize.stored import StoredStudy, load_study
from ostdesk.gui.optimize.studies_list import StudiesList
from ostdesk.gui.optimize.study_form import Running, StudyForm
from ostdesk.gui.optimize.study_thread import STUDY_NICE, StudyThread
from ostdesk.gui.optimize.trials_model import TrialsFilter, TrialsModel
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.research.backends import make_backend
from ostdesk.research.space import SpaceError
from ostdesk.research.spec import StudySpec
from ostdesk.research.study import StudyProgress, StudyRunner, StudySummary
from ostdesk.research.trial import rerun_config
from ostdesk.store.database import Database
from ostdesk.store.presets import json_value
from ostdesk.store.studies import TrialRow, recover_interrupted_studies

PLOT_REFRESH_MS = 500
"""Plots follow a running study at most twice a second (the table takes every batch)."""
PROGRESS_WIDTH = 200  # px, beside the progress line (full width it ran past the dock's edge)
RESIZE_ROWS = 50  # rows a column's width is fitted to (a scan of all would stall the window)


def clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(progress: StudyProgress, eta: bool = True) -> str:
    """``37 / 100 trials · 2 failed · 5 pruned · 4.2 trials/s · ETA 0:12`` (the ETA only
    with ``eta``: a study cancelled or ended has none)."""
    planned = "?" if progress.planned is None else f"{progress.planned:,}"
    parts = [f"{progress.done:,} / {planned} trials"]
    parts += [
        f"{n:,} {status}"
        for status, n in sorted(progress.by_status.items())
        if status != "completed"
    ]
    if progress.elapsed_s > 0:  # this session's trials: a resumed study's stored ones took none
        parts.append(f"{progress.rate:,.1f} trials/s")
    if eta and progress.eta_s is not None and progress.done != progress.planned:
        parts.append(f"ETA {clock(progress.eta_s)}")
    return " · ".join(parts)


class OptimizeView(QWidget):
    """The Optimize dock's widget (see the module docstring)."""

    runRequested = Signal(object, str)  # BacktestConfig of a trial, its strategy's source
    studyFinished = Signal(object)  # StudySummary
    studyProgress = Signal(int, int)  # trials done, planned (0: not known); for the status bar
    problemReported = Signal(str)  # for the log

    def __init__(self, db: Database, config: ConfigDock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.worker = RunWorker(db, self)  # its own: the run browser's may browse another file
        self.config = config
        self.spec: StudySpec | None = None
        self.strategy: type[Strategy] | None = None  # of the study shown
        self.study_id: int | None = None
        self._started = 0.0
        self._cancelling = False
        self.study_thread = StudyThread(self)

        self.form = StudyForm()
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.loaded_note = QLabel()  # whose set-up the form shows after a study is opened
        self.loaded_note.setWordWrap(True)
        self.loaded_note.hide()
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(f"color: {ERROR_COLOR};")
        self.reason.hide()
        icon = self.style().standardIcon
        self.start_button = QPushButton("Start study")
        self.start_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaPlay))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setIcon(icon(QStyle.StandardPixmap.SP_MediaStop))
        self.cancel_button.setEnabled(False)
        self.title = QLabel("No study yet: set one up on the left and Start")
        self.title.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.setFixedWidth(PROGRESS_WIDTH)
        self.progress_label = QLabel()
        # its text changes ten times a second: a label sized by its text would have the whole
        # window laid out again each time (~100 ms with the docks' tables)
        self.progress_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        self.model = TrialsModel(self)
        self.proxy = TrialsFilter(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_ROWS)
        self.table.setToolTip("Double-click a trial to record it as a run and open it")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(
            "Filter: e.g. # Trades >= 30, Sharpe Ratio > 1, completed (terms separated by ',')"
        )
        self.filter.setClearButtonEnabled(True)
        self.filter_error = QLabel()
        self.filter_error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.best_button = QPushButton("Record the best as a run")
        self.best_button.setEnabled(False)
        self.heatmap = HeatmapView()
        self.parallel = ParallelCoordinates()
        self.pareto = ParetoView()
        self.robustness = RobustnessView()
        self.studies = StudiesList(self.worker)

        results = QWidget()
        rl = QVBoxLayout(results)
        rl.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.filter_error)
        top.addWidget(self.best_button)
        rl.addLayout(top)
        rl.addWidget(self.table, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(results, "Results")
        self.tabs.addTab(self.heatmap, "Heatmap")
        self.tabs.addTab(self.parallel, "Parallel coordinates")
        self.tabs.addTab(self.pareto, "Pareto front")
        self.tabs.addTab(self.robustness, "Robustness")
        self.tabs.addTab(self.studies, "Studies")

        setup = QWidget()
        sl = QVBoxLayout(setup)
        sl.setContentsMargins(6, 6, 6, 6)
        sl.addWidget(self.source_label)
        sl.addWidget(self.loaded_note)
        sl.addWidget(self.form)
        sl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(setup)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(6, 0, 6, 6)
        buttons.addWidget(self.start_button, 1)
        buttons.addWidget(self.cancel_button)
        ll.addWidget(self.reason)
        ll.addLayout(buttons)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 4, 6, 0)  # nothing runs into the dock's edge
        rv.setSpacing(2)
        rv.addWidget(self.title)
        progress_row = QHBoxLayout()  # one line: the map below keeps the height
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.progress_label, 1)
        rv.addLayout(progress_row)
        rv.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([480, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._plots_timer = QTimer(self)
        self._plots_timer.setSingleShot(True)
        self._plots_timer.setInterval(PLOT_REFRESH_MS)
        self._plots_timer.timeout.connect(self._refresh_plots)

        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.form.changed.connect(self._show_state)
        self.filter.textChanged.connect(self._on_filter)
        self.table.doubleClicked.connect(self._on_double_click)
        self.best_button.clicked.connect(self.record_best)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_plots())
        self.study_thread.studyStarted.connect(self._on_study_started)
        self.study_thread.trialsReady.connect(self._on_trials)
        self.study_thread.progressChanged.connect(self._on_progress)
        self.study_thread.finished.connect(self._on_finished)
        self.study_thread.failed.connect(self._on_failed)
        self.studies.openRequested.connect(self.open_study)
        self.studies.resumeRequested.connect(self.resume_study)
        self.studies.failed.connect(self.problemReported)
        config.picker.strategyChanged.connect(self._on_strategy)
        for signal in (config.form.changed, config.data.changed, config.account.changed):
            signal.connect(self._show_source)
        config.data.summaryLoaded.connect(self._show_source)

        # this process holds the database for writing: a study left running crashed
        self.worker.submit(recover_interrupted_studies, lambda _ids: self.studies.refresh())
        self._on_strategy(config.strategy())

    # -- commands --------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the study the form describes on the strategy dock's configuration; False
        (and why, next to the field or above Start) when it cannot."""
        if self.study_thread.running:
            return False
        cls = self.config.strategy()
        problem = "Choose a strategy in the Strategy dock" if cls is None else ""
        problem = problem or self.config.data.problem()
        if problem:
            self._refuse(problem[0].upper() + problem[1:])
            return False
        assert cls is not None
        try:
            spec = self.form.spec(cls, self.config.strategy_source(), self.config.saved_config())
        except (SpaceError, ParamError) as exc:
            self._refuse(plain_message(str(exc)))
            return False
        running = self.form.running()
        name = self.config.account.run_name()

        def make(**callbacks: Any) -> StudyRunner:
            return StudyRunner(
                self.db, spec, strategy=cls, name=name, **_backend(running), **callbacks
            )

        self.loaded_note.hide()
        self._show_study(spec, cls, None, [])
        self._begin(make)
        return True

    def resume_study(self, study_id: int) -> None:
        """Go on with stored study ``study_id``: its trials shown, the missing ones run."""
        if self.study_thread.running:
            return
        running = self.form.running()

        def loaded(stored: StoredStudy) -> None:
            if self.study_thread.running:
                return
            self._load_setup(stored)
            self._show_study(stored.spec, stored.strategy, study_id, stored.trials)

            def make(**callbacks: Any) -> StudyRunner:
                # what StudyRunner.resume does, with the spec read on the worker's cursor
                # (resume reads it through the Database, which only its own thread may)
                return StudyRunner(
                    self.db,
                    stored.spec,
                    strategy=stored.strategy,
                    study_id=study_id,
                    **_backend(running),
                    **callbacks,
                )

            self._begin(make)

        self.worker.submit(lambda cur: load_study(cur, study_id), loaded, self._on_failed)

    def open_study(self, study_id: int) -> None:
        """Show stored study ``study_id`` (not while another runs: its results are shown)."""
        if self.study_thread.running:
            self._refuse("A study is running: cancel it or let it end first")
            return

        def loaded(stored: StoredStudy) -> None:
            self._load_setup(stored)
            self._show_study(stored.spec, stored.strategy, study_id, stored.trials)
            row = stored.row
            self.title.setText(self._title() + f" · {row['status']}")
            self.progress_label.setText(
                " · ".join(f"{n:,} {s}" for s, n in sorted(row["by_status"].items()))
            )
            self.tabs.setCurrentIndex(0)

        self.worker.submit(lambda cur: load_study(cur, study_id), loaded, self._on_failed)

    def cancel(self) -> None:
        if not self.study_thread.running:
            return
        self._cancelling = True
        self.study_thread.cancel()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText(
            self.progress_label.text().split(" · ETA")[0] + " · cancelling…"
        )

    def shutdown(self) -> bool:
        """Cancel a running study, join its thread and end the database worker (the window is
        closing); False if the study's thread did not end in time."""
        joined = self.study_thread.shutdown()
        self.worker.close()
        return joined

    def record_trial(self, number: int) -> BacktestConfig | None:
        """Record trial ``number`` of the study shown as a run: its backtest, recorded and
        shown as any run from the window (``runRequested``). None if there is no such
        completed trial."""
        row = self.model.row_of(number)
        spec, cls = self.spec, self.strategy
        if row is None or spec is None or cls is None:
            return None
        trial = self.model.rows[row]
        try:
            config = rerun_config(spec, cls, number, trial.params, self.study_id)
        except (KeyError, ParamError) as exc:
            self._refuse(f"Cannot record trial {number}: {exc}")
            return None
        self.runRequested.emit(config, spec.strategy_source)
        return config

    def record_best(self) -> None:
        if self.model.best is not None:
            self.record_trial(self.model.best.number)

    # -- showing a study -------------------------------------------------------------------------
    def _load_setup(self, stored: StoredStudy) -> None:
        """Make an opened study the set-up shown (the Strategy dock's strategy, data and
        account, the form's ranges, objectives, constraints and method), so that the form
        never shows another study's set-up beside its results; Start runs it again."""
        spec, study_id = stored.spec, stored.study_id
        current = self.config.saved_config()
        same = current.strategy.lower() == spec.strategy.lower()
        self.config.load_config(
            dataclasses.replace(
                current,
                strategy=spec.strategy,
                params={
                    **(current.params if same else {}),
                    **{k: json_value(v) for k, v in spec.fixed.items()},
                },
                symbols=spec.symbols,
                period=BarPeriod.parse(spec.period),
                start_ns=spec.start_ns,
                end_ns=spec.end_ns,
                capital=spec.capital,
                commission=spec.commission,
                slippage_ticks=spec.slippage_ticks,
                max_leverage=spec.max_leverage,
            )
        )
        shown = self.config.strategy()
        if shown is None or shown.__name__.lower() != spec.strategy.lower():
            text = (
                f"Strategy {spec.strategy} of study {study_id} is not loaded: the set-up "
                "below is the current one, not the study's"
            )
        else:
            missing = self.form.load(spec)
            text = f"Set-up of study {study_id} loaded (here and in the Strategy dock)"
            if missing:
                text += "; not shown: " + "; ".join(missing)
        self.loaded_note.setText(f"<i>{text}</i>")
        self.loaded_note.show()

    def _show_study(
        self,
        spec: StudySpec,
        strategy: type[Strategy],
        study_id: int | None,
        trials: list[TrialRow],
    ) -> None:
        self.spec, self.strategy, self.study_id = spec, strategy, study_id
        self.model.set_study(spec, trials)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.resizeColumnsToContents()
        self.proxy.set_filter(self.filter.text())
        self.heatmap.set_study(spec)
        self.parallel.set_study(spec)
        self.pareto.set_study(spec)
        self.robustness.set_study(spec)
        multi = len(spec.objectives) > 1
        self.tabs.setTabEnabled(self.tabs.indexOf(self.heatmap), len(spec.space) >= 2)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.parallel), len(spec.space) >= 2)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.pareto), multi)
        self.title.setText(self._title())
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("")
        self.best_button.setEnabled(self.model.best is not None)
        self._refresh_plots()

    def _title(self) -> str:
        spec = self.spec
        if spec is None:
            return ""
        which = f"Study {self.study_id}" if self.study_id is not None else "New study"
        space = " x ".join(
            f"{d.name} ({len(d.values)})" if d.discrete else d.name for d in spec.space
        )
        objectives = ", ".join(o.describe() for o in spec.objectives)
        return (
            f"<b>{which}</b>: {spec.strategy} on {', '.join(spec.symbols)} ({spec.period}) · "
            f"{space} · {spec.method} · {objectives}"
        )

    def _begin(self, make: Any) -> None:
        self._started = time.perf_counter()
        self._cancelling = False
        self.study_thread.start(make)
        self.studies.set_busy(True)
        self.progress.setRange(0, 0)  # busy until the first progress
        self.progress_label.setText("starting the workers…")
        self.tabs.setCurrentIndex(0)
        self._show_state()

    def _refresh_plots(self) -> None:
        """Redraw the plot in front (the others when they are shown)."""
        shown = self.tabs.currentWidget()
        trials, best = self.model.rows, self.model.best
        if shown is self.heatmap:
            self.heatmap.set_trials(trials, best)
        elif shown is self.parallel:
            self.parallel.set_trials(trials, best)
        elif shown is self.pareto:
            self.pareto.set_trials(trials)
        elif shown is self.robustness:
            self.robustness.set_trials(trials, best)

    # -- slots -----------------------------------------------------------------------------------
    def _on_strategy(self, cls: type[Strategy] | None) -> None:
        self.form.set_strategy(cls, self.config.form.values() if cls is not None else {})
        self._show_source()

    def _show_source(self, *_: object) -> None:
        saved = self.config.saved_config()
        if not saved.strategy:
            self.source_label.setText("Choose a strategy in the Strategy dock")
            return
        symbols = ", ".join(saved.symbols) or "no symbols"
        self.source_label.setText(
            f"<b>{saved.strategy}</b> on {symbols} ({saved.period.label}), "
            f"capital {saved.capital:,.0f}, commission {saved.commission} "
            "<i>(from the Strategy dock; unticked parameters keep its values)</i>"
        )
        self._show_state()

    def _show_state(self, *_: object) -> None:
        running = self.study_thread.running
        problem = self.form.problem()
        self.start_button.setEnabled(not running and not problem)
        self.start_button.setToolTip(problem or "Run the study on the configuration shown")
        self.cancel_button.setEnabled(running)
        if not running:
            self.reason.hide()

    def _refuse(self, message: str) -> None:
        self.reason.setText(message)
        self.reason.show()

    def _on_study_started(self, study_id: int, _spec: object) -> None:
        self.study_id = study_id
        self.title.setText(self._title())
        self.studies.refresh()

    def _on_trials(self, rows: list[TrialRow]) -> None:
        first = self.model.rowCount() == 0
        self.model.append(rows)
        if first:  # the columns fit the first values (not every batch: it costs a scan)
            self.table.resizeColumnsToContents()
        self.best_button.setEnabled(self.model.best is not None)
        if not self._plots_timer.isActive():
            self._plots_timer.start()

    def _on_progress(self, progress: StudyProgress) -> None:
        if progress.planned:
            # setValue repaints the bar at once, flushing the window's backing store (the
            # main thread's largest cost per progress tick): drawn with the next paint instead
            self.progress.setUpdatesEnabled(False)
            self.progress.setRange(0, progress.planned)
            self.progress.setValue(progress.done)
            self.progress.setUpdatesEnabled(True)
        if self._cancelling:  # no ETA: the study ends at the trials running
            self.progress_label.setText(progress_text(progress, eta=False) + " · cancelling…")
        else:
            self.progress_label.setText(progress_text(progress))
        self.studyProgress.emit(progress.done, progress.planned or 0)

    def _on_finished(self, summary: StudySummary) -> None:
        self._plots_timer.stop()
        self._refresh_plots()  # the columns stay as the first trials fitted them: fitting
        self.studies.set_busy(False)  # them again to every row stalled the window ~130 ms
        self.studies.refresh()
        elapsed = time.perf_counter() - self._started
        best = self.model.best
        done = progress_text(summary.progress, eta=False)
        if summary.status == "completed":
            text = f"{done} · completed in {clock(elapsed)}"
        else:  # "cancelled at 37 / 100 trials · …"
            text = f"{summary.status} at {done} · after {clock(elapsed)}"
        if best is not None and self.spec is not None:
            params = ", ".join(f"{k} = {v}" for k, v in best.params.items())
            text += f" · best: trial {best.number} ({params})"
        self.progress_label.setText(text)
        self.title.setText(self._title() + f" · {summary.status}")
        self._show_state()
        self.studyFinished.emit(summary)

    def _on_failed(self, message: str) -> None:
        self._plots_timer.stop()
        self.studies.set_busy(False)
        self.studies.refresh()
        self.progress.setRange(0, 1)
        self.progress_label.setText("")
        self._show_state()
        self._refuse(f"The study stopped: {message}")
        self.problemReported.emit(f"study: {message}")

    def _on_filter(self, text: str) -> None:
        self.filter_error.setText(self.proxy.set_filter(text))

    def _on_double_click(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        trial = self.model.rows[source.row()]
        if trial.status != "completed":
            self._refuse(f"Trial {trial.number} {trial.status}: only a completed trial is recorded")
            return
        self.record_trial(trial.number)


def _backend(running: Running) -> dict[str, Any]:
    """The study's backend, its local workers below the window's priority."""
    backend = make_backend(running.backend, running.workers, running.address, nice=STUDY_NICE)
    return {"backend": backend}
