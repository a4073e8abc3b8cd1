"""The main window: a central chart area framed by docks, menus, a toolbar and a status bar.

Docks are added (or their widget replaced) by a stable name with ``add_dock``; everything
engine-related arrives through ``self.bridge`` (the only link to engine threads) and runs are
started and stopped by ``self.controller``. The dock layout and the window geometry are saved
under the fixed keys below, so they survive upgrades; "View → Reset layout" restores the
layout built here. The centre (welcome page or chart, and which run it shows) is a
``CentralPage``, the replay's look of the window a ``ReplayMode``. A start builds only what
it shows: the Optimize and Walk-forward panels wait for their dock to show, Run details' plot
for the window to be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QStyle,
    QWidget,
)

import ostdesk
from ostdesk.engine.errors import ComponentError
from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.gui.batches import RunProgress
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.bridge import GuiBridge
from ostdesk.gui.central import CentralPage
from ostdesk.gui.config import ConfigDock
from ostdesk.gui.live_chart import LiveChartFeed
from ostdesk.gui.log_dock import LogView
from ostdesk.gui.replay.banner import ReplayBanner
from ostdesk.gui.replay.controller import ReplayController
from ostdesk.gui.replay.mode import REPLAY_TIP, ReplayMode
from ostdesk.gui.replay.toolbar import ReplayToolbar
from ostdesk.gui.run_controller import RunController
from ostdesk.gui.runs import RunBrowser, RunChartLoader, RunComparison, RunDetails
from ostdesk.gui.status import RunStatusBar
from ostdesk.gui.window_state import ShownRun, WindowMemory
from ostdesk.store import DEMO_SYMBOLS, StoreError, has_market_data, install_demo_data
from ostdesk.store.database import Database
from ostdesk.store.importer import ImportResult

if TYPE_CHECKING:
    from ostdesk.gui.optimize import OptimizeView
    from ostdesk.gui.optimize.walkforward import WalkForwardPanel

GEOMETRY_KEY = "main_window/geometry"
STATE_KEY = "main_window/state"
BOTTOM_SHARE = 0.4
"""Of the window's height, what the bottom docks get by default: Run details and Compare need
a plot, a table and a header side by side, which the ~200 px of before cut."""
OPTIMIZE_SHARE = 0.6  # Run > Optimize…: a study's set-up beside its results needs more
STATE_VERSION = 1  # bump only if the dock set changes incompatibly; old states are then ignored
MAX_DEFAULT_SYMBOLS = 5
PREPARE_AFTER_SHOWN_MS = 300
"""How long after the window shows it builds what it left out of its start to show sooner
(Run details' plot): past its first paint, well before a first run can end."""
IDLE_FOLD_BYTES = 2**20
"""After a run, a database log larger than this is folded into the file while the trader
reads the results (see ``_fold_log_while_idle``)."""


class MainWindow(QMainWindow):
    """The app's window over one open database."""

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        *,
        strategy_dirs: Sequence[Path] | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle(f"ostdesk — {db.path.name}")
        self.bridge = GuiBridge(self)
        self.controller = RunController(db, self.bridge, self)
        self.docks: dict[str, QDockWidget] = {}
        self._details_to_raise: int | None = None  # a finished run's, once they are loaded
        self._live_run = ""  # the label of the run whose messages the bridge hands over
        self.memory = WindowMemory(db.path)

        self.run_list = RunBrowser(db)
        self.central = CentralPage(db, self.run_list, self.memory)
        self.notice, self.welcome, self.chart = (
            self.central.notice,
            self.central.welcome,
            self.central.chart,
        )
        self.setCentralWidget(self.central)

        self.config_panel = ConfigDock(db, strategy_dirs=strategy_dirs)
        self.blotters = Blotters()
        self.run_details = RunDetails(self.run_list.worker)
        self.run_comparison = RunComparison(self.run_list.worker)
        self.chart_loader = RunChartLoader(self.run_list.worker, self)
        self.chart_feed = LiveChartFeed(
            self.chart, self.bridge, self.blotters, self.run_list.worker, self
        )
        self.replay = ReplayController(db, self.chart, self.blotters, self)
        self.replay_banner = ReplayBanner(self.replay)
        self.central.add_banner(self.replay_banner)
        self.log_view = LogView()
        self._optimize: OptimizeView | None = None  # built when first shown (``optimize``)
        self._walkforward: WalkForwardPanel | None = None
        left, bottom = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.add_dock("config", "Strategy", self.config_panel, left)
        self.add_dock("runs", "Runs", self.run_list, bottom)
        self.add_dock("blotters", "Orders && positions", self.blotters, bottom)
        self.add_dock("details", "Run details", self.run_details, bottom)
        self.add_dock("compare", "Compare runs", self.run_comparison, bottom)
        self.add_dock("log", "Log", self.log_view, bottom)
        self.add_dock("replay_log", "Replay log", self.replay.log_view, bottom)
        self.add_dock("optimize", "Optimize", QWidget(), bottom)
        self.add_dock("walkforward", "Walk-forward", QWidget(), bottom)
        for name in ("runs", "details", "compare", "log", "optimize", "walkforward"):
            self.tabifyDockWidget(self.docks["blotters"], self.docks[name])
        # beside the blotters, not a tab behind them: a replay shows both
        self.docks["replay_log"].hide()  # until a replay: shown by Run > Replay
        self.docks["blotters"].raise_()

        self._create_actions()
        self._create_menus_and_toolbar()
        self.status = RunStatusBar()
        self.setStatusBar(self.status)
        self.replay_mode = ReplayMode(
            self, self.status, self.replay_action, self.replay_toolbar, self.docks
        )
        self._connect()
        self._default_size()
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()
        self.central.show_empty_state()
        self.central.restore_shown_run()

    # -- docks ------------------------------------------------------------------------------------
    def add_dock(
        self,
        name: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
    ) -> QDockWidget:
        """Dock ``widget`` (or replace the widget of the dock ``name``); ``name`` is the stable
        key its place is saved under, so never rename one."""
        dock = self.docks.get(name)
        if dock is not None:
            old = dock.widget()
            dock.setWidget(widget)
            if old is not None:
                old.deleteLater()
            dock.setWindowTitle(title)
            return dock
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock.{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        if hasattr(self, "view_menu"):
            self.view_menu.insertAction(self._view_separator, dock.toggleViewAction())
        return dock

    # -- set-up ----------------------------------------------------------------------------------
    def _create_actions(self) -> None:
        icon = self.style().standardIcon
        self.run_action = self._action(
            "&Run", self.start_run, "F5", icon(QStyle.StandardPixmap.SP_MediaPlay)
        )
        self.run_action.setToolTip("Run the configured backtest (F5)")
        self.stop_action = self._action(
            "&Stop", self.controller.stop, "Shift+F5", icon(QStyle.StandardPixmap.SP_MediaStop)
        )
        self.stop_action.setToolTip("Stop the running backtest (Shift+F5)")
        self.stop_action.setEnabled(False)
        self.replay_action = self._action(
            "Re&play", self.toggle_replay, "F6", icon(QStyle.StandardPixmap.SP_MediaSeekForward)
        )
        self.replay_action.setToolTip(REPLAY_TIP)
        self.optimize_action = self._action("&Optimize…", self.show_optimize, "Ctrl+Shift+O")
        self.optimize_action.setToolTip("Search the strategy's parameters: a study on all cores")
        self.walkforward_action = self._action("&Walk-forward…", self.show_walkforward)
        self.walkforward_action.setToolTip(
            "Walk a stored study forward: optimise in sample, run the best out of sample"
        )
        self.install_demo_action = self._action("Install &demo data", self.install_demo)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.reset_layout_action = self._action("&Reset layout", self.reset_layout)
        self.about_action = self._action("&About ostdesk", self.show_about)

    def _action(
        self,
        text: str,
        slot: Callable[[], object] | None,
        shortcut: str | QKeySequence.StandardKey | None = None,
        icon: object = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(icon)  # type: ignore[arg-type]
        if shortcut is not None:
            action.setShortcut(shortcut)
        if slot is not None:
            action.triggered.connect(slot)
        return action

    def _create_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.config_panel.import_action)
        file_menu.addAction(self.install_demo_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = bar.addMenu("&Run")
        for action in (self.run_action, self.stop_action, self.replay_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        run_menu.addAction(self.optimize_action)
        run_menu.addAction(self.walkforward_action)
        self.view_menu = bar.addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self._view_separator = self.view_menu.addSeparator()
        self.view_menu.addAction(self.reset_layout_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

        toolbar = self.addToolBar("Run")
        toolbar.setObjectName("toolbar.run")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.run_action, self.stop_action, self.replay_action):
            toolbar.addAction(action)
        self.view_menu.insertAction(self._view_separator, toolbar.toggleViewAction())
        self.replay_toolbar = ReplayToolbar(self.replay, self)
        self.addToolBar(self.replay_toolbar)
        self.replay_toolbar.hide()  # shown by Run > Replay; a saved layout may show it again
        self.view_menu.insertAction(self._view_separator, self.replay_toolbar.toggleViewAction())

    def _connect(self) -> None:
        b = self.bridge
        b.tradeEventsReady.connect(self.blotters.apply)
        b.logsReady.connect(self._on_logs)
        self.config_panel.runRequested.connect(self._run_config)
        self.config_panel.problemReported.connect(self.log_view.warning)
        self.config_panel.dataImported.connect(self._on_data_imported)
        self.controller.runningChanged.connect(self.config_panel.set_running)
        browser = self.run_list
        browser.openRequested.connect(self._open_from_browser)
        browser.replayRequested.connect(self.replay_run)
        browser.compareRequested.connect(self._compare_runs)
        browser.rerunRequested.connect(self._rerun)
        self.docks["optimize"].visibilityChanged.connect(lambda visible: visible and self.optimize)
        self.docks["walkforward"].visibilityChanged.connect(
            lambda visible: visible and self.walkforward
        )
        browser.runsDeleted.connect(self.run_details.forget)
        browser.runsDeleted.connect(self.run_comparison.forget)
        self.chart_loader.loaded.connect(self.central.show_run_in_chart)
        self.chart_loader.loadFailed.connect(self.log_view.error)
        self.run_details.centerRequested.connect(self.center_chart)
        self.run_details.loaded.connect(self._on_details_loaded)
        self.blotters.centerRequested.connect(self.center_chart)
        b.progressChanged.connect(self._on_progress)
        b.errorsReady.connect(self._on_errors)
        b.displayDropped.connect(self._on_warning)
        self.controller.runStarted.connect(self._on_run_started)
        self.controller.runFinished.connect(self._on_run_finished)
        self.controller.runningChanged.connect(self._on_running_changed)
        self.notice.detailsRequested.connect(self._show_log)
        self.welcome.runDemoRequested.connect(self.run_demo)
        self.welcome.installDemoRequested.connect(self.install_demo)
        self.welcome.importRequested.connect(self.config_panel.open_import_dialog)
        self.welcome.openRunRequested.connect(self.open_run)
        browser.refreshed.connect(self.central.refresh_welcome)
        self.central.openRequested.connect(self._reopen)
        self.central.problemReported.connect(self.log_view.error)
        browser.runsDeleted.connect(self._on_runs_deleted)
        self.replay.closed.connect(self.replay_mode.leave)
        self.replay.opened.connect(lambda timeline: self.status.replay_started(len(timeline)))
        self.replay.cursorChanged.connect(self.status.show_replay_position)
        self.replay_banner.exitRequested.connect(self.exit_replay)

    def _default_size(self) -> None:
        screen = self.screen().availableGeometry()
        self.resize(min(1920, int(screen.width() * 0.92)), min(1200, int(screen.height() * 0.9)))
        self._default_dock_sizes()

    def _default_dock_sizes(self) -> None:
        """The docks' default share of the window: the strategy column as wide as its form,
        the bottom docks ``BOTTOM_SHARE`` of the height (at least what a blotter needs)."""
        height = max(280, int(self.height() * BOTTOM_SHARE))
        width = 300 if self.width() < 1600 else 340
        self.resizeDocks([self.docks["config"]], [width], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["blotters"]], [height], Qt.Orientation.Vertical)

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = settings.value(STATE_KEY)
        if isinstance(state, QByteArray):
            self.restoreState(state, STATE_VERSION)

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState(STATE_VERSION))

    def reset_layout(self) -> None:
        """Put every dock and toolbar back where a first start puts them."""
        self.restoreState(self._default_state, STATE_VERSION)
        for name, dock in self.docks.items():
            dock.setFloating(False)
            dock.setVisible(name != "replay_log" or self.replay.timeline is not None)
        self._default_dock_sizes()
        self.docks["blotters"].raise_()

    def _on_runs_deleted(self, run_ids: list[int]) -> None:
        if self.central.last_opened in run_ids and not self.controller.running:
            self.replay.close()
            self.chart.clear()
            self.central.show_empty_state()
        else:
            self.central.refresh_welcome()

    # -- commands --------------------------------------------------------------------------------
    def start_run(self, config: BacktestConfig | None = None) -> BacktestRun | None:
        """Run ``config``, by default what the strategy dock describes; a mistake is shown,
        never raised."""
        try:
            return self.controller.start(
                config or self.config_panel.config(),
                strategy_source=self.config_panel.strategy_source(),
            )
        except (StoreError, ParamError, ValueError, KeyError, RuntimeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self.log_view.error(f"cannot start the backtest: {text}")
            self.notice.show_error(f"Cannot start the backtest: {text}")
            return None

    def install_demo(self) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            symbols = install_demo_data(self.db)
        except StoreError as exc:
            self.log_view.error(f"could not install the demo data: {exc}")
            self.notice.show_error(f"Could not install the demo data: {exc}")
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.log_view.info(f"installed synthetic demo data for {', '.join(symbols)}")
        self.config_panel.refresh_data()
        self.config_panel.set_symbols(symbols[:MAX_DEFAULT_SYMBOLS])
        self.central.refresh_welcome()  # a run, not the data alone, puts the chart in its place

    def run_demo(self) -> BacktestRun | None:
        """The first-run path: demo data (if missing) and the ready SMA-crossover run."""
        if not has_market_data(self.db):
            self.install_demo()
        self.config_panel.select_strategy("SmaCross")
        data = self.config_panel.data
        if data.summary is None or not data.summary.periods:
            # the dock is still reading what is stored (off the main thread): run when it has
            def once() -> None:
                data.summaryLoaded.disconnect(once)
                self.config_panel.set_symbols(list(DEMO_SYMBOLS))
                self.start_run()

            data.summaryLoaded.connect(once)
            return None
        self.config_panel.set_symbols(list(DEMO_SYMBOLS))
        return self.start_run()

    def _run_config(self, config: BacktestConfig) -> None:
        self.start_run(config)  # the dock built and checked it already

    def open_run(self, run_id: int, view: ShownRun | None = None) -> None:
        """Show a recorded run: chart, blotters, statistics, equity and trades; ``view``
        (a remembered one) selects its symbol and visible bars once the chart has them."""
        from ostdesk.gui.recorded_blotters import load_blotter_events

        self.replay.close()
        self.central.expect(run_id, view)  # the welcome panel stays until the chart has its bars
        self.chart_loader.load(run_id)
        self.run_details.load(run_id)
        self.run_list.worker.submit(
            lambda cur: load_blotter_events(cur, run_id),
            lambda loaded: self.blotters.reset(loaded[0], loaded[1]),
            self.log_view.error,
        )
        self.docks["details"].raise_()

    def _reopen(self, run_id: int, view: ShownRun) -> None:
        """The run shown when the window last closed, shown again unless a run started."""
        if not self.controller.running:
            self.open_run(run_id, view)

    def toggle_replay(self) -> None:
        """Run > Replay (F6): replay the selected run, or leave the replay shown."""
        if self.replay.timeline is not None:
            self.exit_replay()
        else:
            self.replay_selected()

    def replay_selected(self) -> None:
        """Replay the run selected in the browser (else the last one opened or run)."""
        selected = self.run_list.selected_run_ids()
        run_id = selected[0] if selected else self.central.last_opened
        if run_id is None:
            self.notice.show_warning("Select a run in Runs to replay it")
            return
        self.replay_run(run_id)

    def _open_from_browser(self, run_id: int) -> None:
        """Runs > Open: in replay mode it replays the run (switching to it), else shows it."""
        if self.replay.timeline is not None:
            self.replay_run(run_id)
        else:
            self.open_run(run_id)

    def replay_run(self, run_id: int) -> None:
        """Enter replay mode on ``run_id``, or switch the replay shown to it."""
        from ostdesk.store.runs import get_run

        if self.controller.running:
            self.notice.show_warning(
                "Stop the running backtest (or let the window finish showing it) before "
                "replaying a run"
            )
            return
        self.chart_feed.forget()  # a run that just ended must not draw over the replay
        try:
            layout = get_run(self.db, run_id)["indicators"] or None
            timeline = self.replay.open(run_id, layout=layout)
        except (StoreError, ValueError) as exc:
            self.notice.show_error(f"Cannot replay run {run_id}: {exc}")
            return
        self.central.show_chart()
        self.replay_mode.enter(timeline.run_id)
        self.log_view.info(f"replaying run {run_id}")

    def exit_replay(self) -> None:
        """Leave replay mode and show the replayed run whole, as Runs > Open does."""
        timeline = self.replay.timeline
        if timeline is not None:
            self.open_run(timeline.run_id)  # which closes the replay first

    def _compare_runs(self, run_ids: list[int]) -> None:
        self.run_comparison.compare(run_ids)
        self.docks["compare"].show()
        self.docks["compare"].raise_()

    def _rerun(self, run: dict[str, object]) -> None:
        """Runs → Re-run: the run's configuration runs again now, as a new run named a re-run
        of it; the strategy dock keeps what it shows (``ConfigDock.rerun_config``)."""
        what = f"re-run run {run['run_id']}"
        self._start_or_say(what, lambda: self.config_panel.rerun_config(run))

    @property
    def optimize(self) -> OptimizeView:
        """The Optimize view, built the first time its dock shows (or it is asked for): its
        imports and widgets took ~0.15 s of every start, for a dock most sessions never open."""
        if self._optimize is None:
            from ostdesk.gui.optimize import OptimizeView

            view = OptimizeView(self.db, self.config_panel)
            view.runRequested.connect(self._record_trial)
            view.studyProgress.connect(self.status.show_study_progress)
            view.studyFinished.connect(self._on_study_finished)
            view.problemReported.connect(self.log_view.warning)
            self._optimize = view
            self.add_dock("optimize", "Optimize", view)  # in the placeholder's place
        return self._optimize

    @property
    def walkforward(self) -> WalkForwardPanel:
        """The Walk-forward panel, built (listing the stored studies) when first shown."""
        if self._walkforward is None:
            from ostdesk.gui.optimize.walkforward import WalkForwardPanel

            panel = WalkForwardPanel(self.db, self.run_details.worker)  # this file's, as theirs
            panel.problemReported.connect(self.log_view.warning)
            panel.openRunRequested.connect(self.open_run)
            panel.walker.finished.connect(lambda _result: self.run_list.refresh())
            self._walkforward = panel
            self.add_dock("walkforward", "Walk-forward", panel)
        return self._walkforward

    def _on_study_finished(self, _summary: object) -> None:
        if self._walkforward is not None:  # one built later lists the study anyway
            self._walkforward.refresh()

    def show_optimize(self) -> None:
        """Run > Optimize…: the Optimize dock in front, with the bottom area's default room."""
        dock = self.docks["optimize"]
        dock.show()
        dock.raise_()
        if not dock.isFloating():
            height = max(280, int(self.height() * OPTIMIZE_SHARE))
            self.resizeDocks([dock], [max(dock.height(), height)], Qt.Orientation.Vertical)

    def show_walkforward(self) -> None:
        """Run > Walk-forward…: the Walk-forward dock in front, its studies listed afresh."""
        fresh = self._walkforward is None  # a new panel lists the studies itself
        panel = self.walkforward
        dock = self.docks["walkforward"]
        dock.show()
        dock.raise_()
        if not fresh:
            panel.refresh()

    def _record_trial(self, config: BacktestConfig, source: str) -> None:
        """A study's trial (double-clicked in Optimize) recorded as a run and shown."""
        self._start_or_say(f"record {config.name}", lambda: (config, source))

    def _start_or_say(self, what: str, configure: Callable[[], tuple[BacktestConfig, str]]) -> None:
        """Start the run ``configure`` gives; what stops it is said in the log and the
        notice as "cannot ``what``: reason"."""
        try:
            config, source = configure()
            self.controller.start(config, strategy_source=source)
        except (StoreError, ParamError, ValueError, KeyError, RuntimeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            self.log_view.error(f"cannot {what}: {text}")
            self.notice.show_error(f"Cannot {what}: {text}")

    def center_chart(self, symbol: str, ts_ns: int) -> None:
        if symbol and symbol != self.chart.current_symbol:
            try:
                self.chart.set_current_symbol(symbol)
            except KeyError:
                return
        self.chart.set_follow_latest(False)
        self.chart.center_on(ts_ns)

    def _on_data_imported(self, result: ImportResult) -> None:
        self.log_view.info(result.summary())
        self.central.refresh_welcome()

    def show_about(self) -> None:
        from PySide6 import __version__ as pyside_version

        QMessageBox.about(
            self,
            "About ostdesk",
            f"<h3>ostdesk {ostdesk.__version__}</h3>"
            "<p>Research, backtest and replay trading strategies on your own workstation.</p>"
            f"<p>Database: <code>{self.db.path}</code></p>"
            f"<p>Qt {pyside_version} (PySide6) · MIT licence</p>",
        )

    # -- bridge and controller slots -------------------------------------------------------------
    def _on_run_started(self, run: BacktestRun) -> None:
        self.central.show_chart()
        self._details_to_raise = None  # the blotters stay in front of a new run
        self.replay.close()
        self.chart_feed.start(run)
        self.blotters.reset(run.config.capital)
        self.docks["blotters"].raise_()
        if run.recording is not None and run.recording.run_id is not None:
            self.run_list.run_started(run.recording.run_id)
        symbols = ", ".join(run.config.symbols)
        self._live_run = self._run_label(run)
        self.log_view.info(f"run {self._live_run} started: {run.config.strategy.name} on {symbols}")
        self.status.run_started(run)

    def _on_logs(self, lines: list[str]) -> None:
        self.log_view.add_lines(lines, run=self._live_run)

    def _on_run_finished(self, run: BacktestRun) -> None:
        self.status.run_finished(run)
        rate = f"{run.bars_per_second:,.0f} bars/s"
        text = f"run {self._run_label(run)} {run.status.value}: {run.bars_processed:,} bars "
        text += f"in {run.elapsed:.2f} s ({rate})"
        if run.status is RunStatus.FAILED:
            self.notice.show_error(f"The backtest failed: {run.error}" if run.error else text)
            self.log_view.error(text)
        else:
            self.log_view.info(text)
        self.chart_feed.finish(run)
        if run.recording is not None and run.recording.run_id is not None:
            self.central.last_opened = run.recording.run_id
            self.run_list.run_finished(run.recording.run_id)
            self.run_details.load(run.recording.run_id)  # not the last run opened
            if run.status is RunStatus.COMPLETED:  # its statistics are what a trader reads next
                self._details_to_raise = run.recording.run_id
        self._fold_log_while_idle()

    def _on_details_loaded(self, run_id: int) -> None:
        """Raise Run details once they show the finished run: raised at the run's end, they
        painted the previous run, then again the new one (~15 ms of the window each). The
        raise (and so its paint) waits for a timer's turn: in the turn that filled the
        details, the two made one stall."""
        if run_id == self._details_to_raise:
            QTimer.singleShot(1, self, lambda: self._raise_details(run_id))

    def _raise_details(self, run_id: int) -> None:
        if run_id == self._details_to_raise and self.run_details.run_id == run_id:
            self.docks["details"].raise_()
        self._details_to_raise = None

    def _fold_log_while_idle(self) -> None:
        """Fold the database log on the database thread, after the run list's refresh.

        A run writes ~0.2 KB of log a bar, and DuckDB folds the log at the commit that takes it
        past its threshold. Left alone, every other demo run's last write paid that fold:
        100-240 ms at the end of the run, ~30% of its time. Folded here, after the run, a
        run starts with an almost empty log. A write on the main thread in the ~100 ms the
        fold lasts (a run started at once) waits for it, as it would have anyway."""
        worker = self.run_list.worker
        if worker is not None and worker.db is self.db:  # not another file being browsed
            worker.submit(lambda cur: self.db.fold_log(cur, above_bytes=IDLE_FOLD_BYTES))

    def _on_running_changed(self, running: bool) -> None:
        self.run_action.setEnabled(not running)
        self.stop_action.setEnabled(running)
        self.welcome.run_button.setEnabled(not running)

    def _on_progress(self, progress: RunProgress) -> None:
        self.status.show_progress(progress)

    def _on_errors(self, errors: list[ComponentError]) -> None:
        self.log_view.add_errors(errors)
        more = f" (and {len(errors) - 1} more, see the log)" if len(errors) > 1 else ""
        self.notice.show_error(f"Error in {errors[-1].component}: {errors[-1].message}{more}")

    def _on_warning(self, text: str) -> None:
        self.log_view.warning(text)
        self.notice.show_warning(text[0].upper() + text[1:])

    def _show_log(self) -> None:
        self.docks["log"].show()
        self.docks["log"].raise_()

    @staticmethod
    def _run_label(run: BacktestRun) -> str:
        run_id = run.recording.run_id if run.recording is not None else None
        return str(run_id) if run_id is not None else run.config.strategy.name

    # -- Qt overrides ----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # shown by the program, not restored from a minimised state
            QTimer.singleShot(PREPARE_AFTER_SHOWN_MS, self.run_details, self.run_details.prepare)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout and the run shown, cancel a running backtest and join its
        threads (within 2 s)."""
        self.save_layout()
        self.memory.save(self.central.shown_run())
        if not self.controller.shutdown():
            self.log_view.error("the backtest did not stop within 2 s: recorded as interrupted")
        self.bridge.finish_now()  # its end is logged and recorded before the database goes
        self.config_panel.save_last_used()
        if self._optimize is not None and not self._optimize.shutdown():
            self.log_view.error("the study did not stop in time: it resumes from its trials")
        if self._walkforward is not None and not self._walkforward.shutdown():
            self.log_view.error("the walk-forward did not stop in time")
        self.run_list.shutdown()  # its worker's DuckDB cursor goes before the database
        event.accept()
