"""The replay toolbar: transport buttons, speed, the timeline slider and "go to date/time".

Keys (window-wide while the toolbar is shown): Space play/pause, ←/→ one bar, Shift+←/→ the
previous/next fill. The toolbar only sends requests to its ``ReplayController`` and follows its
signals, so the controller stays usable (and testable) without it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QStyle, QToolBar, QWidget

from ostdesk.gui.replay.controller import SPEEDS, ReplayController
from ostdesk.gui.replay.slider import TimelineSlider
from ostdesk.gui.replay.timeline import RunTimeline
from ostdesk.timeparse import parse_when


def speed_label(speed: float | None) -> str:
    if speed is None:
        return "Max"
    return f"{speed:g} bar/s" if speed == 1 else f"{speed:g} bars/s"


def time_label(ts_ns: int) -> str:
    return str(np.datetime64(int(ts_ns), "ns").astype("datetime64[s]")).replace("T", " ")


class ReplayToolbar(QToolBar):
    """Transport controls for ``controller``; disabled until a run is open."""

    goToFailed = Signal(str)  # why a typed date/time could not be read

    def __init__(self, controller: ReplayController, parent: QWidget | None = None) -> None:
        super().__init__("Replay", parent)
        self.setObjectName("toolbar.replay")
        self.controller = controller
        style = self.style()
        icon = style.standardIcon
        pixmap = QStyle.StandardPixmap
        self._play_icon = icon(pixmap.SP_MediaPlay)
        self._pause_icon = icon(pixmap.SP_MediaPause)

        self.play_action = self._action("Play", "Play or pause (Space)", "Space", self._on_play)
        self.play_action.setIcon(self._play_icon)
        self.prev_fill_action = self._action(
            "Previous fill",
            "Jump to the previous fill (Shift+←)",
            "Shift+Left",
            controller.prev_fill,
        )
        self.prev_fill_action.setIcon(icon(pixmap.SP_MediaSkipBackward))
        self.back_action = self._action(
            "Back", "One bar back (←)", "Left", lambda: controller.step(-1)
        )
        self.back_action.setIcon(icon(pixmap.SP_MediaSeekBackward))
        self.forward_action = self._action(
            "Forward", "One bar forward (→)", "Right", lambda: controller.step(1)
        )
        self.forward_action.setIcon(icon(pixmap.SP_MediaSeekForward))
        self.next_fill_action = self._action(
            "Next fill", "Jump to the next fill (Shift+→)", "Shift+Right", controller.next_fill
        )
        self.next_fill_action.setIcon(icon(pixmap.SP_MediaSkipForward))
        for action in (
            self.play_action,
            self.prev_fill_action,
            self.back_action,
            self.forward_action,
            self.next_fill_action,
        ):
            self.addAction(action)

        self.speed_box = QComboBox()
        self.speed_box.setToolTip("Playback speed")
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_box.addItems([speed_label(speed) for speed in SPEEDS])
        self.speed_box.currentIndexChanged.connect(self._on_speed_selected)
        self.addWidget(self.speed_box)

        self.slider = TimelineSlider()
        self.slider.setToolTip("The run's bars; trades are marked under the groove")
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.addWidget(self.slider)
        self.position_label = QLabel()
        widest = "0000-00-00 00:00:00  ·  bar 00,000,000 / 00,000,000"
        self.position_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(widest))
        self.addWidget(self.position_label)

        self.date_edit = QLineEdit()
        self.date_edit.setPlaceholderText("Go to YYYY-MM-DD HH:MM")
        self.date_edit.setToolTip("Go to a date/time (UTC): Enter")
        self.date_edit.setClearButtonEnabled(True)
        self.date_edit.setMaximumWidth(190)
        self.date_edit.returnPressed.connect(self._on_go_to)
        self.addWidget(self.date_edit)

        controller.opened.connect(self._on_opened)
        controller.closed.connect(self._on_closed)
        controller.cursorChanged.connect(self._on_cursor)
        controller.playingChanged.connect(self._on_playing)
        controller.speedChanged.connect(self._on_speed)
        self._on_speed(controller.speed)
        self._set_enabled(controller.timeline is not None)

    def _action(self, text: str, tip: str, key: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        return action

    def _set_enabled(self, on: bool) -> None:
        for action in self.actions():
            action.setEnabled(on)
        for widget in (self.slider, self.date_edit):
            widget.setEnabled(on)

    # -- controller -> toolbar ---------------------------------------------------------------
    def _on_opened(self, timeline: RunTimeline) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, timeline.last)
        self.slider.setPageStep(max(1, len(timeline) // 20))
        self.slider.blockSignals(False)
        self.slider.set_marks(timeline.trade_marks())
        self._set_enabled(True)

    def _on_closed(self) -> None:
        self.slider.set_marks(None)
        self.position_label.clear()
        self._set_enabled(False)

    def _on_cursor(self, k: int) -> None:
        timeline = self.controller.timeline
        if timeline is None:
            return
        self.slider.blockSignals(True)
        self.slider.setValue(k)
        self.slider.blockSignals(False)
        self.position_label.setText(
            f"{time_label(int(timeline.ts[k]))}  ·  bar {k + 1:,} / {len(timeline):,}"
        )

    def _on_playing(self, playing: bool) -> None:
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)
        self.play_action.setText("Pause" if playing else "Play")

    def _on_speed(self, speed: float | None) -> None:
        index = SPEEDS.index(speed) if speed in SPEEDS else -1
        if index >= 0 and index != self.speed_box.currentIndex():
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(index)
            self.speed_box.blockSignals(False)

    # -- user -> controller ------------------------------------------------------------------
    def _on_play(self) -> None:
        self.controller.toggle_play()

    def _on_speed_selected(self, index: int) -> None:
        self.controller.set_speed(SPEEDS[index])

    def _on_slider_moved(self, value: int) -> None:
        if self.controller.timeline is not None:
            self.controller.seek(value)

    def _on_go_to(self) -> None:
        text = self.date_edit.text().strip()
        try:
            ts = parse_when(text)
        except ValueError as exc:
            self.date_edit.setStyleSheet("color: #ef5350")
            self.date_edit.setToolTip(str(exc))
            self.goToFailed.emit(str(exc))
            return
        self.date_edit.setStyleSheet("")
        self.date_edit.setToolTip("Go to a date/time (UTC): Enter")
        self.controller.go_to(ts)
