"""Run details' Monte Carlo tab: the run's round trips resampled into an equity fan chart
(5-95 and 25-75 percentile bands, median, the run's own path), histograms of the paths'
maximum drawdown and final return, and the risk of ruin at a loss the user sets.

The round trips are read on the run worker's database thread; the simulation (a quarter to
half a second for 10,000 paths of 4,000 trades) runs on a thread of its own and hands its
result back with a queued signal, so the window never waits for it. A result for a run or
settings no longer asked for is dropped. The three plots are built when the tab first shows
(or a result comes): ~60 ms of every start, for a tab many sessions never open.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.empty_state import empty_state_label
from ostdesk.gui.runs.plots import _style
from ostdesk.gui.runs.worker import RunWorker
from ostdesk.research.montecarlo import (
    CLOSED_TRADES_NOTE,
    METHODS,
    SIZINGS,
    MonteCarlo,
    run_pnl,
    simulate,
)

_BAND = QColor("#4e79a7")
_RUN = QColor("#f28e2b")
_HELP = {
    "bootstrap": "Draw the run's round trips with replacement: other trades like these",
    "permutation": "Reorder all of the run's round trips: the same trades in another order",
    "compound": "A trade changes the equity by its return on the equity it was taken with",
    "fixed": "A trade changes the equity by its P&L in money (strategies of one size)",
}


class _Simulation(QObject):
    """Carries one simulation's result from its thread to the GUI thread."""

    finished = Signal(object, object)  # request, MonteCarlo
    failed = Signal(object, str)  # request, message


