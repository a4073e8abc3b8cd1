"""The grey centred sentence a panel shows instead of meaningless axes until it has data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def empty_state_label(text: str) -> QLabel:
    """A wrapped, centred, muted label saying what to do to fill the panel."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: palette(mid); padding: 24px;")
    return label
