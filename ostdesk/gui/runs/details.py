"""One run in detail: its full statistics (each with its definition as a tooltip), its
equity and drawdown curves, its round-trip trades and its strategy's messages (the Log tab,
which lists the first ``MAX_SHOWN_LINES`` and exports all of them); loaded and exported off
the GUI thread."""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.blotter.views import FIT_ROWS
from ostdesk.gui.colors import market_colors
from ostdesk.gui.column_fit import fitted_width, widest_rows
from ostdesk.gui.empty_state import empty_state_label
from ostdesk.gui.runs.format import params_text, stat_text
from ostdesk.gui.runs.montecarlo import MonteCarloPanel
from ostdesk.gui.runs.plots import EquityDrawdownPlot
from ostdesk.gui.runs.queries import RunResults, load_results
from ostdesk.gui.runs.trades import EXIT_COLUMN, TRADE_COLUMNS, TradeTableModel
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.gui.strategy_log import (
    MAX_SHOWN_LINES,
    RecordedLog,
    StrategyLogView,
    load_recorded_log,
)
from ostdesk.store.export import export_run
from ostdesk.store.stats import STAT_DEFINITIONS

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
BODY_STRETCH = (0, 3, 2)
"""How statistics, plot and tabs share the dock's width beyond their own."""
EMPTY_TEXT = (
    "No run is open. Double-click a run in the Runs tab (or run a backtest) to see its "
    "statistics, equity and drawdown, trades and messages here."
)


