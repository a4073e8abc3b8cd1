"""A walk-forward running off the main thread, its windows handed to the window in batches.

``run_walkforward`` blocks for the whole analysis (a study and a recorded run per window,
then the stitched run) and calls back on its own thread; the callbacks only store what they
got under a lock, and a ``QTimer`` on the main thread drains it every ``FLUSH_MS`` (as
``study_thread`` does for trials). The walk-forward's thread reads and writes the database
through a ``Database`` of its own over one cursor: a DuckDB connection belongs to one thread.
"""

from __future__ import annotations

import dataclasses
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from ostdesk.gui.optimize.study_thread import JOIN_TIMEOUT_S, stop_and_join
from ostdesk.research.study import StudyProgress, stored_spec
from ostdesk.research.walkforward import (
    WalkForward,
    Window,
    WindowResult,
    run_walkforward,
    study_windows,
)
from ostdesk.store.database import Database

FLUSH_MS = 100


@dataclasses.dataclass(frozen=True)
class WalkForwardRequest:
    """What the panel asks for: a stored study walked forward with these window lengths
    (``unit`` "bars" or "ns")."""

    study_id: int
    in_sample: int
    out_of_sample: int
    unit: str
    anchored: bool
    workers: int | None


class WalkForwardThread(QObject):
    """Runs one walk-forward at a time (see the module docstring)."""

    planned = Signal(list, object)  # list[Window], the study's StudySpec: before any result
    windowsReady = Signal(list)  # list[WindowResult], in window order
    progressChanged = Signal(int, object)  # the window in study, its StudyProgress
    finished = Signal(object)  # WalkForward (``cancelled`` when stopped)
    failed = Signal(str)  # one line: why it could not run

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._plan: tuple[list[Window], object] | None = None
        self._results: list[WindowResult] = []
        self._progress: tuple[int, StudyProgress] | None = None
        self._outcome: WalkForward | str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, request: WalkForwardRequest) -> None:
        if self._thread is not None:
            raise RuntimeError("a walk-forward is already running; cancel it first")
        self._plan, self._results, self._progress, self._outcome = None, [], None, None
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._main, args=(request,), name="ostdesk-walkforward", daemon=True
        )
        self._thread.start()
        self._timer.start()

    def cancel(self) -> None:
        """Stop after the trial in progress; the windows done so far are kept."""
        self._stop.set()

    def shutdown(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Cancel and join (on closing the window); False if it did not end in ``timeout`` s."""
        if not stop_and_join(self._thread, self.cancel, self._timer, timeout):
            return False
        self._thread = None
        return True

    # -- the walk-forward's thread ---------------------------------------------------------------
    def _main(self, request: WalkForwardRequest) -> None:
        cur = self.db.cursor()
        local = Database(self.db.path, cur, read_only=self.db.read_only)  # this thread's
        outcome: WalkForward | str
        try:
            spec, cls = stored_spec(local, request.study_id)
            windows = study_windows(
                local,
                spec,
                request.in_sample,
                request.out_of_sample,
                unit=request.unit,
                anchored=request.anchored,
            )
            with self._lock:
                self._plan = (windows, spec)
            outcome = run_walkforward(
                local,
                spec,
                windows,
                workers=request.workers,
                strategy=cls,
                name=f"walk-forward of study {request.study_id}",
                on_window=self._on_window,
                on_progress=self._on_progress,
                stop=self._stop,
            )
        except Exception as exc:  # a user mistake or a study that cannot run: one line
            outcome = str(exc) or type(exc).__name__
        finally:
            local.close()
            self.db.release(cur)
        with self._lock:
            self._outcome = outcome

    def _on_window(self, result: WindowResult) -> None:
        with self._lock:
            self._results.append(result)

    def _on_progress(self, index: int, progress: StudyProgress) -> None:
        with self._lock:
            self._progress = (index, progress)

    # -- the main thread -------------------------------------------------------------------------
    def _flush(self) -> None:
        with self._lock:
            plan, self._plan = self._plan, None
            results, self._results = self._results, []
            progress, self._progress = self._progress, None
            outcome = self._outcome
        if plan is not None:
            self.planned.emit(*plan)
        if progress is not None:
            self.progressChanged.emit(*progress)
        if results:
            self.windowsReady.emit(results)
        if outcome is None:
            return
        self._timer.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if isinstance(outcome, WalkForward):
            self.finished.emit(outcome)
        else:
            self.failed.emit(outcome)
