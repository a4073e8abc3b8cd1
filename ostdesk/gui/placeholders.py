"""Stand-ins the main window shows until the full widgets of their own issues replace them.

``PriceLinePanel`` draws each symbol's closes live from the bridge's bar batches (the chart
issue's ``ChartWidget`` replaces it via ``MainWindow.set_central_chart``); ``RunListPanel``
lists recorded runs (the run browser replaces it via ``MainWindow.add_dock``);
``WelcomePanel`` is what an empty store shows: one click installs the demo data and runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.batches import BarColumns
from ostdesk.store.database import Database
from ostdesk.store.runs import list_runs

RUN_LIST_LIMIT = 500
REDRAW_MS = 150  # a growing line redrawn ~7 times a second looks live and costs little


class PriceLinePanel(QWidget):
    """The close of one symbol as a line, appended batch by batch (amortised O(1) per bar)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg  # heavy: imported when the first chart is built

        self._ts: dict[str, np.ndarray[Any, Any]] = {}
        self._close: dict[str, np.ndarray[Any, Any]] = {}
        self._size: dict[str, int] = {}
        self._low: dict[str, float] = {}
        self._high: dict[str, float] = {}
        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(lambda: self._redraw(self.symbol_box.currentText()))
        self.symbol_box = QComboBox()
        self.symbol_box.setMinimumContentsLength(14)
        self.symbol_box.currentTextChanged.connect(self._redraw)
        self.caption = QLabel("Run a backtest to see its prices here.")
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setMenuEnabled(False)
        self.plot.disableAutoRange()  # ranges come from running min/max: O(batch), not O(n)
        self._curve = self.plot.plot([], [])
        self.apply_palette()
        top = QHBoxLayout()
        top.addWidget(self.symbol_box)
        top.addWidget(self.caption, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)

    def apply_palette(self) -> None:
        """Follow the window's light/dark palette."""
        import pyqtgraph as pg

        palette = self.palette()
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTextPen(text)
            axis.setPen(pg.mkPen(text))
        self._curve.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Highlight), width=1.5))

    @property
    def bar_count(self) -> int:
        return sum(self._size.values())

    def clear(self) -> None:
        self._ts.clear()
        self._close.clear()
        self._size.clear()
        self._low.clear()
        self._high.clear()
        self.symbol_box.clear()
        self._curve.setData([], [])

    def append_bars(self, batch: dict[str, BarColumns]) -> None:
        for symbol, cols in batch.items():
            if symbol not in self._size:
                self._ts[symbol] = np.empty(4096)
                self._close[symbol] = np.empty(4096)
                self._size[symbol] = 0
                self._low[symbol], self._high[symbol] = np.inf, -np.inf
                self.symbol_box.addItem(symbol)
            n, k = self._size[symbol], len(cols)
            if n + k > len(self._ts[symbol]):
                capacity = max(2 * len(self._ts[symbol]), n + k)
                self._ts[symbol] = np.resize(self._ts[symbol], capacity)
                self._close[symbol] = np.resize(self._close[symbol], capacity)
            self._ts[symbol][n : n + k] = cols.ts / 1e9
            self._close[symbol][n : n + k] = cols.close
            self._size[symbol] = n + k
            self._low[symbol] = min(self._low[symbol], float(cols.low.min()))
            self._high[symbol] = max(self._high[symbol], float(cols.high.max()))
        if self.symbol_box.currentText() in batch and not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _redraw(self, symbol: str) -> None:
        n = self._size.get(symbol, 0)
        if not n:
            return
        ts = self._ts[symbol]
        self._curve.setData(ts[:n], self._close[symbol][:n], skipFiniteCheck=True)
        self.plot.setXRange(ts[0], ts[n - 1] if n > 1 else ts[0] + 60, padding=0.02)
        self.plot.setYRange(self._low[symbol], self._high[symbol], padding=0.05)
        self.caption.setText(f"{symbol}: last close {self._close[symbol][n - 1]:,.2f}")


class RunListPanel(QTreeWidget):
    """Recorded runs, newest first, with headline statistics."""

    HEADERS = ("Run", "Status", "Strategy", "Return %", "Trades", "Sharpe")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(self.HEADERS)
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)

    def refresh(self, db: Database) -> None:
        runs = list_runs(db, limit=RUN_LIST_LIMIT)
        self.clear()
        items = []
        for i in range(len(runs["run_id"])):
            values = (
                str(runs["run_id"][i]),
                str(runs["status"][i]),
                str(runs["strategy"][i]),
                _number(runs["return_pct"][i], "{:+.2f}"),
                _number(runs["trades"][i], "{:,.0f}"),
                _number(runs["sharpe"][i], "{:.2f}"),
            )
            item = QTreeWidgetItem(values)
            item.setToolTip(
                0,
                f"{', '.join(runs['symbols'][i])} — "
                f"{_number(runs['bars'][i], '{:,.0f}')} {runs['period'][i]} bars",
            )
            for col in (0, 3, 4, 5):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight)
            items.append(item)
        self.addTopLevelItems(items)
        for col in range(len(self.HEADERS)):
            self.resizeColumnToContents(col)


def _number(value: Any, fmt: str) -> str:
    if value is None or value is np.ma.masked:  # DuckDB returns NULLs as masked elements
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if np.isnan(number) else fmt.format(number)


class WelcomePanel(QWidget):
    """Shown while the store has no market data: the first run is one click away."""

    runDemoRequested = Signal()
    installDemoRequested = Signal()

    def __init__(self, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Welcome to ostdesk")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        body = QLabel(
            "There is no market data in this database yet.\n"
            "Install the synthetic demo data (five DEMO-… symbols, four weeks of minute bars) "
            "and run a moving-average crossover on it, or import your own bars with "
            "`ostdesk import`.\n\n"
            f"Database: {db_path}"
        )
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton("Install demo data and run SMA crossover")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.runDemoRequested)
        self.install_button = QPushButton("Install demo data only")
        self.install_button.clicked.connect(self.installDemoRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.install_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(body)
        column.addSpacing(12)
        column.addLayout(buttons)
        box = QWidget()
        box.setFixedWidth(600)  # a fixed width lets the wrapped text take its full height
        box.setLayout(column)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
