"""A study running off the main thread, its trials handed to the window in batches.

``StudyRunner.run`` blocks until the study ends and calls its callbacks on its own thread, for
every trial. Here it runs on one Python thread; the callbacks only append to a list under a
lock, and a ``QTimer`` on the main thread drains it: the latest progress every ``FLUSH_MS``,
the trials in one ``trialsReady`` batch every ``ROWS_MS`` (as ``ostdesk.gui.bridge`` does for
a run's events): a grid of cheap trials finishing hundreds a second costs the window four
table updates a second (each repaints the visible table, ~10-30 ms of the main thread),
never one per trial. The end (``finished`` or ``failed``) comes after the last batch.

The study's worker processes run ``STUDY_NICE`` lower than the window (the view makes its
backend with it): trials fill every core, and the window still gets a core the moment it has
something to draw. The study's own thread keeps the normal priority: it shares the window's
GIL, and lowered, it was descheduled while holding it for as long as the busy cores kept it
waiting, the window waiting with it (stalls of 100 ms and more).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal

from ostdesk.research.spec import TrialResult
from ostdesk.research.study import StudyProgress, StudyRunner, StudySummary, trial_row
from ostdesk.store.studies import TrialRow

FLUSH_MS = 100
ROWS_MS = 250
STUDY_NICE = 10
JOIN_TIMEOUT_S = 10.0

MakeRunner = Callable[..., StudyRunner]
"""Called on the study's thread with ``on_trial`` (and nothing else): the runner to run (a
new study, or ``StudyRunner.resume``, which reads the database)."""


def stop_and_join(
    thread: threading.Thread | None, cancel: Callable[[], None], timer: QTimer, timeout: float
) -> bool:
    """Cancel the work on ``thread`` and join it, its flush ``timer`` stopped; whether it ended
    (shared by the study's and the walk-forward's threads, which close with the window)."""
    if thread is None:
        return True
    cancel()
    thread.join(timeout)
    timer.stop()
    return not thread.is_alive()


class StudyThread(QObject):
    """Runs one study at a time (see the module docstring)."""

    studyStarted = Signal(int, object)  # study id, its StudySpec: before its first batch
    trialsReady = Signal(list)  # list[TrialRow], in the order they finished
    progressChanged = Signal(object)  # StudyProgress, the latest
    finished = Signal(object)  # StudySummary
    failed = Signal(str)  # one line: why the study could not run or stopped

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._rows: list[TrialRow] = []
        self._progress: StudyProgress | None = None
        self._runner: StudyRunner | None = None
        self._announced = False
        self._outcome: StudySummary | str | None = None
        self._thread: threading.Thread | None = None
        self._cancelled = threading.Event()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)
        self._rows_clock = QElapsedTimer()

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def study_id(self) -> int | None:
        runner = self._runner
        return runner.study_id if runner is not None else None

    def start(self, make_runner: MakeRunner) -> None:
        if self._thread is not None:
            raise RuntimeError("a study is already running; cancel it first")
        self._rows, self._progress, self._runner = [], None, None
        self._announced, self._outcome = False, None
        self._cancelled.clear()
        self._thread = threading.Thread(
            target=self._main, args=(make_runner,), name="ostdesk-study", daemon=True
        )
        self._thread.start()
        self._timer.start()
        self._rows_clock.start()

    def cancel(self) -> None:
        """Stop soon (trials running are abandoned; a resume runs them again)."""
        self._cancelled.set()
        runner = self._runner
        if runner is not None:
            runner.cancel()

    def shutdown(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel and join the study's thread (on closing the window); False if it did not
        end within ``timeout`` s."""
        if not stop_and_join(self._thread, self.cancel, self._timer, timeout):
            return False
        self._thread = None
        return True

    # -- the study's thread ----------------------------------------------------------------------
    def _main(self, make_runner: MakeRunner) -> None:
        try:
            runner = make_runner(on_trial=self._on_trial)
            self._runner = runner
            if self._cancelled.is_set():
                runner.cancel()
            outcome: StudySummary | str = runner.run()
        except Exception as exc:  # a user mistake or an unreachable backend: one line
            outcome = str(exc) or type(exc).__name__
        with self._lock:
            self._outcome = outcome

    def _on_trial(self, result: TrialResult, progress: StudyProgress) -> None:
        runner = self._runner
        row = trial_row(runner.spec, result) if runner is not None else None
        with self._lock:
            if row is not None:
                self._rows.append(row)
            self._progress = progress

    # -- the main thread -------------------------------------------------------------------------
    def _flush(self) -> None:
        with self._lock:
            outcome = self._outcome
            rows: list[TrialRow] = []
            if outcome is not None or self._rows_clock.hasExpired(ROWS_MS):
                rows, self._rows = self._rows, []
                self._rows_clock.restart()
            progress = self._progress
        runner = self._runner
        if not self._announced and runner is not None and runner.study_id is not None:
            self._announced = True
            self.studyStarted.emit(runner.study_id, runner.spec)
        if rows:
            self.trialsReady.emit(rows)
        if progress is not None:
            self.progressChanged.emit(progress)
        if outcome is None:
            return
        self._timer.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if isinstance(outcome, StudySummary):
            self.progressChanged.emit(outcome.progress)
            self.finished.emit(outcome)
        else:
            self.failed.emit(outcome)