class RunDetails(QWidget):
    """Call ``load(run_id)``; ``loaded`` fires when it is shown. Double-clicking a trade asks
    the chart to centre on it with ``centerRequested(symbol, ts_ns)`` (the trade's middle)."""

    centerRequested = Signal(str, "qint64")
    loaded = Signal(object)  # run_id
    loadFailed = Signal(str)
    logExported = Signal(str)  # what the export did, one line (written, or why not)

    def __init__(self, worker: RunWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.results: RunResults | None = None
        self._wanted: int | None = None
        self._log_run: int | None = None  # the run whose messages the Log tab lists
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stats_table = self._make_stats_table()
        self._plot: EquityDrawdownPlot | None = None  # built on first need (``plot``)
        colors = market_colors()
        self.trades_model = TradeTableModel(colors.up, colors.down)
        self.trades_view = QTableView()
        self.trades_view.setModel(self.trades_model)
        self.trades_view.horizontalHeader().setSortIndicator(
            EXIT_COLUMN, Qt.SortOrder.AscendingOrder
        )
        self.trades_view.setSortingEnabled(True)
        self.trades_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.trades_view.setAlternatingRowColors(True)
        # a double-clicked divider fits a screenful of rows: Qt's 1,000 took ~0.3 s
        self.trades_view.horizontalHeader().setResizeContentsPrecision(FIT_ROWS)
        self.trades_view.verticalHeader().hide()
        self.trades_view.verticalHeader().setDefaultSectionSize(
            self.trades_view.fontMetrics().height() + 6
        )
        self.trades_view.doubleClicked.connect(self._on_trade_double_clicked)
        self.log_view = StrategyLogView("The run's messages from self.log(...) appear here.")
        self.export_log_button = QPushButton("Export log…")
        self.export_log_button.setToolTip(
            "Write all of the run's messages to a CSV or Parquet file (the tab lists the "
            f"first {MAX_SHOWN_LINES:,})"
        )
        self.export_log_button.setEnabled(False)
        self.export_log_button.clicked.connect(self._ask_export_log)
        self.export_status = QLabel()
        self.export_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_page = self._make_log_page()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.trades_view, "Trades")
        self.tabs.addTab(self.log_page, "Log")
        self.montecarlo = MonteCarloPanel(worker)
        self.tabs.addTab(self.montecarlo, "Monte Carlo")
        # side by side, not stacked: the bottom dock is wider than it is tall
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.stats_table)
        self.body.addWidget(QWidget())  # the plot's place until it is built
        self.body.addWidget(self.tabs)
        for i, stretch in enumerate(BODY_STRETCH):
            self.body.setStretchFactor(i, stretch)
        self.body.setSizes([self.stats_table.sizeHint().width(), 600, 400])
        self.empty_state = empty_state_label(EMPTY_TEXT)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_state)
        self.pages.addWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.header)
        layout.addWidget(self.pages, 1)
        self.clear()  # the empty state says what to do until a run is shown

    @property
    def plot(self) -> EquityDrawdownPlot:
        """The equity and drawdown plot, built on first need: its two pyqtgraph plots were
        ~45 ms of every start, so the window has them built once it is shown (``prepare``)."""
        return self._plot if self._plot is not None else self._build_plot()

    def prepare(self) -> None:
        """Build now what the first run shown needs, so its end does not wait for it."""
        if self._plot is None:
            self._build_plot()

    def _build_plot(self) -> EquityDrawdownPlot:
        self._plot = EquityDrawdownPlot()
        placeholder = self.body.replaceWidget(1, self._plot)  # keeps the splitter's sizes
        if placeholder is not None:
            placeholder.deleteLater()
        self.body.setStretchFactor(1, BODY_STRETCH[1])  # the widget holds it, not the splitter
        return self._plot

    @property
    def run_id(self) -> int | None:
        return self.results.run_id if self.results is not None else None

    def load(self, run_id: int) -> None:
        """Load and show a run; a later ``load`` wins over one still in flight."""
        self._wanted = run_id
        self.worker.submit(
            lambda cur: load_results(cur, run_id), self._show, partial(self._fail, run_id)
        )
        self.worker.submit(
            lambda cur: load_recorded_log(cur, run_id),
            self._show_log,
            partial(self._log_failed, run_id),
        )

    def clear(self) -> None:
        self._wanted = None
        self.results = None
        self.header.clear()
        self.header.hide()
        self.pages.setCurrentWidget(self.empty_state)
        self._fill_stats({})
        self.montecarlo.set_run(None)
        if self._plot is not None:
            self._plot.clear_curve()
        self.trades_model.set_trades({})
        self._show_log(None)

    def forget(self, run_ids: list[int]) -> None:
        """Clear the panel if it shows one of these (deleted) runs."""
        if self.run_id in run_ids or self._wanted in run_ids:
            self.clear()

    def _show(self, results: RunResults) -> None:
        if results.run_id != self._wanted:
            return
        self.results = results
        run = results.run
        name = f" — {html.escape(run['name'])}" if run["name"] else ""
        about = (
            f"{run['strategy']} {params_text(run['params'])} · {', '.join(run['symbols'])}"
            f" · {run['period']} · {run['status']}"
        )
        lines = [f"<b>Run {results.run_id}</b>{name}", html.escape(about)]
        if run["tags"]:
            lines.append(html.escape("Tags: " + ", ".join(run["tags"])))
        if run["error"]:
            lines.append(f"<span style='color:#ef5350'>{html.escape(run['error'])}</span>")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setText("<br>".join(lines))
        self.header.setToolTip(run["notes"] or "")
        self.header.show()
        self.pages.setCurrentWidget(self.body)
        self._fill_stats(results.stats)
        eq = results.equity
        self.plot.set_curve(eq["ts"], eq["equity"], eq["drawdown_pct"])
        self.trades_model.set_trades(results.trades)
        self._fit_trade_columns()
        self.montecarlo.set_run(results.run_id)
        self.loaded.emit(results.run_id)

    def _show_log(self, log: RecordedLog | None) -> None:
        """The run's messages (the first ``MAX_SHOWN_LINES``), the tab saying how many."""
        if log is not None and log.run_id != self._wanted:
            return
        self.log_view.set_lines([] if log is None else log.lines)
        self._log_run = log.run_id if log is not None and log.total else None
        self.export_log_button.setEnabled(self._log_run is not None)
        self.export_status.clear()
        title = "Log"
        if log is not None and log.total > len(log.lines):
            title = f"Log (first {len(log.lines):,} of {log.total:,})"
        elif log is not None and log.total:
            title = f"Log ({log.total:,})"
        self.tabs.setTabText(self.tabs.indexOf(self.log_page), title)

    def export_log(self, path: str | Path) -> None:
        """Write every message of the run shown to ``path`` (CSV or Parquet by its
        extension) on the database thread; ``logExported`` says how it went."""
        run_id = self._log_run
        if run_id is None:
            return
        self.export_log_button.setEnabled(False)
        self.export_status.setText("exporting…")
        self.worker.submit(
            lambda cur: export_run(cur, run_id, "log", path),
            partial(self._log_export_done, run_id, Path(path)),
            partial(self._log_export_failed, run_id),
        )

    def _ask_export_log(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export the run's messages",
            f"run-{self._log_run}-log.csv",
            "CSV (*.csv);;Parquet (*.parquet)",
        )
        if name:
            self.export_log(name)

    def _log_export_done(self, run_id: int, path: Path, count: int) -> None:
        self._log_export_said(run_id, f"wrote {count:,} messages to {path}")

    def _log_export_failed(self, run_id: int, message: str) -> None:
        self._log_export_said(run_id, message)  # the store's error says what and where

    def _log_export_said(self, run_id: int, text: str) -> None:
        if run_id == self._log_run:  # not about a run shown before
            self.export_status.setText(text)
            self.export_log_button.setEnabled(True)
        self.logExported.emit(text)

    def _log_failed(self, run_id: int, message: str) -> None:
        if run_id == self._wanted:  # not a late failure of a run asked for before
            self.log_view.set_lines([f"Cannot read the run's messages: {message}"])

    def _fail(self, run_id: int, message: str) -> None:
        if run_id != self._wanted:  # a late failure of a run asked for before
            return
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.header.setText(f"Cannot open the run: {message}")
        self.header.show()
        self.loadFailed.emit(message)

    def _make_log_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.export_status, 1)
        row.addWidget(self.export_log_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.log_view, 1)
        return page

    def _make_stats_table(self) -> QTableWidget:
        table = QTableWidget(len(STAT_DEFINITIONS), 2)
        table.setHorizontalHeaderLabels(["Statistic", "Value"])
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # values whole; any room left goes to them
        for row, (name, definition) in enumerate(STAT_DEFINITIONS.items()):
            label = QTableWidgetItem(name)
            label.setToolTip(definition)
            value = QTableWidgetItem("")
            value.setToolTip(definition)
            value.setTextAlignment(_RIGHT)
            table.setItem(row, 0, label)
            table.setItem(row, 1, value)
        return table

    def _fill_stats(self, stats: dict[str, object]) -> None:
        table = self.stats_table
        for row, name in enumerate(STAT_DEFINITIONS):
            item = table.item(row, 1)
            item.setText(stat_text(stats[name]) if name in stats else "")
        # never narrower than its names and values: the splitter gives the rest to the plot
        bar = table.verticalScrollBar().sizeHint().width()
        table.setMinimumWidth(
            table.sizeHintForColumn(0) + max(table.sizeHintForColumn(1), 90) + bar
            + 2 * table.frameWidth() + 4
        )  # fmt: skip

    def _fit_trade_columns(self) -> None:
        """Each trade column as wide as its header and its widest text. Only the cells
        likely widest are measured (``widest_rows``), a few a column: Qt's
        ``resizeColumnsToContents`` measured a screenful of rows a column, ~10 ms of the
        window after every run."""
        model, view = self.trades_model, self.trades_view
        header = view.horizontalHeader()
        row_of = np.empty_like(model.rows)  # a trade's row in the view (the model sorts)
        row_of[model.rows] = np.arange(len(model.rows))
        for column, (key, _, _) in enumerate(TRADE_COLUMNS):
            values = model.trades.get(key)
            trades = widest_rows(values) if values is not None else set()
            header.resizeSection(column, fitted_width(view, column, row_of[list(trades)]))

    def _on_trade_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            symbol, entry, exit_ = self.trades_model.trade_at(index.row())
            self.centerRequested.emit(symbol, (entry + exit_) // 2)