class MonteCarloPanel(QWidget):
    """``set_run(run_id)`` names the run; Run (or ``simulate()``) computes; ``computed``
    fires with the result once shown, ``failed`` with the one line that says why not."""

    computed = Signal(object)  # MonteCarlo
    failed = Signal(str)

    def __init__(self, worker: RunWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.run_id: int | None = None
        self.result: MonteCarlo | None = None
        self._request: tuple[Any, ...] | None = None
        self._threads: list[threading.Thread] = []
        self.paths = QSpinBox()
        self.paths.setRange(100, 100_000)
        self.paths.setSingleStep(1_000)
        self.paths.setValue(10_000)
        self.paths.setGroupSeparatorShown(True)
        self.method = self._combo(METHODS)
        self.sizing = self._combo(SIZINGS)
        self.ruin = QDoubleSpinBox()
        self.ruin.setRange(1.0, 100.0)
        self.ruin.setValue(50.0)
        self.ruin.setSuffix(" %")
        self.ruin.setDecimals(1)
        self.ruin.setToolTip("Ruin: losing this share of the starting capital at any point")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.simulate)
        self.status = QLabel("Open a run, then Run to resample its round trips.")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Paths", self.paths)
        form.addRow("Method", self.method)
        form.addRow("Sizing", self.sizing)
        form.addRow("Ruin at a loss of", self.ruin)
        form.addRow("Seed", self.seed)
        form.addRow(self.run_button)
        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addWidget(self.status, 1)
        side = QWidget()
        side.setLayout(controls)
        # no axes until there is a result: empty plots showed "Equity -400..400" and 0.2..0.8
        self.empty_state = empty_state_label("Run to see the paths' equity and their drawdowns")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_state)
        self.charts: QSplitter | None = None  # the plots, once built (``_build_charts``)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(side)
        layout.addWidget(self.pages, 1)
        self.run_button.setEnabled(False)

    @property
    def busy(self) -> bool:
        return self._request is not None

    def set_run(self, run_id: int | None) -> None:
        """Show nothing for the new run until asked (a result still coming is dropped)."""
        if run_id == self.run_id:
            return
        self.run_id = run_id
        self._request = None
        self.result = None
        self._clear_plots()
        self.run_button.setEnabled(run_id is not None)
        self.status.setText(
            "Open a run, then Run to resample its round trips."
            if run_id is None
            else f"Run to resample the round trips of run {run_id}."
        )

    def simulate(self) -> None:
        """Read the run's round trips (database thread), then resample them (own thread)."""
        if self.run_id is None:
            return
        run_id = self.run_id
        options = {
            "paths": self.paths.value(),
            "seed": self.seed.value(),
            "method": self.method.currentData(),
            "sizing": self.sizing.currentData(),
            "ruin_pct": self.ruin.value(),
        }
        request = (run_id, *options.values())
        self._request = request
        self.run_button.setEnabled(False)
        self.status.setText(f"Resampling run {run_id}: {options['paths']:,} paths…")
        self.worker.submit(
            lambda cur: run_pnl(cur, run_id),
            lambda loaded: self._start(request, loaded, options),
            lambda message: self._failed(request, message),
        )

    def wait(self) -> None:
        """Join the simulation threads started (for a caller about to close)."""
        for thread in self._threads:
            thread.join()
        self._threads.clear()

    def _start(self, request: tuple[Any, ...], loaded: Any, options: dict[str, Any]) -> None:
        if request != self._request:
            return
        pnl, capital = loaded
        carrier = _Simulation()
        carrier.finished.connect(self._finished)
        carrier.failed.connect(self._failed)

        def work() -> None:
            try:
                result = simulate(pnl, capital, **options)
            except Exception as exc:  # shown in the panel in one line, never lost
                carrier.failed.emit(request, f"run {request[0]}: {exc}")
            else:
                carrier.finished.emit(request, result)

        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=work, name="ostdesk-montecarlo-panel", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _finished(self, request: tuple[Any, ...], result: MonteCarlo) -> None:
        if request != self._request:
            return
        self._request = None
        self.result = result
        self.run_button.setEnabled(True)
        self._show(result)
        self.computed.emit(result)

    def _failed(self, request: tuple[Any, ...], message: str) -> None:
        if request != self._request:
            return
        self._request = None
        self.run_button.setEnabled(True)
        self._clear_plots()
        self.status.setText(f"Cannot resample: {message}")
        self.failed.emit(message)

    def showEvent(self, event: QShowEvent) -> None:
        self._build_charts()
        super().showEvent(event)

    def _show(self, result: MonteCarlo) -> None:
        charts = self._build_charts()
        x = result.steps.astype(np.float64)
        for curve, row in zip(self._band_curves, result.bands, strict=True):
            curve.setData(x, row)
        self._run_curve.setData(x, result.actual)
        self._histogram(self._drawdown_hist, result.max_drawdown_pct)
        self._histogram(self._return_hist, result.final_return_pct)
        self.fan.enableAutoRange()
        self.pages.setCurrentWidget(charts)
        s = result.summary()
        dd, final = s["max_drawdown_pct"], s["final_return_pct"]
        self.status.setText(
            f"{result.paths:,} {result.method} paths of {result.trades:,} round trips "
            f"({result.sizing} sizing).\n"
            f"Max drawdown: median {dd['p50']:.1f}%, 5th percentile {dd['p5']:.1f}% "
            f"(closed trades of the run: {dd['closed_trades_of_the_run']:.1f}%).\n"
            f"Final return: median {final['p50']:.1f}%, 5th percentile {final['p5']:.1f}% "
            f"(closed trades of the run: {final['closed_trades_of_the_run']:.1f}%).\n"
            f"Risk of ruin (losing {result.ruin_pct:g}% of the capital): "
            f"{s['risk_of_ruin_pct']:.2f}% of paths.\n"
            f"{CLOSED_TRADES_NOTE[0].upper()}{CLOSED_TRADES_NOTE[1:]}."
        )

    def _histogram(self, item: pg.PlotDataItem, values: np.ndarray) -> None:
        """40 bins over the middle 99% of the paths; the rarer extremes join the end bins,
        so one path with a huge return does not squeeze all others into one bar."""
        low, high = np.percentile(values, [0.5, 99.5])
        counts, edges = np.histogram(np.clip(values, low, high), bins=40)
        item.setData(edges, counts, stepMode="center", fillLevel=0)

    def _clear_plots(self) -> None:
        self.pages.setCurrentWidget(self.empty_state)
        if self.charts is None:
            return  # nothing drawn yet
        for curve in (*self._band_curves, self._run_curve):
            curve.setData([], [])
        for item in (self._drawdown_hist, self._return_hist):
            item.setData([], [])

    def _combo(self, choices: tuple[str, ...]) -> QComboBox:
        box = QComboBox()
        for choice in choices:
            box.addItem(choice.capitalize(), choice)
            box.setItemData(box.count() - 1, _HELP[choice], Qt.ItemDataRole.ToolTipRole)
        return box

    def _build_charts(self) -> QSplitter:
        """The fan chart over the two histograms, built once, on the stack's second page."""
        if self.charts is not None:
            return self.charts
        self.fan = pg.PlotWidget()
        self.drawdowns = pg.PlotWidget()
        self.returns = pg.PlotWidget()
        self._make_plots()
        histograms = QSplitter(Qt.Orientation.Horizontal)
        histograms.addWidget(self.drawdowns)
        histograms.addWidget(self.returns)
        charts = QSplitter(Qt.Orientation.Vertical)
        charts.addWidget(self.fan)
        charts.addWidget(histograms)
        charts.setSizes([300, 150])
        self.pages.addWidget(charts)
        self.charts = charts
        return charts

    def _make_plots(self) -> None:
        palette = self.palette()
        for plot in (self.fan, self.drawdowns, self.returns):
            plot.setBackground(palette.color(QPalette.ColorRole.Base))
            _style(plot.getPlotItem(), palette)
        self.fan.setLabel("left", "Equity", units="$")
        self.fan.setLabel("bottom", "Round trips")
        self.drawdowns.setLabel("bottom", "Max drawdown", units="%")
        self.returns.setLabel("bottom", "Final return", units="%")
        self.drawdowns.setLabel("left", "Paths")
        for plot in (self.drawdowns, self.returns):  # a narrower one cut its title
            title = plot.getAxis("bottom").label.boundingRect().width()
            plot.setMinimumWidth(round(title) + 80)  # and the left axis
        pen = pg.mkPen(_BAND, width=1)
        self._band_curves = [self.fan.plot([], [], pen=pen) for _ in range(5)]
        for (low, high), alpha in (((0, 4), 50), ((1, 3), 90)):
            fill = QColor(_BAND)
            fill.setAlpha(alpha)
            self.fan.addItem(
                pg.FillBetweenItem(self._band_curves[low], self._band_curves[high], brush=fill)
            )
        self._band_curves[2].setPen(pg.mkPen(_BAND, width=2))
        self._run_curve = self.fan.plot([], [], pen=pg.mkPen(_RUN, width=1.5))
        brush = QColor(_BAND)
        brush.setAlpha(120)
        self._drawdown_hist = self.drawdowns.plot([], [], pen=pg.mkPen(_BAND), brush=brush)
        self._return_hist = self.returns.plot([], [], pen=pg.mkPen(_BAND), brush=brush)
