"""The status bar: the run's progress, speed and elapsed time."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from ostdesk.gui.batches import RunProgress
from ostdesk.gui.status import RunStatusBar


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def test_progress_set_without_a_synchronous_repaint_is_still_painted(qtbot) -> None:  # type: ignore[no-untyped-def]
    bar = RunStatusBar()
    qtbot.addWidget(bar)
    bar.resize(800, 30)
    bar.show()
    qtbot.waitExposed(bar)
    paints = _Paints()
    bar.progress.installEventFilter(paints)
    bar.show_progress(RunProgress(7, 0.5, 500, 1_000, 12_345.0, 0.04, "running"))
    assert bar.progress.value() == 500 and bar.progress.text() == "50%"
    assert bar.speed.text() == "12,345 bars/s"
    qtbot.waitUntil(lambda: paints.count > 0)  # with the next paint of the window
