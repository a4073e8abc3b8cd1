"""The Optimize view's robustness summary of a study: the Deflated Sharpe Ratio of its best
trial, the Probability of Backtest Overfitting and the plateau score of the best cell, each
with its definition as a tooltip, and a note on what was assumed or is missing
(``ostdesk.research.robustness``). Computed from the trials the view already holds, on a
thread of its own: the PBO of a thousand trials' returns takes seconds. It follows a live
study batch by batch, the latest trials winning: one computation at a time, and trials that
came meanwhile are computed next, once."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
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
    the heatmap); ``summary`` is the last computed, or None with the reason in ``note``;
    ``shown`` is emitted when the latest trials' summary is on screen."""

    shown = Signal()
    _computed = Signal(int, object)  # generation, Robustness or the reason there is none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.summary: Robustness | None = None
        self._generation = 0  # of the latest trials: older results are not shown
        self._pending: tuple[int, StudySpec, list[TrialRow]] | None = None
        self._thread: threading.Thread | None = None
        self._computed.connect(self._on_computed)
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

    @property
    def busy(self) -> bool:
        """Whether a summary is being computed."""
        return self._thread is not None

    def set_trials(self, trials: Sequence[TrialRow], best: TrialRow | None) -> None:
        """Recompute from every trial so far (``best`` is the view's; the summary ranks the
        trials by the study's first objective itself), off the main thread."""
        del best
        self._generation += 1
        if self.spec is None or not trials:
            self._pending = None
            self.summary = None
            self._show({}, "Run or open a study to judge its best trial.")
            self.shown.emit()
            return
        self._pending = (self._generation, self.spec, list(trials))
        if self._thread is None:
            self._start_next()

    def _start_next(self) -> None:
        job, self._pending = self._pending, None
        self._thread = None
        if job is not None:
            self._thread = threading.Thread(
                target=self._compute, args=job, name="ostdesk-robustness", daemon=True
            )
            self._thread.start()

    def _compute(self, generation: int, spec: StudySpec, trials: list[TrialRow]) -> None:
        outcome: Robustness | str
        try:
            outcome = robustness_of(trials, spec.objectives[0], study_id=0, method=spec.method)
        except OverfittingError as exc:
            outcome = str(exc).replace("study 0 has", "The study has")
        except Exception as exc:  # never lost: the note says it
            outcome = f"The robustness summary failed: {type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the view was closed: nobody to show it to
            self._computed.emit(generation, outcome)

    def _on_computed(self, generation: int, outcome: Robustness | str) -> None:
        if self._thread is not None:
            self._thread.join()  # it ends right after emitting
        self._start_next()
        if generation != self._generation:
            return  # newer trials came: theirs is computed next
        if isinstance(outcome, str):
            self.summary = None
            self._show({}, outcome)
        else:
            self._show_summary(outcome)
        self.shown.emit()

    def _show_summary(self, summary: Robustness) -> None:
        self.summary = summary
        d, o, p = summary.deflated, summary.overfitting, summary.plateau
        around = (
            "neighbours" if self.spec is None or self.spec.method == "grid" else "nearest trials"
        )
        values = {
            "Deflated Sharpe Ratio": None if d is None else f"{d.dsr:.3f}",
            "Expected max Sharpe": None if d is None else f"{d.expected_max_sharpe:.4f} / period",
            "Probability of Backtest Overfitting": None if o is None else f"{o.pbo:.2f}",
            "Plateau score": None if p is None else f"{p.score:.2f} ({p.neighbours} {around})",
        }
        params = " ".join(f"{k}={v}" for k, v in summary.best_params.items())
        notes = [f"Best trial {summary.best_trial} ({params}) of {summary.trials} completed."]
        self._show(values, " ".join([*notes, *(n[0].upper() + n[1:] + "." for n in summary.notes)]))

    def _show(self, values: dict[str, str | None], note: str) -> None:
        for row, name in enumerate(ROWS):
            self.table.item(row, 1).setText(values.get(name) or "n/a")
        self.note.setText(note)
