"""Parallel coordinates of a study of more than two parameters: one vertical axis per
parameter and one for the objective, each trial a line across them coloured by its objective,
the best trial drawn over the rest. Which values the good trials share shows as bundles.

Lines are drawn by colour band, each band one ``PlotDataItem`` whose trials are separated by
NaN (``connect="finite"``): thousands of trials cost a handful of items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ostdesk.research.spec import StudySpec
from ostdesk.store.studies import TrialRow

BANDS = 8
_BEST = QColor("#ff1744")


def _position(dim_values: Sequence[Any], value: Any, low: float, high: float) -> float:
    """Where ``value`` sits on its axis, 0..1 (a list of values: by its place in the list)."""
    if dim_values and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in dim_values
    ):
        names = [getattr(v, "name", v) for v in dim_values]
        index = names.index(value) if value in names else 0
        return index / max(1, len(names) - 1)
    if not isinstance(value, int | float) or high == low:
        return 0.5
    return (float(value) - low) / (high - low)


class ParallelCoordinates(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.note = QLabel()
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getPlotItem().hideAxis("left")
        self.colormap = pg.colormap.get("viridis")
        self._items: list[Any] = []
        self.line_count = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)

    def set_study(self, spec: StudySpec | None) -> None:
        self.spec = spec
        self.set_trials((), None)

    def set_trials(self, trials: Sequence[TrialRow], best: TrialRow | None) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        self.line_count = 0
        spec = self.spec
        if spec is None:
            self.note.setText("")
            return
        stat = spec.objectives[0].stat
        done = [
            t
            for t in trials
            if t.status == "completed" and t.feasible and math.isfinite(t.objective[0])
        ]
        self.note.setText(
            f"{len(done):,} completed trials across {len(spec.space)} parameters and {stat}; "
            "colour: the objective (yellow best), red: the best trial"
        )
        axes = [d.name for d in spec.space] + [stat]
        bounds = []
        for d in spec.space:
            numbers = [
                float(v) for v in d.values if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            if d.discrete and numbers:
                bounds.append((min(numbers), max(numbers)))
            else:
                bounds.append((float(d.low or 0.0), float(d.high or 0.0)))
        values = np.array([t.objective[0] for t in done], dtype=np.float64)
        if values.size:
            bounds.append((float(values.min()), float(values.max())))
        else:
            bounds.append((0.0, 1.0))
        self._axes(axes, bounds)
        if not done:
            return
        minimize = spec.objectives[0].minimize
        low, high = bounds[-1]
        score = (values - low) / (high - low) if high > low else np.full(values.size, 0.5)
        if minimize:
            score = 1.0 - score
        band = np.minimum((score * BANDS).astype(int), BANDS - 1)
        xs = np.arange(len(axes), dtype=np.float64)

        def line(t: TrialRow) -> list[float]:
            ys = [
                _position(d.values, t.params.get(d.name), *bounds[i])
                for i, d in enumerate(spec.space)
            ]
            return [*ys, _position((), t.objective[0], *bounds[-1])]

        rows = np.array([line(t) for t in done])
        for b in range(BANDS):
            chosen = rows[band == b]
            if not len(chosen):
                continue
            x = np.tile(np.append(xs, np.nan), len(chosen))
            y = np.hstack([chosen, np.full((len(chosen), 1), np.nan)]).ravel()
            color = self.colormap.map((b + 0.5) / BANDS, mode="qcolor")
            color.setAlpha(140)
            item = pg.PlotDataItem(x, y, pen=pg.mkPen(color, width=1), connect="finite")
            self.plot.addItem(item)
            self._items.append(item)
        self.line_count = len(done)
        if best is not None and best in done:
            item = pg.PlotDataItem(xs, line(best), pen=pg.mkPen(_BEST, width=3))
            item.setZValue(10)
            self.plot.addItem(item)
            self._items.append(item)

    def _axes(self, names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> None:
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        item.setRange(xRange=(-0.3, len(names) - 0.7), yRange=(-0.08, 1.08), padding=0)
        for i, (low, high) in enumerate(bounds):
            axis = pg.PlotDataItem([i, i], [0, 1], pen=pg.mkPen("#888888", width=2))
            self.plot.addItem(axis)
            self._items.append(axis)
            for y, value, anchor in ((0, low, (-0.05, 1)), (1, high, (-0.05, 0))):
                text = pg.TextItem(f"{value:.4g}", color="#aaaaaa", anchor=anchor)
                text.setPos(i, y)
                self.plot.addItem(text)
                self._items.append(text)
