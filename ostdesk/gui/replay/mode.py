"""Replay as a mode of the window: while a run replays, the window's title and status bar
name it, Run > Replay reads "Exit replay", the replay toolbar and log dock show; once the
replay closes (Exit, Esc, opening or starting a run) what the window showed comes back."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

from ostdesk.gui.status import RunStatusBar

REPLAY_TIP = "Replay the run selected in Runs (or the last run) bar by bar (F6)"


class ReplayMode:
    """Enters and leaves the mode's look; the window decides when (``enter``, ``leave``)."""

    def __init__(
        self,
        window: QMainWindow,
        status: RunStatusBar,
        action: QAction,
        toolbar: QToolBar,
        docks: Mapping[str, QDockWidget],
    ) -> None:
        self._window = window
        self._status = status
        self._action = action
        self._toolbar = toolbar
        self._docks = docks
        self._status_before = ""  # status and title to show again after the replay
        self._title_before = ""

    def enter(self, run_id: int) -> None:
        """Show that run ``run_id`` replays (switching from another replay keeps what the
        window showed before the first)."""
        if not self._title_before:
            self._status_before = self._status.message.text()
            self._title_before = self._window.windowTitle()
        mode = f"Replaying run {run_id}"  # the banner says the rest
        self._status.message.setText(mode)
        self._window.setWindowTitle(f"{self._title_before} — {mode}")
        self._action.setText("Exit re&play")
        self._action.setToolTip("Leave the replay (F6 or Esc)")
        self._toolbar.show()
        dock, blotters = self._docks["replay_log"], self._docks["blotters"]
        dock.setWindowTitle(f"Replay log — run {run_id}")
        if not dock.isVisible():
            width = blotters.width()  # the bottom area's, the log still hidden
            dock.show()
            if not dock.isFloating() and not self._window.tabifiedDockWidgets(dock):
                sizes = [width * 3 // 5, width * 2 // 5]  # Qt gives a shown dock its minimum
                self._window.resizeDocks([blotters, dock], sizes, Qt.Orientation.Horizontal)
        blotters.raise_()

    def leave(self) -> None:
        """Whatever ended the replay: show again what the window showed before it."""
        if not self._title_before:
            return  # no replay was open
        self._window.setWindowTitle(self._title_before)
        self._status.message.setText(self._status_before)
        self._status.replay_ended()
        self._title_before = ""
        self._action.setText("Re&play")
        self._action.setToolTip(REPLAY_TIP)
        self._toolbar.hide()
        self._docks["replay_log"].hide()
        self._docks["replay_log"].setWindowTitle("Replay log")
