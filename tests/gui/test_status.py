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


def test_a_study_shows_its_trials_not_the_last_runs_percent_and_a_run_shows_percent_again(
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    """During a study the box read the last run's "100%" (or "0%") and its bars/s."""
    bar = RunStatusBar()
    qtbot.addWidget(bar)
    bar.show_progress(RunProgress(7, 1.0, 1_000, 1_000, 12_345.0, 0.08, "completed"))
    bar.show_study_progress(25, 100)
    assert (bar.progress.text(), bar.progress.value()) == ("25 / 100 trials", 250)
    assert bar.speed.text() == "" and bar.elapsed.text() == ""
    bar.show_study_progress(40, 0)  # open-ended: a count, no fraction
    assert bar.progress.text() == "40 trials"
    bar.show_progress(RunProgress(8, 0.5, 500, 1_000, 9_000.0, 0.05, "running"))
    assert bar.progress.text() == "50%"
