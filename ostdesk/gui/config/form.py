"""The parameter form, generated from a strategy's declared ``Param``s.

Each parameter gets the editor its type calls for. A number editor's arrows, wheel and keys
step within the declared bounds, and it takes any number typed: a value out of the bounds is
refused under its field, as are the combinations the strategy refuses (its ``validate``), from
the strategy's own ``check_params``. The editor never changes what was typed behind the user's
back (a spin box reverts a number below its minimum when it loses focus).
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.params import Param, ParamError
from ostdesk.engine.strategy import Strategy
from ostdesk.gui.wheel_guard import guard_wheel

ERROR_COLOR = "#e53935"  # readable on light and dark palettes
_INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
_FLOAT_LIMIT = 1e15
_EDITOR_MIN_WIDTH = 70  # spin boxes would otherwise ask for the width of their maximum


def label_for(name: str, param: Param[Any]) -> str:
    """The declared label, or the name as words (``entry_offset_pct`` -> ``Entry offset %``)."""
    if param.label:
        return param.label
    words = ["%" if w == "pct" else w for w in name.split("_") if w]
    return " ".join(words).capitalize()


def float_decimals(param: Param[Any]) -> int:
    """Enough decimals to show the default, bounds and step exactly (2 to 8)."""
    places = 2
    for value in (param.default, param.min, param.max, param.step):
        if value is None or isinstance(value, bool):
            continue
        exponent = decimal.Decimal(repr(float(value))).normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = max(places, -exponent)
    return min(places, 8)


class _SteppedWithin:
    """Steps (arrows, wheel, keys) stay within ``bounds`` while the editor's own range is as
    wide as its type: a value typed out of the bounds is kept and refused by the form."""

    bounds: tuple[float | None, float | None] = (None, None)

    def stepBy(self, steps: int) -> None:
        spin = self._spin()
        before = spin.value()
        spin.blockSignals(True)
        try:
            super().stepBy(steps)  # type: ignore[misc]  # the spin box's own step (adaptive)
            lo, hi = self.bounds
            after = spin.value()
            after = max(after, lo) if lo is not None else after
            after = min(after, hi) if hi is not None else after
            spin.setValue(before)
        finally:
            spin.blockSignals(False)
        spin.setValue(type(before)(after))  # one valueChanged, with the bounded value
        spin.selectAll()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        spin = self._spin()
        enabled = QAbstractSpinBox.StepEnabledFlag.StepNone
        lo, hi = self.bounds
        if hi is None or spin.value() < hi:
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if lo is None or spin.value() > lo:
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return enabled

    def _spin(self) -> QSpinBox | QDoubleSpinBox:
        assert isinstance(self, QSpinBox | QDoubleSpinBox)
        return self


class BoundedSpinBox(_SteppedWithin, QSpinBox):
    """A whole-number editor whose steps stay within the parameter's bounds."""


