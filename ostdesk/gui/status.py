"""The status bar: what the current run is doing, its progress, speed and elapsed time."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from ostdesk.engine.runner import BacktestRun
from ostdesk.gui.batches import RunProgress


class RunStatusBar(QStatusBar):
    """Permanent widgets on the right: progress bar, bars/s, elapsed; the message on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(180)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p%")
        self.progress.setValue(0)
        self.speed = QLabel()
        self.elapsed = QLabel()
        for label in (self.speed, self.elapsed):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("000,000 bars/s "))
        self.speed.setToolTip("Bars processed per second")
        self.elapsed.setToolTip("Elapsed time of the run")
        self.addWidget(self.message, 1)
        self.addPermanentWidget(self.speed)
        self.addPermanentWidget(self.elapsed)
        self.addPermanentWidget(self.progress)

    def run_started(self, run: BacktestRun) -> None:
        cfg = run.config
        n = len(cfg.symbols)
        self.message.setText(
            f"Running {cfg.strategy.name} on {n} symbol{'s' if n != 1 else ''} ({cfg.period.label})"
        )
        _set_quietly(self.progress, 0)
        self.speed.clear()
        self.elapsed.clear()

    def show_progress(self, p: RunProgress) -> None:
        _set_quietly(self.progress, round(p.fraction * 1000))
        self.speed.setText(f"{p.bars_per_second:,.0f} bars/s")
        self.elapsed.setText(_duration(p.elapsed))
        self.progress.setToolTip(f"{p.bars:,} of {p.total_bars:,} bars")

    def run_finished(self, run: BacktestRun) -> None:
        run_id = run.recording.run_id if run.recording is not None else None
        label = f"Run {run_id}" if run_id is not None else "Run"
        self.message.setText(f"{label} {run.status.value} — {run.bars_processed:,} bars")
        self.speed.setText(f"{run.bars_per_second:,.0f} bars/s")
        self.elapsed.setText(_duration(run.elapsed))


def _set_quietly(bar: QProgressBar, value: int) -> None:
    """``setValue`` without its synchronous ``repaint()``: the window's next paint shows it.
    A repaint in the middle of a run cost the main thread ~2 ms a tick, a flush of the
    window's backing store."""
    bar.setUpdatesEnabled(False)
    bar.setValue(value)
    bar.setUpdatesEnabled(True)  # schedules the update


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
