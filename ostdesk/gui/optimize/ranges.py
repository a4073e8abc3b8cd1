"""The parameter ranges of a study: one row per declared ``Param`` of the chosen strategy.

A row's tick says whether the parameter varies; an unticked one stays at the value the
strategy form shows. Ranges are typed as text (low, high, step; or a list of values) and
read by the study engine's own parser (``ostdesk.research.space``), so the window refuses
exactly what the CLI refuses, with the message under the row it is about.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QWidget

from ostdesk.engine.params import Param
from ostdesk.engine.strategy import Strategy
from ostdesk.gui.config.form import ERROR_COLOR, label_for
from ostdesk.research.space import Dimension, SpaceError, grid_size, parse_dimension

DEFAULT_STEPS = 9
"""A prefilled numeric range is cut into this many steps (ten values), whatever its width."""
DEFAULT_VARIED = 2  # the first numeric parameters ticked at first: a heatmap needs two

_CLI_PREFIX = re.compile(r"^--[a-z-]+ .*?: ")


def plain_message(text: str) -> str:
    """A study-engine message without its CLI option (``--param fast=1:0: the range ...``
    reads ``the range ...`` under the field it is about)."""
    return _CLI_PREFIX.sub("", text, count=1)


def nice_step(low: float, high: float, integer: bool) -> float:
    """The round step (1, 2 or 5 times a power of ten) nearest to cutting ``low..high`` into
    :data:`DEFAULT_STEPS` steps."""
    span = high - low
    if span <= 0:
        return 1.0
    raw = span / DEFAULT_STEPS
    power = 10 ** math.floor(math.log10(raw))
    step = float(min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(c - raw)))
    return max(1.0, round(step)) if integer else step


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class RangeRow:
    """One parameter's tick, range editors, value count and error line."""

    def __init__(self, param: Param[Any], value: Any) -> None:
        self.param = param
        self.name = param.name
        self.vary = QCheckBox(label_for(param.name, param))
        self.vary.setObjectName(f"vary.{param.name}")
        self.vary.setToolTip(param.help or param.name)
        self.numeric = param.choices is None and param.type in (int, float)
        self.low = QLineEdit()
        self.high = QLineEdit()
        self.step = QLineEdit()
        self.values = QLineEdit()
        for edit, tip in (
            (self.low, "lowest value tried"),
            (self.high, "highest value tried (included)"),
            (
                self.step,
                "step between values (empty: the declared step; a number without one "
                "is searched continuously by random, tpe and cmaes)",
            ),
            (self.values, "the values tried, separated by commas"),
        ):
            edit.setToolTip(tip)
            edit.setMinimumWidth(48)
        self.count = QLabel()
        self.count.setEnabled(False)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.hide()
        self._prefill(value)

    def _prefill(self, value: Any) -> None:
        p = self.param
        if not self.numeric:
            if p.choices is not None:
                values = p.choices
            elif p.type is bool:
                values = (False, True)
            else:
                values = (value,)
            self.values.setText(",".join(_text(v) for v in values))
            return
        integer = p.type is int
        low = p.min if p.min is not None else (value / 2 if value > 0 else value - 10)
        high = p.max if p.max is not None else (value * 2 if value > 0 else value + 10)
        if high - low > 1e6:  # a bound that only says "positive": around the current value
            low, high = max(low, value / 2 if value > 0 else low), value * 2 if value > 0 else 1
        step = p.step if p.step is not None else nice_step(low, high, integer)
        if integer:
            low, high, step = math.ceil(low), math.floor(high), max(1, round(step))
        self.low.setText(_text(low))
        self.high.setText(_text(high))
        self.step.setText(_text(step))

    def range_text(self) -> str:
        if not self.numeric:
            return self.values.text()
        low, high, step = (e.text().strip() for e in (self.low, self.high, self.step))
        return f"{low}:{high}:{step}" if step else f"{low}:{high}"

    def dimension(self) -> Dimension:
        """The searched dimension the row describes; ``SpaceError`` saying what is wrong."""
        text = self.range_text().strip()
        if not text.strip(":,"):
            raise SpaceError(f"--param {self.name}: give the values to try")
        return parse_dimension(self.param, text)

    def check(self) -> Dimension | None:
        """Show the row's value count or its error; the dimension when it is valid."""
        try:
            dim = self.dimension()
        except SpaceError as exc:
            self.show_error(plain_message(str(exc)))
            self.count.setText("")
            return None
        self.show_error("")
        self.count.setText(f"{len(dim.values)} values" if dim.discrete else "continuous")
        return dim

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def show_dimension(self, dim: Dimension) -> bool:
        """Tick the row and type ``dim`` into it (a stored study's); False when a numeric
        row cannot say it (values not evenly spaced: low, high and step cannot)."""
        self.vary.setChecked(True)
        if not self.numeric:
            self.values.setText(",".join(_text(v) for v in dim.values))
            return True
        values = dim.values
        if not values:  # continuous
            fields = (_text(dim.low), _text(dim.high), "")
        elif len(values) == 1:
            fields = (_text(values[0]), _text(values[0]), "")
        else:
            step = values[1] - values[0]
            even = all(math.isclose(b - a, step) for a, b in itertools.pairwise(values))
            if not even:
                return False
            fields = (_text(values[0]), _text(values[-1]), _text(step))
        for edit, text in zip((self.low, self.high, self.step), fields, strict=True):
            edit.setText(text)
        return True

    def set_enabled(self, varied: bool) -> None:
        for edit in (self.low, self.high, self.step, self.values):
            edit.setEnabled(varied)


