"""A disk that fills up during a recorded run: the run stops promptly and ends ``failed`` with
one sentence, the database stays usable, and what was stored before is intact.

Uses a real full filesystem: a size-limited tmpfs, which needs the right to mount (root on
Linux); skipped with the reason elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk.engine.bar_chunk import BLOCK_BARS
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.record_check import stored_rows
from ostdesk.store.runs import get_run, list_runs
from ostdesk.strategies.rsi_reversion import RsiReversion

HEADROOM = 500_000
"""Free bytes left once the run has stored its first bars: the rest of it (~9 MB) does not fit."""

_GO_ON = threading.Event()
_FAILED = threading.Event()


class _PausesPastTheFirstBlock(RsiReversion):
    """Waits past the datafeed's first block of bars (``BLOCK_BARS``) until the test has
    filled the disk: the recorder stores that block meanwhile."""

    name = "PausesPastTheFirstBlock"

    def setup(self) -> None:
        super().setup()
        self._bars_seen = 0

    def on_bar(self, bar: BarReceived) -> None:
        self._bars_seen += 1
        if self._bars_seen == BLOCK_BARS + 1_000:
            _GO_ON.wait(30)
        elif self._bars_seen == 2 * BLOCK_BARS + 1_000:  # the second block is out: its write
            _FAILED.wait(30)  # fails; the run cannot go on to its end before the failure
        super().on_bar(bar)


def _mount(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["mount", *args], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs, unmounted afterwards."""
    if sys.platform != "linux" or shutil.which("mount") is None:
        pytest.skip("needs Linux tmpfs mounts")
    folder = tmp_path / "disk"
    folder.mkdir()
    result = _mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder))
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill_up_to(folder: Path, free: int) -> None:
    """Shrink the tmpfs so that only ``free`` bytes are left."""
    stat = os.statvfs(folder)
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    result = _mount("-o", f"remount,size={used + free}", str(folder))
    assert result.returncode == 0, result.stderr


def test_a_full_disk_mid_run_ends_it_failed_with_one_sentence_and_keeps_the_database(
    small_disk: Path,
) -> None:
    db = Database.open(small_disk / "ostdesk.duckdb")
    try:
        symbols = install_demo_data(db)
        db.connection.execute("CHECKPOINT")
        config = BacktestConfig(
            strategy=_PausesPastTheFirstBlock, symbols=tuple(symbols), period=BarPeriod.MINUTE
        )
        run = prepare_backtest(db, config, record_interval=0.01)
        _GO_ON.clear()
        _FAILED.clear()
        run.start()
        try:  # the disk fills once some bars are stored, however fast the engine is
            tally = run.recording.recorder.tally
            deadline = time.monotonic() + 30
            while tally.written["run_bars"] == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            _fill_up_to(small_disk, HEADROOM)
            _GO_ON.set()
            deadline = time.monotonic() + 30
            while tally.failure is None and time.monotonic() < deadline:
                time.sleep(0.005)
        finally:
            _GO_ON.set()
            _FAILED.set()
        run.wait()
        assert run.status is RunStatus.FAILED
        assert run.error is not None and run.error.component == "recorder"
        assert "No space left on device" in run.error.message
        assert "\n" not in run.error.message
        assert run.bars_processed < run._total  # cancelled, not run to the end

        info = get_run(db, run.recording.run_id)
        assert info["status"] == "failed"
        assert info["error"] == run.error.message
        assert info["return_pct"] is None
        tally = run.recording.recorder.tally
        assert stored_rows(db.connection, run.recording.run_id) == tally.written
        assert 0 < tally.written["run_bars"] < tally.handed["run_bars"]
        assert info["bars"] == tally.written["run_bars"]
        assert len(list_runs(db)["run_id"]) == 1
        market = db.connection.execute("SELECT count(*) FROM bars").fetchone()
        assert market == (len(symbols) * 7800,)  # the market data is intact
    finally:
        db.close()
