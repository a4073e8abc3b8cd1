"""The window's centre: notices and the replay banner above either the welcome page or the
chart. The chart takes the welcome page's place only once a run's bars are on it (never empty
axes), and a relaunch shows again the run the window showed when it closed.

The page knows which run the chart shows (``last_opened``) and the remembered view to apply
once that run's bars arrive; opening a run (the window's ``open_run``) and running one stay
with the window, which tells the page with ``expect`` and ``show_chart``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.log_dock import NoticeBar
from ostdesk.gui.runs import RunBrowser, show_in_chart
from ostdesk.gui.runs.queries import RunChartData
from ostdesk.gui.welcome import RECENT_RUNS, WelcomePanel, recent_run_lines
from ostdesk.gui.window_state import ShownRun, WindowMemory
from ostdesk.store import has_market_data
from ostdesk.store.database import Database


class CentralPage(QWidget):
    """``openRequested(run_id, view)`` asks the window to show a remembered run again;
    ``problemReported`` carries a failed read of the latest runs, one line."""

    openRequested = Signal(int, object)  # run_id, ShownRun
    problemReported = Signal(str)

    def __init__(
        self,
        db: Database,
        browser: RunBrowser,
        memory: WindowMemory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.browser = browser  # its worker reads the latest runs (None once it is shut down)
        self.memory = memory
        self.last_opened: int | None = None  # the run on the chart, or loading to it
        self._pending_view: ShownRun | None = None  # applied once its run reaches the chart
        self.notice = NoticeBar()
        self.welcome = WelcomePanel(str(db.path))
        self.chart = ChartWidget()
        self.chart.show_equity_panes()  # laid out now, not during the first run
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.chart)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 0)
        self._layout.addWidget(self.notice)
        self._layout.addWidget(self.stack, 1)

    def add_banner(self, banner: QWidget) -> None:
        """Place ``banner`` above the chart, under the notices."""
        self._layout.insertWidget(1, banner)

    def show_chart(self) -> None:
        """The chart in front: a live run or a replay draws on it from now on."""
        self.stack.setCurrentWidget(self.chart)

    def expect(self, run_id: int, view: ShownRun | None = None) -> None:
        """``run_id``'s bars are on their way to the chart (the welcome page stays until
        they arrive); ``view`` is applied then."""
        self.last_opened = run_id
        self._pending_view = view

    def show_empty_state(self) -> None:
        """The welcome panel in place of the chart (never empty axes) until a run is shown."""
        self.last_opened = None
        self.stack.setCurrentWidget(self.welcome)
        self.refresh_welcome()

    def refresh_welcome(self) -> None:
        """Whether the store has data (read here: one indexed query), then the latest runs
        (read on the run worker); only while the welcome page shows. A run's end refreshes
        the run list: read then, on this thread, it waited for the recorder's last commit
        (~0.1-2 s without a repaint)."""
        if self.stack.currentWidget() is not self.welcome:
            return
        has_data = has_market_data(self.db)
        self.welcome.set_state(has_data=has_data, runs=[])
        worker = self.browser.worker
        if has_data and worker is not None and worker.db is self.db:
            from ostdesk.store.runs import list_runs

            worker.submit(
                lambda cur: recent_run_lines(list_runs(cur, limit=RECENT_RUNS)),
                lambda runs: self.welcome.set_state(has_data=True, runs=runs),
                self.problemReported.emit,
            )

    def restore_shown_run(self) -> None:
        """Ask to show the run the window showed when it closed on this database; one
        deleted since falls back, silently, to the empty state."""
        from ostdesk.store.runs import require_run

        shown = self.memory.load()
        worker = self.browser.worker
        if shown is None or worker is None:
            return

        def found(_: object) -> None:
            if self.last_opened is None:  # nothing newer was opened meanwhile
                self.openRequested.emit(shown.run_id, shown)

        worker.submit(lambda cur: require_run(cur, shown.run_id), found, lambda _: None)

    def show_run_in_chart(self, data: RunChartData) -> None:
        """A recorded run's bars and trades on the chart, in the welcome page's place, and
        the view remembered for it, if any."""
        show_in_chart(self.chart, data)
        self.show_chart()
        view, self._pending_view = self._pending_view, None
        if view is None or view.run_id != self.last_opened:
            return
        if view.symbol and view.symbol != self.chart.current_symbol:
            try:
                self.chart.set_current_symbol(view.symbol)
            except KeyError:
                return  # not a symbol of this run: its first symbol stays
        if view.x_range is not None and not view.follow:
            self.chart.set_follow_latest(False)
            self.chart.navigator.set_x_range(*view.x_range)

    def shown_run(self) -> ShownRun | None:
        """The run on the chart and how it is viewed (what the next start shows)."""
        if self.last_opened is None:
            return None
        if self.stack.currentWidget() is not self.chart:  # closed while it loads
            return self._pending_view or ShownRun(run_id=self.last_opened)
        return ShownRun(
            run_id=self.last_opened,
            symbol=self.chart.current_symbol,
            x_range=self.chart.x_range(),
            follow=self.chart.follow_latest,
        )
