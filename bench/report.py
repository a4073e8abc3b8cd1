"""Run report figures (issue 20): writing the HTML report of a recorded run of 1,000,000
bars, its size, and where the time goes (reading the run, rendering the page).

The run is bench/replay.py's: one symbol of N synthetic minute bars backtested with
RsiReversion (or SmaCross) and recorded, in a temp DuckDB file (or ``--db``, reused when it
already holds such a run). Times are medians of ``--repeat`` writes.

Run: python bench/report.py [--bars N] [--strategy rsi|sma] [--repeat N] [--db PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as ``python bench/report.py``: make its siblings importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.replay import recorded_run
from ostdesk.report import render_report, write_report
from ostdesk.report.data import load_report_data
from ostdesk.store import Database


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--strategy", choices=("rsi", "sma"), default="rsi")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        with Database.open(path) as db:
            run_id, backtest_s = recorded_run(db, args.bars, args.strategy)
            out = Path(tmp) / "run.html"
            load, render, total = [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                data = load_report_data(db, run_id)
                t1 = time.perf_counter()
                render_report(data)
                t2 = time.perf_counter()
                write_report(db, run_id, out)
                t3 = time.perf_counter()
                load.append(t1 - t0)
                render.append(t2 - t1)
                total.append(t3 - t2)
            trades = len(data.trades["symbol"])
            size = out.stat().st_size
    ms = lambda values: f"{1000 * statistics.median(values):,.0f} ms"  # noqa: E731
    print(f"run {run_id}: {args.bars:,} bars, {trades:,} round trips"
          + (f" (backtest {backtest_s:.1f} s)" if backtest_s == backtest_s else ""))  # fmt: skip
    print(f"{'read the run':<28}{ms(load):>12}")
    print(f"{'render the page':<28}{ms(render):>12}")
    print(f"{'ostdesk report (write_report)':<28}{ms(total):>12}   target: a couple of seconds")
    print(f"{'file size':<28}{size / 2**20:>9.2f} MB")


if __name__ == "__main__":
    main()