class CompactDoubleSpinBox(_SteppedWithin, QDoubleSpinBox):
    """Shows ``1`` rather than ``1.0000``: decimals are for precision, not padding. Steps stay
    within the parameter's bounds."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text


class ParamField:
    """One parameter's editor, reset button and error line."""

    def __init__(self, name: str, param: Param[Any], on_change: Any) -> None:
        self.name = name
        self.param = param
        self.label = QLabel(label_for(name, param))
        self.editor = self._make_editor()
        self.editor.setObjectName(f"param.{name}")
        self.editor.setMinimumWidth(_EDITOR_MIN_WIDTH)
        tip = param.help or ""
        default = self._describe(param.default)
        tip = f"{tip}\n(default {default})" if tip else f"default {default}"
        self.label.setToolTip(tip)
        self.editor.setToolTip(tip)
        self.reset_button = QToolButton()
        self.reset_button.setIcon(
            self.reset_button.style().standardIcon(QStyle.StandardPixmap.SP_DialogResetButton)
        )
        self.reset_button.setAutoRaise(True)
        self.reset_button.setToolTip(f"Reset to the default ({default})")
        self.reset_button.clicked.connect(self.reset)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.hide()
        self.set_value(param.default)
        self._connect(on_change)

    def _make_editor(self) -> QWidget:
        editor = self._new_editor()
        guard_wheel(editor)  # the dock scrolls: a wheel turn over it must not change a value
        return editor

    def _new_editor(self) -> QWidget:
        p = self.param
        if p.choices is not None:
            box = QComboBox()
            for choice in p.choices:
                box.addItem(self._describe(choice))
            return box
        if p.type is bool:
            return QCheckBox()
        if p.type is int:
            spin = BoundedSpinBox()
            spin.bounds = (p.min, p.max)
            spin.setRange(-_INT_LIMIT, _INT_LIMIT)
            spin.setSingleStep(max(1, int(p.step or 1)))
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            return spin
        if p.type is float:
            dspin = CompactDoubleSpinBox()
            dspin.bounds = (p.min, p.max)
            dspin.setDecimals(float_decimals(p))
            dspin.setRange(-_FLOAT_LIMIT, _FLOAT_LIMIT)
            if p.step is not None:
                dspin.setSingleStep(p.step)
            else:  # one step is a tenth of the value's order of magnitude
                dspin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            dspin.setAlignment(Qt.AlignmentFlag.AlignRight)
            return dspin
        return QLineEdit()

    def _connect(self, on_change: Any) -> None:
        e = self.editor
        if isinstance(e, QComboBox):
            e.currentIndexChanged.connect(on_change)
        elif isinstance(e, QCheckBox):
            e.toggled.connect(on_change)
        elif isinstance(e, QSpinBox | QDoubleSpinBox):
            e.valueChanged.connect(on_change)
        elif isinstance(e, QLineEdit):
            e.textChanged.connect(on_change)

    def value(self) -> Any:
        e = self.editor
        if isinstance(e, QComboBox):
            assert self.param.choices is not None
            return self.param.choices[max(e.currentIndex(), 0)]
        if isinstance(e, QCheckBox):
            return e.isChecked()
        if isinstance(e, QSpinBox | QDoubleSpinBox):
            return e.value()
        assert isinstance(e, QLineEdit)
        return e.text()

    def set_value(self, value: Any) -> None:
        """Show ``value`` (validated first: ``ParamError`` if the parameter refuses it)."""
        value = self.param.validate(value)
        e = self.editor
        if isinstance(e, QComboBox):
            assert self.param.choices is not None
            e.setCurrentIndex(self.param.choices.index(value))
        elif isinstance(e, QCheckBox):
            e.setChecked(bool(value))
        elif isinstance(e, QSpinBox | QDoubleSpinBox):
            e.setValue(value)
        elif isinstance(e, QLineEdit):
            e.setText(str(value))
        self.reset_button.setEnabled(not self.is_default())

    def reset(self) -> None:
        self.set_value(self.param.default)

    def is_default(self) -> bool:
        return bool(self.value() == self.param.default)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    @staticmethod
    def _describe(value: Any) -> str:
        if isinstance(value, enum.Enum):
            return value.name
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


