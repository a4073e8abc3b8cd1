"""The Pareto scatter of a study of several objectives: every completed trial by its first two
objectives, the front (``ostdesk.research.ranking.pareto_front``: no trial beats one of them
on every objective) highlighted and joined, so the trade-off between them reads at a glance."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ostdesk.research.ranking import pareto_front
from ostdesk.research.spec import StudySpec
from ostdesk.store.studies import TrialRow

_FRONT = "#ff1744"
_OTHERS = "#7f8c9d"


class ParetoView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.front: list[TrialRow] = []
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.others = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(_OTHERS), pen=None)
        self.front_line = pg.PlotDataItem(
            pen=pg.mkPen(_FRONT, width=1.5),
            symbol="o",
            symbolSize=9,
            symbolBrush=pg.mkBrush(_FRONT),
            symbolPen=None,
        )
        self.plot.addItem(self.others)
        self.plot.addItem(self.front_line)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)

    def set_study(self, spec: StudySpec | None) -> None:
        self.spec = spec
        item = self.plot.getPlotItem()
        if spec is not None and len(spec.objectives) > 1:
            item.setLabel("bottom", spec.objectives[0].describe())
            item.setLabel("left", spec.objectives[1].describe())
        self.set_trials(())

    def set_trials(self, trials: Sequence[TrialRow]) -> None:
        spec = self.spec
        if spec is None or len(spec.objectives) < 2:
            self.others.setData([], [])
            self.front_line.setData([], [])
            self.front = []
            self.note.setText(
                "A study of two objectives (NSGA-II, grid or random) shows its Pareto front here"
            )
            return
        done = [
            t
            for t in trials
            if t.status == "completed" and t.feasible and all(math.isfinite(v) for v in t.objective)
        ]
        self.front = sorted(pareto_front(done, spec), key=lambda t: t.objective[0])
        front = set(id(t) for t in self.front)
        rest = [t for t in done if id(t) not in front]
        self.others.setData([t.objective[0] for t in rest], [t.objective[1] for t in rest])
        self.front_line.setData(
            [t.objective[0] for t in self.front], [t.objective[1] for t in self.front]
        )
        self.note.setText(
            f"{len(self.front)} trials on the Pareto front (red) of {len(done):,} completed"
        )
