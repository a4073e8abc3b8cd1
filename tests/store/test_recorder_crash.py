"""A backtest process killed with SIGKILL: the database opens, the run is ``interrupted``, and
every bar published more than one second before the kill is there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ostdesk.store import Database
from ostdesk.store.runs import get_run, recover_interrupted_runs

CHILD = textwrap.dedent("""
    import sys, threading, time
    from ostdesk import Strategy
    from ostdesk.engine.events import BarPeriod
    from ostdesk.engine.runner import BacktestConfig
    from ostdesk.store import Database, install_demo_data
    from ostdesk.store.backtests import prepare_backtest

    class Slow(Strategy):
        def on_bar(self, bar):
            time.sleep(0.0002)  # a slow strategy keeps the run going long enough to kill it

    db = Database.open(sys.argv[1])
    symbols = install_demo_data(db)
    config = BacktestConfig(strategy=Slow, symbols=tuple(symbols), period=BarPeriod.MINUTE)
    run = prepare_backtest(db, config)
    run.start()

    def report():
        while True:
            print(f"P {time.time()} {run.bars_processed}", flush=True)
            time.sleep(0.02)

    threading.Thread(target=report, daemon=True).start()
    run.wait()
    print("DONE", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_run_leaves_an_interrupted_run_with_everything_before_the_last_second(
    db_path: Path, tmp_path: Path
) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(db_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    progress: list[tuple[float, int]] = []
    started = None
    for line in child.stdout:
        if line.startswith("DONE"):
            pytest.fail("the run finished before it could be killed")
        _, wall, count = line.split()
        progress.append((float(wall), int(count)))
        if int(count) > 0 and started is None:
            started = time.time()
        if started is not None and time.time() - started > 2.0:
            break
    killed_at = time.time()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()

    published_before = max(c for w, c in progress if w <= killed_at - 1.0)
    assert published_before > 0
    with Database.open(db_path) as db:
        [run_id] = recover_interrupted_runs(db)
        run = get_run(db, run_id)
        assert run["status"] == "interrupted"
        stored = db.connection.execute(
            "SELECT count(*) FROM run_bars WHERE run_id = ?", [run_id]
        ).fetchone()
        assert stored is not None
        assert stored[0] >= published_before
        assert run["bars"] == stored[0]
        assert recover_interrupted_runs(db) == []