class ParamForm(QWidget):
    """The editable parameters of one strategy; ``changed`` after any edit."""

    changed = Signal()
    allReset = Signal()  # after Reset all: the form no longer shows a loaded preset

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strategy: type[Strategy] | None = None
        self.fields: dict[str, ParamField] = {}
        self._errors: list[ParamError] = []
        self.reset_all_button = QPushButton("Reset all")
        self.reset_all_button.setFlat(True)
        self.reset_all_button.setToolTip("Set every parameter back to its default")
        self.reset_all_button.clicked.connect(self.reset_all)
        heading = QLabel("<b>Parameters</b>")
        self.general_error = QLabel()  # an error that names no field of the form
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.general_error.hide()
        self.empty_note = QLabel("This strategy has no parameters.")
        self.empty_note.setEnabled(False)
        self._body = QWidget()  # replaced by set_strategy
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(self.reset_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(self._body)
        layout.addWidget(self.empty_note)
        layout.addWidget(self.general_error)
        self.set_strategy(None)

    @property
    def strategy(self) -> type[Strategy] | None:
        return self._strategy

    def set_strategy(self, strategy: type[Strategy] | None) -> None:
        """Build the fields of ``strategy``'s parameters, at their defaults."""
        self._strategy = strategy
        old = self._body
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)
        self._body = QWidget()
        self._body.setLayout(self._grid)
        self.layout().replaceWidget(old, self._body)
        old.hide()  # deleted only when the event loop runs again
        old.deleteLater()
        self.fields = {}
        params = strategy.params if strategy is not None else {}
        for row, (name, param) in enumerate(params.items()):
            fld = ParamField(name, param, self._on_edit)
            self.fields[name] = fld
            self._grid.addWidget(fld.label, 2 * row, 0)
            self._grid.addWidget(fld.editor, 2 * row, 1)
            self._grid.addWidget(fld.reset_button, 2 * row, 2)
            self._grid.addWidget(fld.error, 2 * row + 1, 1, 1, 2)
        self.empty_note.setVisible(strategy is not None and not params)
        self.reset_all_button.setEnabled(bool(params))
        self._validate()
        self.changed.emit()

    def values(self) -> dict[str, Any]:
        """Every parameter's value as the strategy takes it (enum members, not names)."""
        return {name: fld.value() for name, fld in self.fields.items()}

    def set_values(self, values: Mapping[str, Any]) -> list[str]:
        """Show ``values`` (others keep their value); returns what could not be shown, as
        sentences (unknown names, values the parameter refuses)."""
        problems: list[str] = []
        for name, value in values.items():
            fld = self.fields.get(name)
            if fld is None:
                problems.append(f"{name}: this strategy has no such parameter")
                continue
            fld.editor.blockSignals(True)
            try:
                fld.set_value(value)
            except ParamError as exc:
                problems.append(str(exc))
            finally:
                fld.editor.blockSignals(False)
        self._on_edit()
        return problems

    def reload_strategy(self, strategy: type[Strategy]) -> list[str]:
        """Show a new version of the current strategy (its file was reloaded): the values the
        user edited are kept where the parameter still exists and takes them, the rest start
        at their (new) defaults. Returns what was reset, as sentences."""
        edited = {
            name: fld.value().name if isinstance(fld.value(), enum.Enum) else fld.value()
            for name, fld in self.fields.items()
            if not fld.is_default()
        }  # enums by name: the reloaded file made a new enum class
        self.set_strategy(strategy)
        gone = [name for name in edited if name not in self.fields]
        for name in gone:
            del edited[name]
        problems = self.set_values(edited)
        reset = [f"{name}: the strategy no longer has this parameter" for name in gone]
        return reset + [f"{problem} (reset to the default)" for problem in problems]

    def reset_all(self) -> None:
        for fld in self.fields.values():
            fld.editor.blockSignals(True)
            fld.reset()
            fld.editor.blockSignals(False)
        self._on_edit()
        self.allReset.emit()

    @property
    def errors(self) -> list[ParamError]:
        """What the strategy refuses in the current values (empty: it can be built)."""
        return list(self._errors)

    def _on_edit(self, *_: object) -> None:
        for fld in self.fields.values():
            fld.reset_button.setEnabled(not fld.is_default())
        self._validate()
        self.changed.emit()

    def _validate(self) -> None:
        cls = self._strategy
        try:
            self._errors = cls.check_params(self.values()) if cls is not None else []
        except BaseException as exc:  # a bug in a user's validate() is shown, not raised
            self._errors = [ParamError("validate", f"{type(exc).__name__}: {exc}")]
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for error in self._errors:
            if error.field in self.fields:
                by_field.setdefault(error.field, []).append(error.message)
            else:
                general.append(str(error))
        for name, fld in self.fields.items():
            fld.show_error("\n".join(by_field.get(name, [])))
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
