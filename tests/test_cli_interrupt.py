"""A headless backtest as a terminal user runs it: Ctrl-C ends even a strategy stuck in an
endless ``on_bar`` within seconds (exit 130, run stored ``cancelled``), and a strategy that
calls ``sys.exit`` fails its run instead of ending the process with its status."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ostdesk.cli import main
from ostdesk.store import Database
from ostdesk.store.runs import get_run

STRATEGIES = """
import sys
import time

from ostdesk import Strategy


class Forever(Strategy):
    def on_bar(self, bar):
        print("on_bar entered", flush=True)
        while True:
            pass


class Sleeps(Strategy):
    def on_bar(self, bar):
        print("on_bar entered", flush=True)
        time.sleep(1000)  # one C call: no interrupt reaches it before it returns


class ExitsInSetup(Strategy):
    def setup(self):
        sys.exit(3)
"""

# A child started from a shell's background job inherits SIGINT ignored, and Python then
# installs no KeyboardInterrupt handler: restore the default before exec'ing ``ostdesk``.
_WITH_DEFAULT_SIGINT = (
    "import os, signal, sys;"
    " signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


@pytest.fixture
def demo_db(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["demo-data", "--db", str(db_path)]) == 0
    capsys.readouterr()
    return db_path


def _backtest(db: Path, folder: Path, strategy: str) -> subprocess.Popen[str]:
    (folder / "stuck.py").write_text(textwrap.dedent(STRATEGIES))
    args = ["-m", "ostdesk", "backtest", "--db", str(db), "--strategy", strategy]
    args += ["--symbols", "DEMO-ALPHA", "--strategies-dir", str(folder)]
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_DEFAULT_SIGINT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _run_status(db_path: Path) -> str:
    with Database.open(db_path) as db:
        return str(get_run(db, 1)["status"])


def _ctrl_c_in_on_bar(proc: subprocess.Popen[str]) -> tuple[str, float]:
    """Send SIGINT once the strategy is in ``on_bar``; its stderr and how long it then took."""
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.readline() == "on_bar entered\n"
        interrupted_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        return err, time.monotonic() - interrupted_at
    finally:
        proc.kill()
        proc.wait()


def test_ctrl_c_ends_a_backtest_stuck_in_on_bar_as_cancelled(demo_db: Path, tmp_path: Path) -> None:
    proc = _backtest(demo_db, tmp_path, "Forever")
    err, seconds = _ctrl_c_in_on_bar(proc)
    assert proc.returncode == 130, err
    assert seconds < 3
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    assert _run_status(demo_db) == "cancelled"


def test_ctrl_c_of_a_strategy_blocked_in_a_c_call_exits_in_2_s_and_marks_the_run_interrupted(
    demo_db: Path, tmp_path: Path
) -> None:
    proc = _backtest(demo_db, tmp_path, "Sleeps")
    err, seconds = _ctrl_c_in_on_bar(proc)
    assert proc.returncode == 130, err
    assert seconds < 4
    assert "run 1 did not stop within 2 s (its strategy is blocked); marked interrupted" in err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert _run_status(demo_db) == "interrupted"


def test_sys_exit_in_setup_fails_the_run_with_status_1(demo_db: Path, tmp_path: Path) -> None:
    proc = _backtest(demo_db, tmp_path, "ExitsInSetup")
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1, err
    assert "SystemExit: 3" in err
    assert _run_status(demo_db) == "failed"
