"""Crash loss (issue 17): SIGKILL recorded backtests at random moments and measure what is lost.

Each trial starts ``ostdesk``'s recorded backtest of workload (a) (SMA 10/30 on 200,000 minute
bars) in a child process on one database, kills it with SIGKILL at a random moment of the run,
then opens the database as the app would and checks that the record is intact:

- the database opens and the killed run is marked ``interrupted``;
- its stored bars are a gap-free prefix of the data, and ``runs.bars`` counts them;
- every earlier trial's rows are still there, unchanged in number.

The loss is how long before the kill the oldest lost bar was published: the child reports
(wall time, bars published) every 2 ms, and the loss is taken from the last report that did
not yet include a lost bar, so it errs on the long side by at most that period.
Run: python bench/faults.py [--trials N] [--seed S] [--workload DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as ``python bench/faults.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload
from bench.recorder import load_into
from ostdesk.store import Database
from ostdesk.store.runs import recover_interrupted_runs

MIN_NS = 60_000_000_000
REPORT_S = 0.002

CHILD = """
import sys, threading, time
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.sma_cross import SmaCross

db = Database.open(sys.argv[1])
config = BacktestConfig(strategy=SmaCross, symbols=("SYM00",), period=BarPeriod.MINUTE)
run = prepare_backtest(db, config)
run.start()
print("S", time.time(), run.recording.run_id, flush=True)
def report():
    while not run.done:
        print("P", time.time(), run.bars_processed, flush=True)
        time.sleep(REPORT_S)
threading.Thread(target=report, daemon=True).start()
run.wait()
print("D", time.time(), flush=True)
""".replace("REPORT_S", repr(REPORT_S))


def trial(db_path: Path, kill_after: float) -> dict[str, float | int | bool | str]:
    """One killed run: its intactness, loss in seconds and bars."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    reports: list[tuple[float, int]] = []
    run_id = -1
    kill_at = None
    finished = False
    for line in child.stdout:
        kind, wall, *rest = line.split()
        if kind == "S":
            run_id = int(rest[0])
            kill_at = float(wall) + kill_after
        elif kind == "P":
            reports.append((float(wall), int(rest[0])))
            if kill_at is not None and float(wall) >= kill_at:
                os.kill(child.pid, signal.SIGKILL)
                killed = time.time()
                break
        elif kind == "D":
            finished = True
            break
    child.wait()
    if finished:
        return {"intact": True, "finished": True, "loss_s": 0.0, "lost_bars": 0}
    with Database.open(db_path) as db:
        recover_interrupted_runs(db)  # as the app and the CLI do when they open it
        con = db.connection
        status, bars = con.execute(
            "SELECT status, bars FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        count, distinct, first, last = con.execute(
            "SELECT count(*), count(DISTINCT ts), min(ts), max(ts) FROM run_bars WHERE run_id = ?",
            [run_id],
        ).fetchone()
        t0 = con.execute("SELECT min(ts_event_ns) FROM bars WHERE symbol = 'SYM00'").fetchone()[0]
    prefix = count == 0 or (count == distinct and first == t0 and last == t0 + (count - 1) * MIN_NS)
    intact = status == "interrupted" and prefix and bars == count
    published = reports[-1][1]
    # the last report in which no lost bar had been published yet
    before = max((wall for wall, n in reports if n <= count), default=reports[0][0])
    return {
        "intact": intact,
        "finished": False,
        "status": status,
        "loss_s": killed - before if published > count else 0.0,
        "lost_bars": published - count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--workload", type=Path, default=Path(tempfile.gettempdir()) / "workload")
    args = parser.parse_args()
    ensure_workload(args.workload)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faults.duckdb"
        with Database.open(db_path) as db:
            load_into(db, args.workload / "a.npz")
            db.connection.execute("CHECKPOINT")
        # one undisturbed run gives the run's length, over which kills are spread
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(db_path)], capture_output=True, text=True, check=True
        )
        lines = child.stdout.split()
        length = float(lines[lines.index("D") + 1]) - float(lines[lines.index("S") + 1])
        print(f"workload (a), recorded: one run takes {length:.2f} s; {args.trials} kills")
        print(f"{'trial':>5} {'kill at':>8} {'intact':>7} {'lost bars':>10} {'loss s':>7}")
        results = []
        for i in range(args.trials):
            kill_after = rng.uniform(0.02, length * 0.98)
            r = trial(db_path, kill_after)
            results.append(r)
            print(
                f"{i + 1:>5} {kill_after:>7.2f}s {'yes' if r['intact'] else 'NO':>7} "
                f"{r['lost_bars']:>10,} {r['loss_s']:>7.3f}"
                + ("  (ended before the kill)" if r["finished"] else "")
            )
        with Database.open(db_path) as db:
            runs = db.connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    losses = [float(r["loss_s"]) for r in results if not r["finished"]]
    intact = sum(bool(r["intact"]) for r in results)
    print(
        f"\nintact: {intact}/{len(results)}; "
        f"runs in the database: {runs} (expected {args.trials + 1})"
    )
    if losses:
        print(
            f"loss at a kill: median {statistics.median(losses):.3f} s, "
            f"worst {max(losses):.3f} s ({max(int(r['lost_bars']) for r in results):,} bars)"
        )


if __name__ == "__main__":
    main()
