"""Runs side by side: equity curves overlaid (normalised to start at 100), statistics with
the best value of each highlighted, and the configuration with differing rows marked."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.empty_state import empty_state_label
from ostdesk.gui.runs.format import MISSING, date_text, stat_number, stat_text
from ostdesk.gui.runs.plots import ComparisonPlot
from ostdesk.gui.runs.queries import RunResults, load_many_results
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.store.stats import STAT_DEFINITIONS

# +1: higher is better, -1: lower is better; statistics not listed have no "best"
BETTER = {
    "Equity Final [$]": 1,
    "Equity Peak [$]": 1,
    "Commissions [$]": -1,
    "Return [%]": 1,
    "Return (Ann.) [%]": 1,
    "Volatility (Ann.) [%]": -1,
    "CAGR [%]": 1,
    "Sharpe Ratio": 1,
    "Sortino Ratio": 1,
    "Calmar Ratio": 1,
    "Alpha [%]": 1,
    "Max. Drawdown [%]": 1,  # negative: closest to zero is best
    "Avg. Drawdown [%]": 1,
    "Max. Drawdown Duration": -1,
    "Avg. Drawdown Duration": -1,
    "Win Rate [%]": 1,
    "Best Trade [%]": 1,
    "Worst Trade [%]": 1,
    "Avg. Trade [%]": 1,
    "Profit Factor": 1,
    "Expectancy [%]": 1,
    "SQN": 1,
    "Kelly Criterion": 1,
}
BEST = QColor(38, 166, 154, 70)
DIFFERENT = QColor(240, 160, 48, 70)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
EMPTY_TEXT = (
    "Nothing to compare yet. Select two or more runs in the Runs tab (Ctrl+click) and "
    "choose Compare: their equity curves, statistics and settings appear side by side here."
)


def best_column(values: Sequence[float], direction: int) -> int | None:
    """Index of the best finite value, or None when fewer than two differ."""
    finite = [(v, i) for i, v in enumerate(values) if not math.isnan(v)]
    if len(finite) < 2 or len({v for v, _ in finite}) < 2:
        return None
    return (max if direction > 0 else min)(finite)[1]


def configuration(results: RunResults) -> dict[str, str]:
    """What defines a run, as text per row: its settings, then each parameter."""
    run = results.run
    rows = {
        "Strategy": str(run["strategy"]),
        "Symbols": ", ".join(run["symbols"]),
        "Period": str(run["period"]),
        "From": date_text(run["start_ns"]) if run["start_ns"] is not None else "start",
        "To": date_text(run["end_ns"]) if run["end_ns"] is not None else "end",
        "Capital": f"{run['capital']:,.2f}",
        "Commission": str(run["commission"]),
        "Slippage (ticks)": f"{run['slippage_ticks']:g}",
    }
    rows.update({f"  {k}": str(v) for k, v in run["params"].items()})
    return rows


class RunComparison(QWidget):
    """Call ``compare(run_ids)``; ``loaded`` fires with the ids once shown."""

    loaded = Signal(object)  # list[int]
    loadFailed = Signal(str)

    def __init__(self, worker: RunWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.results: list[RunResults] = []
        self.best: dict[str, int] = {}  # statistic -> run id highlighted as best
        self.differing: list[str] = []  # configuration rows whose values differ
        self._wanted: list[int] = []
        self.header = QLabel()
        self.plot = ComparisonPlot()
        self.stats_table = _table()
        self.params_table = _table()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.stats_table, "Statistics")
        self.tabs.addTab(self.params_table, "Parameters")
        # side by side, not stacked: the bottom dock is wider than it is tall
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.plot)
        self.body.addWidget(self.tabs)
        self.body.setStretchFactor(0, 1)
        self.body.setStretchFactor(1, 1)
        self.empty_state = empty_state_label(EMPTY_TEXT)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_state)
        self.pages.addWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.header)
        layout.addWidget(self.pages, 1)
        self.header.hide()

    @property
    def run_ids(self) -> list[int]:
        return [r.run_id for r in self.results]

    def compare(self, run_ids: Sequence[int]) -> None:
        ids = list(run_ids)
        self._wanted = ids
        self.worker.submit(lambda cur: load_many_results(cur, ids), self._show, self._fail)

    def clear(self) -> None:
        self._wanted = []
        self._show([])

    def forget(self, run_ids: list[int]) -> None:
        """Drop deleted runs from the comparison."""
        if any(r in run_ids for r in self.run_ids):
            self._wanted = [r for r in self.run_ids if r not in run_ids]
            self._show([r for r in self.results if r.run_id not in run_ids])

    def _show(self, results: list[RunResults]) -> None:
        if [r.run_id for r in results] != self._wanted:
            return
        self.results = results
        labels = [r.label for r in results]
        self.header.setText(f"Comparing {len(results)} runs: " + ", ".join(labels))
        self.header.setVisible(bool(results))
        self.pages.setCurrentWidget(self.body if results else self.empty_state)
        self.plot.set_curves([(r.label, r.equity["ts"], r.equity["equity"]) for r in results])
        self._fill_stats(labels)
        self._fill_params(labels)
        self._fit_tables()
        self.loaded.emit(self.run_ids)

    def _fit_tables(self) -> None:
        """Give the statistics the width their columns need (up to 65% of the panel;
        beyond, they scroll), and the plot the rest. Not the parameters' width: their
        symbol lists can be wider than the screen."""
        total = sum(self.body.sizes())
        if total <= 0:
            return
        tables = min(_content_width(self.stats_table), int(total * 0.65))
        self.body.setSizes([total - tables, tables])

    def _fail(self, message: str) -> None:
        self.header.setText(f"Cannot compare the runs: {message}")
        self.header.show()
        self.loadFailed.emit(message)

    def _fill_stats(self, labels: list[str]) -> None:
        table = self.stats_table
        self.best = {}
        table.clear()
        table.setRowCount(len(STAT_DEFINITIONS))
        table.setColumnCount(len(labels))
        table.setHorizontalHeaderLabels(labels)
        table.setVerticalHeaderLabels(list(STAT_DEFINITIONS))
        for row, (name, definition) in enumerate(STAT_DEFINITIONS.items()):
            table.verticalHeaderItem(row).setToolTip(definition)
            values = [r.stats.get(name) for r in self.results]
            best = best_column([stat_number(v) for v in values], BETTER.get(name, 0))
            for col, value in enumerate(values):
                item = QTableWidgetItem(stat_text(value))
                item.setTextAlignment(_RIGHT)
                item.setToolTip(definition)
                if col == best and name in BETTER:
                    _mark(item, BEST)
                    self.best[name] = self.results[col].run_id
                table.setItem(row, col, item)
        table.resizeColumnsToContents()

    def _fill_params(self, labels: list[str]) -> None:
        configs = [configuration(r) for r in self.results]
        names = list(dict.fromkeys(k for c in configs for k in c))
        self.differing = []
        table = self.params_table
        table.clear()
        table.setRowCount(len(names))
        table.setColumnCount(len(labels))
        table.setHorizontalHeaderLabels(labels)
        table.setVerticalHeaderLabels(names)
        for row, name in enumerate(names):
            texts = [c.get(name, MISSING) for c in configs]
            differs = len(set(texts)) > 1
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if differs:
                    _mark(item, DIFFERENT)
                table.setItem(row, col, item)
            if differs:
                table.verticalHeaderItem(row).setFont(_bold())
                self.differing.append(name.strip())
        table.resizeColumnsToContents()


def _table() -> QTableWidget:
    table = QTableWidget()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    return table


def _content_width(table: QTableWidget) -> int:
    """What ``table`` needs to show every column whole, with its frame and scroll bar."""
    columns = sum(table.columnWidth(c) for c in range(table.columnCount()))
    bar = table.verticalScrollBar().sizeHint().width()
    return table.verticalHeader().sizeHint().width() + columns + bar + 2 * table.frameWidth() + 8


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _mark(item: QTableWidgetItem, color: QColor) -> None:
    item.setBackground(QBrush(color))
    item.setFont(_bold())
