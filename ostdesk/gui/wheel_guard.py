"""Combo and spin boxes in a scrollable form take the mouse wheel only when focused.

Qt's combo and spin boxes change their value under a wheel turn whether or not they have the
focus, so a trader scrolling a form with the pointer passing over one silently changed it (the
Optimize form's "2nd objective" became a statistic, and the next study had two objectives).
A guarded box gets the focus only from a click or Tab, and an unfocused one passes the wheel
on to its parents: the form scrolls instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() != QEvent.Type.Wheel
            or not isinstance(watched, QWidget)
            or watched.hasFocus()
        ):
            return False
        area = _scroll_area_of(watched)
        if area is None:
            event.ignore()  # not accepted: Qt offers the wheel to the parents
        else:  # handed on explicitly (Qt propagates only the mouse's own wheel events)
            QApplication.sendEvent(area.viewport(), event)
            event.accept()
        return True


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


_guard: _WheelGuard | None = None


def guard_wheel(*boxes: QWidget) -> None:
    """Let ``boxes`` take the wheel only when focused (see the module docstring)."""
    global _guard
    if _guard is None:
        _guard = _WheelGuard()
    for box in boxes:
        box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        box.installEventFilter(_guard)


def guard_form(root: QWidget) -> None:
    """Guard every combo and spin box ``root`` holds now (boxes added later need their own
    :func:`guard_wheel`)."""
    guard_wheel(
        *(w for w in root.findChildren(QWidget) if isinstance(w, QComboBox | QAbstractSpinBox))
    )
