"""The generated parameter form and the strategy picker: widgets, bounds, errors, reloads."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
)

from ostdesk import Param, Strategy
from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.gui.config.form import ParamForm
from ostdesk.gui.config.picker import StrategyPicker
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross

BUILT_INS = sorted(load_strategies().strategies.items())


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


class EveryKind(Strategy):
    """One parameter of each kind."""

    count = Param(3, min=1, max=9, step=2, help="how many")
    ratio = Param(0.25, min=0.0, max=1.0, step=0.05)
    enabled = Param(True)
    colour = Param(Colour.GREEN)
    venue = Param("lse", choices=["lse", "nyse"])
    note = Param("hello")


def make_form(qtbot, strategy: type[Strategy]) -> ParamForm:  # type: ignore[no-untyped-def]
    form = ParamForm()
    qtbot.addWidget(form)
    form.set_strategy(strategy)
    return form


@pytest.mark.parametrize(("name", "strategy"), BUILT_INS, ids=[n for n, _ in BUILT_INS])
def test_each_built_in_strategy_gets_bounded_editors_of_its_parameter_types(
    qtbot, name: str, strategy: type[Strategy]
) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, strategy)
    assert list(form.fields) == list(strategy.params)
    for key, param in strategy.params.items():
        editor = form.fields[key].editor
        expected = {int: QSpinBox, float: QDoubleSpinBox, bool: QCheckBox, str: QLineEdit}
        assert isinstance(editor, expected[param.type]), key
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            assert editor.bounds == (param.min, param.max), key
            assert editor.value() == param.default
            if param.step is not None:
                assert editor.singleStep() == param.step
        if param.help:
            assert param.help in editor.toolTip()
    assert form.values() == {k: p.default for k, p in strategy.params.items()}
    assert form.errors == []


def test_every_kind_of_parameter_gets_its_widget(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, EveryKind)
    f = form.fields
    assert isinstance(f["count"].editor, QSpinBox) and f["count"].editor.singleStep() == 2
    assert isinstance(f["ratio"].editor, QDoubleSpinBox) and f["ratio"].editor.decimals() == 2
    assert isinstance(f["enabled"].editor, QCheckBox) and f["enabled"].editor.isChecked()
    colour = f["colour"].editor
    assert isinstance(colour, QComboBox)
    assert [colour.itemText(i) for i in range(colour.count())] == ["RED", "GREEN"]
    assert isinstance(f["venue"].editor, QComboBox)
    assert isinstance(f["note"].editor, QLineEdit)
    colour.setCurrentIndex(0)
    f["note"].editor.setText("bye")
    assert form.values() == {
        "count": 3,
        "ratio": 0.25,
        "enabled": True,
        "colour": Colour.RED,
        "venue": "lse",
        "note": "bye",
    }


def test_a_value_typed_out_of_bounds_is_kept_and_refused_under_its_field(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Below the minimum a spin box reverted silently when it lost focus, and above the maximum
    it dropped the keystroke: what the user typed stays, and the field says why it cannot run."""
    form = make_form(qtbot, SmaCross)
    form.show()
    fast = form.fields["fast"].editor
    assert isinstance(fast, QSpinBox)
    for typed, why in (("1", "1 is below the minimum 2"), ("999", "999 is above the maximum 200")):
        fast.setFocus()
        fast.lineEdit().selectAll()
        qtbot.keyClicks(fast, typed)
        qtbot.keyClick(fast, Qt.Key.Key_Return)
        form.fields["slow"].editor.setFocus()  # focus leaves the field
        qtbot.waitUntil(lambda: not fast.hasFocus())
        assert fast.text() == typed
        assert form.fields["fast"].error.text() == why
        assert form.fields["fast"].error.isVisibleTo(form)
        assert [e.field for e in form.errors] == ["fast"]
    fast.setValue(5)
    assert form.errors == [] and not form.fields["fast"].error.isVisibleTo(form)


def test_steps_stay_within_the_declared_bounds(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, EveryKind)
    count, ratio = form.fields["count"].editor, form.fields["ratio"].editor
    count.setValue(8)
    count.stepBy(1)  # step 2: 10 would pass the maximum 9
    assert count.value() == 9
    assert not count.stepEnabled() & QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
    ratio.setValue(0.02)
    ratio.stepBy(-1)
    assert ratio.value() == 0.0
    assert not ratio.stepEnabled() & QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
    assert ratio.stepEnabled() & QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
    assert form.errors == []


