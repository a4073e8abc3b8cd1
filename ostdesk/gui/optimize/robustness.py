"""The Optimize view's robustness summary of a study: the Deflated Sharpe Ratio of its best
trial, the Probability of Backtest Overfitting and the plateau score of the best cell, each
with its definition as a tooltip, and a note on what was assumed or is missing
(``ostdesk.research.robustness``). Computed from the trials the view already holds: a few
milliseconds for thousands of trials, so it follows a live study batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ostdesk.research.overfitting import DEFINITIONS, OverfittingError
from ostdesk.research.robustness import Robustness, robustness_of
from ostdesk.research.spec import StudySpec
from ostdesk.store.studies import TrialRow

ROWS = tuple(DEFINITIONS)  # Deflated Sharpe Ratio, Expected max Sharpe, PBO, Plateau score


class RobustnessView(QWidget):
    """``set_study(spec)``, then ``set_trials(trials, best)`` as they come (the same calls as
    the heatmap); ``summary`` is the last computed, or None with the reason in ``note``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.summary: Robustness | None = None
        self.table = QTableWidget(len(ROWS), 2)
        self.table.setHorizontalHeaderLabels(["Statistic", "Value"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, name in enumerate(ROWS):
            for col, text in enumerate((name, "")):
                item = QTableWidgetItem(text)
                item.setToolTip(DEFINITIONS[name])
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        self.note = QLabel("Run or open a study to judge its best trial.")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)

    def set_study(self, spec: StudySpec | None) -> None:
        self.spec = spec
        self.set_trials((), None)

    def set_trials(self, trials: Sequence[TrialRow], best: TrialRow | None) -> None:
        """Recompute from every trial so far (``best`` is the view's; the summary ranks the
        trials by the study's first objective itself)."""
        del best
        self.summary = None
        if self.spec is None or not trials:
            self._show({}, "Run or open a study to judge its best trial.")
            return
        try:
            summary = robustness_of(trials, self.spec.objectives[0], study_id=0)
        except OverfittingError as exc:
            self._show({}, str(exc).replace("study 0 has", "The study has"))
            return
        self.summary = summary
        d, o, p = summary.deflated, summary.overfitting, summary.plateau
        values = {
            "Deflated Sharpe Ratio": None if d is None else f"{d.dsr:.3f}",
            "Expected max Sharpe": None if d is None else f"{d.expected_max_sharpe:.4f} / period",
            "Probability of Backtest Overfitting": None if o is None else f"{o.pbo:.2f}",
            "Plateau score": None if p is None else f"{p.score:.2f} ({p.neighbours} neighbours)",
        }
        params = " ".join(f"{k}={v}" for k, v in summary.best_params.items())
        notes = [f"Best trial {summary.best_trial} ({params}) of {summary.trials} completed."]
        self._show(values, " ".join([*notes, *(n[0].upper() + n[1:] + "." for n in summary.notes)]))

    def _show(self, values: dict[str, str | None], note: str) -> None:
        for row, name in enumerate(ROWS):
            self.table.item(row, 1).setText(values.get(name) or "n/a")
        self.note.setText(note)
