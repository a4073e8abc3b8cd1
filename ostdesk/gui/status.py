"""The status bar: what the current run is doing, its progress, speed and elapsed time; in a
replay, the replay's position instead."""

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
        self._replay_bars = 0
        self._kept: tuple[int, str, str, int] | None = None  # the live figures a replay hides

    def run_started(self, run: BacktestRun) -> None:
        cfg = run.config
        n = len(cfg.symbols)
        self.message.setText(
            f"Running {cfg.strategy.name} on {n} symbol{'s' if n != 1 else ''} ({cfg.period.label})"
        )
        self.progress.setFormat("%p%")
        _set_quietly(self.progress, 0)
        self.speed.clear()
        self.elapsed.clear()

    def show_study_progress(self, done: int, planned: int) -> None:
        """A study's trials done of those planned (0: not known, as with an open-ended
        search): the last run's bars/s would describe another piece of work."""
        self.speed.clear()
        self.elapsed.clear()
        if planned:
            self.progress.setFormat(f"{done:,} / {planned:,} trials")
            _set_quietly(self.progress, round(min(done / planned, 1.0) * 1000))
        else:
            self.progress.setFormat(f"{done:,} trials")
            _set_quietly(self.progress, 0)
        self.progress.setToolTip("Trials of the parameter study finished so far")

    def show_progress(self, p: RunProgress) -> None:
        if self.progress.format() != "%p%":  # a study's count was shown
            self.progress.setFormat("%p%")
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

    def replay_started(self, bars: int) -> None:
        """Show a replay of ``bars`` bars: its position replaces the last live run's figures
        (a bars/s and 100% that belonged to another run), which ``replay_ended`` restores."""
        if self._kept is None:
            bar = self.progress
            self._kept = (bar.value(), bar.format(), bar.toolTip(), bar.width())
            self.speed.hide()
            self.elapsed.hide()
        self._replay_bars = max(bars, 1)
        widest = self._position_text(self._replay_bars - 1)
        width = self.progress.fontMetrics().horizontalAdvance(widest) + 24
        self.progress.setFixedWidth(max(self._kept[3], width))
        self.progress.setToolTip("Position of the replay in its run")

    def show_replay_position(self, k: int) -> None:
        """The replay shows bar ``k`` (0-based)."""
        if self._kept is None:
            return
        self.progress.setFormat(self._position_text(k))
        _set_quietly(self.progress, round((k + 1) / self._replay_bars * 1000))

    def replay_ended(self) -> None:
        """Show the live run's figures again."""
        if self._kept is None:
            return
        value, text, tip, width = self._kept
        self._kept = None
        self.progress.setFormat(text)
        self.progress.setToolTip(tip)
        self.progress.setFixedWidth(width)
        _set_quietly(self.progress, value)
        self.speed.show()
        self.elapsed.show()

    def _position_text(self, k: int) -> str:
        return f"bar {k + 1:,} of {self._replay_bars:,}"


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