def test_a_declared_constraint_is_shown_under_its_field(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, SmaCross)
    form.fields["fast"].editor.setValue(40)
    assert [e.field for e in form.errors] == ["fast"]
    assert form.fields["fast"].error.isVisibleTo(form)
    assert "shorter than slow" in form.fields["fast"].error.text()
    assert not form.fields["slow"].error.isVisibleTo(form)
    form.fields["slow"].editor.setValue(50)
    assert form.errors == []
    assert not form.fields["fast"].error.isVisibleTo(form)


def test_reset_restores_one_field_or_all_of_them(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, RsiReversion)
    fields = form.fields
    assert not fields["length"].reset_button.isEnabled()
    fields["length"].editor.setValue(20)
    fields["stop_pct"].editor.setValue(5.0)
    assert fields["length"].reset_button.isEnabled()
    qtbot.mouseClick(fields["length"].reset_button, Qt.MouseButton.LeftButton)
    assert form.values()["length"] == 14
    assert form.values()["stop_pct"] == 5.0
    qtbot.mouseClick(form.reset_all_button, Qt.MouseButton.LeftButton)
    assert form.values() == {k: p.default for k, p in RsiReversion.params.items()}


def test_set_values_reports_what_it_cannot_show(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = make_form(qtbot, SmaCross)
    problems = form.set_values({"fast": 7, "slow": 1_000, "gone": 1})
    assert form.values()["fast"] == 7
    assert form.values()["slow"] == 30
    assert any("slow" in p and "maximum" in p for p in problems)
    assert any("gone" in p for p in problems)


GOOD_STRATEGY = '''
from ostdesk import Param, Strategy

class MyStrategy(Strategy):
    """My own strategy."""

    length = Param({length}, min=1, max=50)
'''


def test_a_file_with_a_syntax_error_is_shown_and_the_others_stay_usable(
    qtbot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mine.py").write_text(GOOD_STRATEGY.format(length=5))
    (tmp_path / "broken.py").write_text("x = 1\ndef oops(:\n    pass\n")
    picker = StrategyPicker([tmp_path])
    qtbot.addWidget(picker)
    picker.reload()
    assert picker.errors_label.isVisibleTo(picker)
    text = picker.errors_label.text()
    assert "broken.py, line 2" in text and "SyntaxError" in text
    assert "broken.py" in picker.details.toPlainText()
    assert "SyntaxError" in picker.details.toPlainText()
    assert picker.select("MyStrategy")
    assert picker.current().params["length"].default == 5
    assert picker.current_source() == str(tmp_path / "mine.py")
    assert "My own strategy." in picker.description.text()
    assert picker.select("SmaCross")
    assert picker.current() is SmaCross


def test_reload_re_imports_changed_files_and_keeps_the_selection(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mine.py"
    path.write_text(GOOD_STRATEGY.format(length=5))
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    picker = StrategyPicker([tmp_path])
    qtbot.addWidget(picker)
    picker.reload()
    assert "line 1" in picker.errors_label.text()
    picker.select("MyStrategy")
    path.write_text(GOOD_STRATEGY.format(length=8))
    (tmp_path / "broken.py").write_text("")
    with qtbot.waitSignal(picker.strategyChanged) as changed:
        qtbot.mouseClick(picker.reload_button, Qt.MouseButton.LeftButton)
    assert changed.args[0].params["length"].default == 8
    assert picker.current_key() == "MyStrategy"
    assert not picker.errors_label.isVisibleTo(picker)


def test_the_picker_shows_a_description_without_docstring_markup(qtbot) -> None:  # type: ignore[no-untyped-def]
    picker = StrategyPicker([])
    qtbot.addWidget(picker)
    picker.reload()
    assert picker.select("RelativeMomentum")
    text = picker.description.text()
    assert "every rebalance bars" in text and "`" not in text  # as `ostdesk strategies` says
    tooltip = picker.combo.itemData(picker.combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
    assert tooltip == text
