"""The strip above the chart while a replay is open: which run it replays and the way out.

Replay is a mode: the chart, blotters and log show a recorded run at the cursor, not the
latest run. The banner says so (run id, name, strategy, symbols) and offers "Exit replay"; Esc
does the same while the banner is shown. Both only ask (``exitRequested``): the window decides
what to show after a replay. The banner follows its ``ReplayController`` (shown when a run
opens, hidden when the replay closes), so whatever ends a replay also takes the banner away.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from ostdesk.gui.replay.controller import ReplayController
from ostdesk.gui.replay.timeline import RunTimeline


def run_title(run: Mapping[str, Any]) -> str:
    """``run 12 “tuned” · SmaCross on DEMO-ALPHA, DEMO-BETA``: what a person knows a run by."""
    name = str(run.get("name") or "").strip()
    named = f" “{name}”" if name else ""
    symbols = ", ".join(run.get("symbols") or ())
    return f"run {run['run_id']}{named} · {run['strategy']} on {symbols}"


class ReplayBanner(QFrame):
    """Names the replayed run and asks to end the replay; hidden while no run is replayed."""

    exitRequested = Signal()

    def __init__(self, controller: ReplayController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayBanner")
        self.controller = controller
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.palette().ColorRole.AlternateBase)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.exit_button = QPushButton("Exit replay")
        self.exit_button.setToolTip("Leave replay and show the runs as before (Esc)")
        self.exit_button.clicked.connect(self.exitRequested)
        self.exit_action = QAction("Exit replay", self)
        self.exit_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.exit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.exit_action.triggered.connect(self.exitRequested)
        self.addAction(self.exit_action)  # a hidden banner's shortcut is inactive
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 3, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.exit_button)
        controller.opened.connect(self._on_opened)
        controller.closed.connect(self.hide)
        if controller.timeline is not None:
            self._on_opened(controller.timeline)
        else:
            self.hide()

    @property
    def text(self) -> str:
        return self.label.text()

    def _on_opened(self, timeline: RunTimeline) -> None:
        title = f"Replaying {run_title(timeline.run)}"
        self.label.setText(title)
        self.label.setToolTip(title)  # the whole of it when the window is narrow
        self.show()
