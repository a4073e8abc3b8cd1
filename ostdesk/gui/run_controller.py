"""Owns the backtest the window is running: start, stop, and a bounded shutdown on close.

The engine runs on its own threads; this object only starts a run (through the store's
``prepare_backtest``, so the run is recorded like a CLI run) and asks it to stop. It learns the
run's end from the bridge, after the bridge's last batch, so widgets never see a batch after
``runFinished``.

Stopping never depends on the strategy's cooperation: ``BacktestRun.cancel`` interrupts
strategy code that does not return (``ostdesk.engine.interrupt``), so a run stuck in an endless
``on_bar`` ends ``cancelled`` well within ``SHUTDOWN_TIMEOUT_S``. Only code blocked in one long
C call outlasts it; ``shutdown`` then marks the run ``interrupted`` so that closing the window
never leaves it ``running``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from ostdesk.engine.affinity import restore_affinity, share_engine_cpu
from ostdesk.engine.runner import BacktestConfig, BacktestRun
from ostdesk.gui.bridge import GuiBridge
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.database import Database
from ostdesk.store.runs import recover_interrupted_runs

log = logging.getLogger("ostdesk.gui")

SHUTDOWN_TIMEOUT_S = 2.0


class RunController(QObject):
    """Starts and stops runs; ``running`` is True from ``runStarted`` to ``runFinished``.

    A finished run is handed over with ``runFinished`` and not kept: it holds the engine's
    objects and the recorder's (closed) DuckDB cursor, which must not outlive the window.
    """

    runStarted = Signal(object)  # BacktestRun
    runFinished = Signal(object)  # BacktestRun
    runningChanged = Signal(bool)

    def __init__(self, db: Database, bridge: GuiBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._bridge = bridge
        self._run: BacktestRun | None = None
        self._saved_cpus: set[int] | None = None
        bridge.runFinished.connect(self._on_finished)

    @property
    def running(self) -> bool:
        return self._run is not None  # until runFinished: the window may still be showing it

    def start(self, config: BacktestConfig, strategy_source: str = "") -> BacktestRun:
        """Start a run of ``config``; user mistakes raise (``StoreError``, ``ParamError``,
        ``ValueError``) before any thread starts. ``strategy_source`` (built-in or the file)
        is recorded with the run."""
        if self.running:
            raise RuntimeError("a backtest is already running; stop it first")
        run = prepare_backtest(
            self._db, config, subscribers=self._bridge.factories(), strategy_source=strategy_source
        )
        self._bridge.attach(run)
        # the GUI thread shares the engine's CPU while the run lasts (see share_engine_cpu)
        self._saved_cpus = share_engine_cpu()
        try:
            run.start(hold=True)
        except BaseException:  # nothing started: the window stays ready for the next run
            self._bridge.detach(run)
            restore_affinity(self._saved_cpus)
            self._saved_cpus = None
            raise
        self._run = run
        try:
            self.runStarted.emit(run)  # the window prepares for the run while it is held
            self.runningChanged.emit(True)
        finally:
            # and lets it go once the event loop has laid out and painted what changed
            QTimer.singleShot(0, run.release)
        return run

    def stop(self) -> None:
        """Ask the run to stop after its current timestamp (interrupting strategy code that
        does not return); it ends ``cancelled``."""
        if self._run is not None:
            self._run.cancel()

    def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> bool:
        """Cancel any run and join its threads within ``timeout`` s; False if they did not end,
        and the run is then marked ``interrupted`` at once (what the next open would find),
        rather than ``running`` until its threads end, if they ever do."""
        run = self._run
        if run is None or run.done:
            return True
        run.cancel()
        joined = run.wait(timeout)
        restore_affinity(self._saved_cpus)
        self._saved_cpus = None
        if not joined:
            log.error("the backtest's threads did not end within %.1f s of cancelling", timeout)
            # this process holds the database for writing: the only run left running is this
            recover_interrupted_runs(self._db)
        return joined

    def _on_finished(self, run: BacktestRun) -> None:
        if run is self._run:
            restore_affinity(self._saved_cpus)
            self._saved_cpus = None
            self._run = None
            self.runFinished.emit(run)
            self.runningChanged.emit(False)
