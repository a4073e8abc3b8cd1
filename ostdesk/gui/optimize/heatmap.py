"""A heatmap of any two searched parameters (pyqtgraph ``ImageItem``): a cell per pair of
values, coloured by a statistic, the axes labelled with the parameters' values, the best cell
outlined and its neighbourhood framed, so a plateau reads apart from a lone spike.

The numbers come from ``ostdesk.gui.optimize.heat_grid`` (the other parameters fixed at the
best trial's values, or the best or mean over them); this widget only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ostdesk.gui.optimize.heat_grid import HeatGrid, heat_grid
from ostdesk.research.spec import STUDY_STATS, StudySpec
from ostdesk.store.studies import TrialRow

MAX_TICKS = 20  # labels on an axis at most; a longer one labels every n-th value
MAX_CELL_TEXT = 12  # cells per axis up to which each cell shows its value
MIN_PLOT_HEIGHT = 160  # px: a short dock squeezed the map to ~100 px, ten rows of 10 px
_BEST = QColor("#ff1744")
_BEST_PEN = 0.08  # the best cell's border, in cells
_NEAR = QColor("#ffffff")
_TEXT = QColor("#ffffff")
HOW_LABELS = {
    "best": "others at the best trial's values",
    "max": "best over the others",
    "mean": "mean over the others",
}


class CellTexts(pg.GraphicsObject):
    """Every cell's value written on it, by one item that paints them all.

    A ``pg.TextItem`` per cell cost ~1 ms of the main thread each to create and place (each
    tracks the view's transform): a 10 x 10 map drawn for the first time stalled the window
    for ~90 ms. Here the texts are drawn in device pixels at their cells' centres, so they keep
    their size whatever the map's scale."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[float, float, str]] = []  # (x, y) of a cell's centre, its text
        self._rect = QRectF()

    def set_cells(self, cells: list[tuple[float, float, str]], rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.cells, self._rect = cells, rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *_: Any) -> None:
        to_device = painter.transform()
        painter.resetTransform()
        painter.setPen(_TEXT)
        centred = Qt.AlignmentFlag.AlignCenter
        for x, y, text in self.cells:
            at = to_device.map(QPointF(x, y))
            painter.drawText(QRectF(at.x() - 50, at.y() - 10, 100, 20), centred, text)


class HeatmapView(QWidget):
    """Two parameter pickers, the statistic and how other parameters are folded, the map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.trials: Sequence[TrialRow] = ()
        self.best: TrialRow | None = None
        self.grid: HeatGrid | None = None
        self.x_param = QComboBox()
        self.y_param = QComboBox()
        self.stat = QComboBox()
        self.how = QComboBox()
        for key, text in HOW_LABELS.items():
            self.how.addItem(text, key)
        self.how.setToolTip("with more than two parameters, what a cell shows of the others")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.best_box = pg.QtWidgets.QGraphicsRectItem()
        self.best_box.setPen(QPen(_BEST, _BEST_PEN))
        self.near_box = pg.QtWidgets.QGraphicsRectItem()
        near = QPen(_NEAR, 0.04)
        near.setStyle(Qt.PenStyle.DashLine)
        self.near_box.setPen(near)
        for box in (self.near_box, self.best_box):
            box.setZValue(10)
            self.plot.addItem(box)
            box.hide()
        self.texts = CellTexts()
        self.texts.setZValue(5)
        self.plot.addItem(self.texts)

        pickers = QHBoxLayout()
        for label, box in (("X", self.x_param), ("Y", self.y_param), ("Colour", self.stat)):
            pickers.addWidget(QLabel(label))
            pickers.addWidget(box, 1)
        pickers.addWidget(self.how, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(pickers)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        for box in (self.x_param, self.y_param, self.stat, self.how):
            box.currentIndexChanged.connect(self.redraw)
            # sized by their longest item they set the dock's minimum width (past 1440 px)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(6)

    def set_study(self, spec: StudySpec | None) -> None:
        """Pickers for ``spec``'s parameters (the first two) and statistics (the objective)."""
        self.spec = spec
        names = [d.name for d in spec.space] if spec is not None else []
        stats = (
            list(dict.fromkeys([*(o.stat for o in spec.objectives), *STUDY_STATS])) if spec else []
        )
        for box, items, pick in (
            (self.x_param, names, 0),
            (self.y_param, names, 1),
            (self.stat, stats, 0),
        ):
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            box.setCurrentIndex(min(pick, len(items) - 1))
            box.blockSignals(False)
        self.how.setEnabled(len(names) > 2)
        self.trials, self.best = (), None
        self.redraw()

    def set_trials(self, trials: Sequence[TrialRow], best: TrialRow | None) -> None:
        self.trials, self.best = trials, best
        self.redraw()

    def redraw(self, *_: object) -> None:
        spec = self.spec
        x, y, stat = self.x_param.currentText(), self.y_param.currentText(), self.stat.currentText()
        if spec is None or len(spec.space) < 2 or not stat:
            self._clear("A heatmap needs a study of two parameters or more")
            return
        if x == y:
            self._clear("Choose two different parameters")
            return
        minimize = next((o.minimize for o in spec.objectives if o.stat == stat), False)
        self.grid = grid = heat_grid(
            self.trials,
            spec.space,
            x,
            y,
            stat,
            minimize=minimize,
            how=str(self.how.currentData()),
            best_params=self.best.params if self.best is not None else None,
        )
        self._draw(grid, x, y, stat)

    def _clear(self, message: str) -> None:
        self.grid = None
        self.image.clear()
        self.best_box.hide()
        self.near_box.hide()
        self._set_texts(np.empty((0, 0)))
        self.summary.setText(message)

    def _draw(self, grid: HeatGrid, x: str, y: str, stat: str) -> None:
        ny, nx = grid.z.shape
        finite = grid.z[np.isfinite(grid.z)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            if low == high:
                low, high = low - 0.5, high + 0.5
            self.image.setImage(grid.z, autoLevels=False)
            self.colorbar.setLevels((low, high))
        else:
            self.image.setImage(np.full((ny, nx), np.nan), autoLevels=False)
        self.image.setRect(QRectF(0, 0, nx, ny))
        item = self.plot.getPlotItem()
        item.setLabel("bottom", x)
        item.setLabel("left", y)
        item.getAxis("bottom").setTicks([_ticks(grid.x_labels)])
        item.getAxis("left").setTicks([_ticks(grid.y_labels)])
        item.setRange(xRange=(0, nx), yRange=(0, ny), padding=0.02)
        self._set_texts(grid.z if max(nx, ny) <= MAX_CELL_TEXT else np.empty((0, 0)))
        if grid.best is None:
            self.best_box.hide()
            self.near_box.hide()
            self.summary.setText(f"No completed trial yet to colour by {stat}")
            return
        ix, iy = grid.best
        inset = _BEST_PEN / 2  # the border inside its cell: on the top row it was clipped
        self.best_box.setRect(QRectF(ix + inset, iy + inset, 1 - 2 * inset, 1 - 2 * inset))
        x0, y0 = max(0, ix - 1), max(0, iy - 1)
        self.near_box.setRect(QRectF(x0, y0, min(nx, ix + 2) - x0, min(ny, iy + 2) - y0))
        self.best_box.show()
        self.near_box.show()
        best = float(grid.z[iy, ix])
        around = grid.neighbourhood()
        text = f"Best {stat} {best:,.4g} at {x} = {grid.x_labels[ix]}, {y} = {grid.y_labels[iy]}"
        if around.size > 1 and best != 0:
            mean = float(np.mean(around))
            text += (
                f" · its neighbourhood (dashed) averages {mean:,.4g} "
                f"({mean / best:.0%} of the best)"
            )
        self.summary.setText(text)

    def _set_texts(self, z: np.ndarray[Any, Any]) -> None:
        """Each cell's value written on it (a running study redraws the map twice a second)."""
        ny, nx = z.shape
        cells = [
            (ix + 0.5, iy + 0.5, f"{z[iy, ix]:.3g}")
            for iy, ix in zip(*np.nonzero(np.isfinite(z)), strict=True)
        ]
        self.texts.set_cells(cells, QRectF(0, 0, nx, ny))


def _ticks(labels: Sequence[str]) -> list[tuple[float, str]]:
    every = max(1, -(-len(labels) // MAX_TICKS))
    return [(i + 0.5, label) for i, label in enumerate(labels) if i % every == 0]
