"""A wheel turn over a scrollable form scrolls it and never changes a value: the Optimize
form's combo boxes (a trader scrolling it turned "2nd objective" into a statistic, so the next
study had two objectives) and the Strategy dock's parameter, data and account boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from ostdesk.gui.config import ConfigDock
from ostdesk.gui.optimize.study_form import StudyForm
from ostdesk.store import Database

pytestmark = pytest.mark.usefixtures("isolated_settings")


def wheel(widget: QWidget, notches: int = -1) -> None:
    """One real wheel event at ``widget``'s centre, delivered as Qt delivers the mouse's."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_over_the_optimize_forms_combo_scrolls_the_form_not_the_value(
    qtbot: QtBot,
) -> None:
    form = StudyForm()
    scroll = QScrollArea()
    scroll.setWidget(form)
    scroll.setWidgetResizable(True)
    qtbot.addWidget(scroll)
    scroll.resize(400, 120)  # shorter than the form: it scrolls
    scroll.show()
    qtbot.waitExposed(scroll)
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    box = form.objective2
    before, workers, position = box.currentText(), form.workers.value(), bar.value()
    wheel(box)
    wheel(form.workers)
    assert box.currentText() == before == "(none)"
    assert form.workers.value() == workers
    assert bar.value() > position  # the wheel went on to the scroll area
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    wheel(box)  # a focused box is the user's choice to turn
    assert box.currentText() != before


def test_wheel_over_the_strategy_docks_boxes_leaves_their_values(
    qtbot: QtBot, db: Database
) -> None:
    dock = ConfigDock(db)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.data.summary is not None)
    dock.select_strategy("SmaCross")
    dock.resize(360, 300)
    dock.show()
    qtbot.waitExposed(dock)
    boxes = [f.editor for f in dock.form.fields.values()] + [
        dock.data.period_box,
        *dock.account._spins(),
    ]
    values = [b.property("currentText") or b.property("value") for b in boxes]
    for box in boxes:
        wheel(box, 1)
        wheel(box, -1)
        wheel(box, -1)
    assert [b.property("currentText") or b.property("value") for b in boxes] == values