class RangeForm(QWidget):
    """The ranges of the chosen strategy's parameters; ``changed`` after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, RangeRow] = {}
        self.strategy: type[Strategy] | None = None
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(4)
        self._grid.setVerticalSpacing(2)
        self.error = QLabel()  # about the space as a whole (nothing ticked)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.hide()

    def set_strategy(self, strategy: type[Strategy] | None, values: Mapping[str, Any]) -> None:
        """Rows for ``strategy``'s parameters, prefilled from their declarations; ``values``
        (the strategy form's) are what an unticked parameter keeps."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not self.error:
                widget.deleteLater()
        self.rows = {}
        self.strategy = strategy
        headers = ("Parameter", "Low", "High", "Step", "")
        for column, text in enumerate(headers):
            label = QLabel(f"<b>{text}</b>" if text else "")
            self._grid.addWidget(label, 0, column)
        line = 1
        params = strategy.params if strategy is not None else {}
        numeric_ticked = 0
        for name, param in params.items():
            row = RangeRow(param, values.get(name, param.default))
            self.rows[name] = row
            self._grid.addWidget(row.vary, line, 0)
            if row.numeric:
                self._grid.addWidget(row.low, line, 1)
                self._grid.addWidget(row.high, line, 2)
                self._grid.addWidget(row.step, line, 3)
            else:
                self._grid.addWidget(row.values, line, 1, 1, 3)
            self._grid.addWidget(row.count, line, 4)
            self._grid.addWidget(row.error, line + 1, 0, 1, 5)
            line += 2
            if row.numeric and numeric_ticked < DEFAULT_VARIED:
                row.vary.setChecked(True)
                numeric_ticked += 1
            row.set_enabled(row.vary.isChecked())
            row.vary.toggled.connect(self._on_edit)
            for edit in (row.low, row.high, row.step, row.values):
                edit.textChanged.connect(self._on_edit)
        self._grid.addWidget(self.error, line, 0, 1, 5)
        self._grid.setColumnStretch(1, 1)
        self._grid.setColumnStretch(2, 1)
        self._grid.setColumnStretch(3, 1)
        self.check()

    def varied(self) -> list[str]:
        return [name for name, row in self.rows.items() if row.vary.isChecked()]

    def check(self) -> tuple[Dimension, ...] | None:
        """Every ticked row's dimension, errors shown under their rows; None if any is
        invalid or none is ticked."""
        dims: list[Dimension] = []
        ok = True
        for row in self.rows.values():
            row.set_enabled(row.vary.isChecked())
            if not row.vary.isChecked():
                row.show_error("")
                row.count.setText("")
                continue
            dim = row.check()
            if dim is None:
                ok = False
            else:
                dims.append(dim)
        empty = ok and not dims
        self.error.setText("Tick at least one parameter to vary" if empty else "")
        self.error.setVisible(empty)
        return tuple(dims) if ok and dims else None

    def combinations(self) -> int | None:
        dims = self.check()
        return grid_size(dims) if dims is not None else None

    def _on_edit(self, *_: object) -> None:
        self.check()
        self.changed.emit()
