"""What a study searches and how: parameter ranges, objectives, constraints, method, backend.

The strategy, data selection and account come from the strategy dock (the configuration form),
so a study runs on exactly what a backtest from the dock would run on. :meth:`StudyForm.spec`
builds the study engine's ``StudySpec``; every refusal is shown next to the field it is about
and Start stays refused until the form is valid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.strategy import Strategy
from ostdesk.gui.config.form import ERROR_COLOR
from ostdesk.gui.optimize.ranges import RangeForm, plain_message
from ostdesk.gui.wheel_guard import guard_form
from ostdesk.research.backends import default_workers
from ostdesk.research.space import Dimension, SpaceError, grid_size
from ostdesk.research.spec import METHODS, STUDY_STATS, Constraint, Objective, StudySpec
from ostdesk.store.presets import SavedConfig

DEFAULT_OBJECTIVE = "Sharpe Ratio"
DEFAULT_TRIALS = 100
METHOD_LABELS = {
    "grid": "Grid (every combination)",
    "random": "Random",
    "tpe": "TPE (Optuna)",
    "cmaes": "CMA-ES (Optuna)",
    "nsga2": "NSGA-II (several objectives)",
}
_NONE = "(none)"


@dataclasses.dataclass(frozen=True)
class Running:
    """Where a study's trials run: the backend's name, its workers and a Ray address."""

    backend: str
    workers: int
    address: str | None


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOR};")
    label.hide()
    return label


def _show(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


class StudyForm(QWidget):
    """The study's set-up (see the module docstring); ``changed`` after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ranges = RangeForm()
        self.objective = QComboBox()
        self.objective.addItems(STUDY_STATS)
        self.objective.setCurrentText(DEFAULT_OBJECTIVE)
        self.direction = QComboBox()
        self.direction.addItems(["maximise", "minimise"])
        self.objective2 = QComboBox()
        self.objective2.addItems([_NONE, *STUDY_STATS])
        self.objective2.setToolTip("a second objective makes a multi-objective study (NSGA-II)")
        self.direction2 = QComboBox()
        self.direction2.addItems(["maximise", "minimise"])
        self.constraints = QLineEdit()
        self.constraints.setPlaceholderText("e.g. # Trades >= 30; Max. Drawdown [%] > -25")
        self.constraints.setToolTip(
            "conditions a trial must meet to count, separated by ';' (STATISTIC OP NUMBER)"
        )
        self.constraints_error = _error_label()
        self.method = QComboBox()
        for key in METHODS:
            self.method.addItem(METHOD_LABELS[key], key)
        self.trials = QSpinBox()
        self.trials.setRange(1, 10_000_000)
        self.trials.setValue(DEFAULT_TRIALS)
        self.trials.setGroupSeparatorShown(True)
        self.size_label = QLabel()
        self.method_error = _error_label()
        self.backend = QComboBox()
        self.backend.addItem("This computer", "local")
        self.backend.addItem("Ray cluster", "ray")
        self.workers = QSpinBox()
        self.workers.setRange(1, 4096)
        self.workers.setValue(default_workers())
        self.workers.setToolTip("trials run at a time (default: one per core)")
        self.address = QLineEdit("auto")
        self.address.setToolTip("auto (this machine's cluster) or HOST:PORT of the cluster's head")

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        first = QHBoxLayout()
        first.addWidget(self.objective, 1)
        first.addWidget(self.direction)
        second = QHBoxLayout()
        second.addWidget(self.objective2, 1)
        second.addWidget(self.direction2)
        form.addRow("Objective", first)
        form.addRow("2nd objective", second)
        form.addRow("Constraints", self.constraints)
        form.addRow("", self.constraints_error)
        method = QHBoxLayout()
        method.addWidget(self.method, 1)
        method.addWidget(QLabel("trials"))
        method.addWidget(self.trials)
        form.addRow("Method", method)
        form.addRow("", self.size_label)
        form.addRow("", self.method_error)
        backend = QHBoxLayout()
        backend.addWidget(self.backend, 1)
        backend.addWidget(QLabel("workers"))
        backend.addWidget(self.workers)
        form.addRow("Run on", backend)
        self._address_label = QLabel("Address")
        form.addRow(self._address_label, self.address)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Parameters</b> (tick those to vary)"))
        layout.addWidget(self.ranges)
        layout.addLayout(form)
        guard_form(self)  # the form scrolls: a wheel turn over it must not change a value

        edits: list[Callable[..., Any]] = [
            self.ranges.changed.connect,
            self.objective.currentIndexChanged.connect,
            self.direction.currentIndexChanged.connect,
            self.objective2.currentIndexChanged.connect,
            self.direction2.currentIndexChanged.connect,
            self.constraints.textChanged.connect,
            self.method.currentIndexChanged.connect,
            self.trials.valueChanged.connect,
            self.backend.currentIndexChanged.connect,
            self.workers.valueChanged.connect,
            self.address.textChanged.connect,
        ]
        for connect in edits:
            connect(self._on_edit)
        self._on_edit()

    # -- what the form says ----------------------------------------------------------------------
    def set_strategy(self, strategy: type[Strategy] | None, values: dict[str, Any]) -> None:
        self.ranges.set_strategy(strategy, values)
        self._on_edit()

    def load(self, spec: StudySpec) -> list[str]:
        """Show stored study ``spec``'s ranges, objectives, constraints and method (its
        strategy must be the one shown); what the form cannot show, one line each."""
        missing: list[str] = []
        searched = {d.name: d for d in spec.space}
        for name, row in self.ranges.rows.items():
            if name not in searched:
                row.vary.setChecked(False)
            elif not row.show_dimension(searched[name]):
                missing.append(f"{name}'s values {searched[name].describe()} (not evenly spaced)")
        missing += [
            f"parameter {n!r} (no longer declared)"
            for n in searched.keys() - self.ranges.rows.keys()
        ]
        first, *rest = spec.objectives
        self.objective.setCurrentText(first.stat)
        self.direction.setCurrentIndex(int(first.minimize))
        self.objective2.setCurrentText(rest[0].stat if rest else _NONE)
        self.direction2.setCurrentIndex(int(rest[0].minimize) if rest else 0)
        self.constraints.setText("; ".join(c.describe() for c in spec.constraints))
        self.set_method(spec.method)
        if spec.n_trials is not None:
            self.trials.setValue(spec.n_trials)
        self._on_edit()
        return missing

    def method_key(self) -> str:
        return str(self.method.currentData())

    def set_method(self, key: str) -> None:
        self.method.setCurrentIndex(METHODS.index(key))

    def objectives(self) -> tuple[Objective, ...]:
        first = Objective(self.objective.currentText(), self.direction.currentIndex() == 1)
        if self.objective2.currentText() == _NONE:
            return (first,)
        second = Objective(self.objective2.currentText(), self.direction2.currentIndex() == 1)
        return (first, second)

    def parsed_constraints(self) -> tuple[Constraint, ...]:
        """The constraints typed; ``SpaceError`` for the first that cannot be read."""
        parts = [p for p in self.constraints.text().split(";") if p.strip()]
        return tuple(Constraint.parse(p) for p in parts)

    def running(self) -> Running:
        backend = str(self.backend.currentData())
        address = self.address.text().strip() or "auto" if backend == "ray" else None
        return Running(backend, self.workers.value(), address)

    def spec(self, strategy: type[Strategy], source: str, config: SavedConfig) -> StudySpec:
        """The study the form and the strategy dock's ``config`` describe; ``SpaceError``
        (shown next to its field) when there is none."""
        dims = self.ranges.check()
        if dims is None:
            raise SpaceError(self.ranges.error.text() or "a parameter's range is invalid")
        searched = tuple(d for d in dims if not (d.discrete and len(d.values) == 1))
        fixed = {
            name: strategy.params[name].validate(value)
            for name, value in config.params.items()
            if name in strategy.params and name not in {d.name for d in searched}
        }
        fixed.update({d.name: d.values[0] for d in dims if d not in searched})
        if not searched:
            message = "Every ticked parameter has one value: give one a range to search"
            _show(self.ranges.error, message)
            raise SpaceError(message)
        method = self.method_key()
        try:
            constraints = self.parsed_constraints()
        except SpaceError as exc:
            _show(self.constraints_error, plain_message(str(exc)))
            raise
        try:
            return StudySpec(
                strategy=strategy.__name__,
                strategy_source=source,
                symbols=tuple(config.symbols),
                period=config.period.label,
                space=searched,
                objectives=self.objectives(),
                fixed=fixed,
                constraints=constraints,
                method=method,
                n_trials=None if method == "grid" else self.trials.value(),
                start_ns=config.start_ns,
                end_ns=config.end_ns,
                capital=config.capital,
                commission=config.commission,
                slippage_ticks=config.slippage_ticks,
                max_leverage=config.max_leverage,
            )
        except SpaceError as exc:
            _show(self.method_error, plain_message(str(exc)))
            raise

    def problem(self) -> str:
        """Why the form cannot start a study ('' when it can): the first error shown."""
        for label in (
            *(r.error for r in self.ranges.rows.values()),
            self.ranges.error,
            self.constraints_error,
            self.method_error,
        ):
            if not label.isHidden() and label.text():
                return label.text()
        return ""

    # -- slots -----------------------------------------------------------------------------------
    def _on_edit(self, *_: object) -> None:
        dims = self.ranges.check()
        self._show_size(dims)
        try:
            self.parsed_constraints()
            _show(self.constraints_error, "")
        except SpaceError as exc:
            _show(self.constraints_error, plain_message(str(exc)))
        _show(self.method_error, self._method_problem(dims))
        ray = self.backend.currentData() == "ray"
        self.address.setVisible(ray)
        self._address_label.setVisible(ray)
        self.trials.setEnabled(self.method_key() != "grid")
        self.changed.emit()

    def _show_size(self, dims: tuple[Dimension, ...] | None) -> None:
        size = grid_size(dims) if dims else None
        if dims is None:
            self.size_label.setText("")
        elif size is None:
            self.size_label.setText("a continuous range: grid cannot search it")
        elif self.method_key() == "grid":
            self.size_label.setText(f"{size:,} combinations, each a trial")
        else:
            self.size_label.setText(
                f"{min(size, self.trials.value()):,} of {size:,} combinations"
                if self.method_key() == "random"
                else f"{self.trials.value():,} trials in {size:,} combinations"
            )

    def _method_problem(self, dims: tuple[Dimension, ...] | None) -> str:
        method = self.method_key()
        many = self.objective2.currentText() != _NONE
        if many and method not in ("nsga2", "grid", "random"):
            return "Two objectives need NSGA-II (or grid, random)"
        if dims is None:
            return ""
        if method == "grid" and not all(d.discrete for d in dims):
            name = next(d.name for d in dims if not d.discrete)
            return f"{name}: a grid needs a step"
        if method == "cmaes" and not all(d.numeric for d in dims):
            name = next(d.name for d in dims if not d.numeric)
            return f"{name}: CMA-ES searches numbers only; choose TPE"
        return ""
