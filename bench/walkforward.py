"""Walk-forward (issue 23): wall time of 10 windows x 100 trials on workload (a) on 2 cores.

The 100-combination SmaCross grid of ``bench/sweep.py`` (fast 5..50 x slow 60..240, 1 unit a
trade; objective Return [%]) is optimised on each rolling in-sample window with the local
backend (2 workers) and its best trial recorded as a run on the out-of-sample window after it;
last, the stitched out-of-sample run (all windows as one recorded run) is recorded.
Workload (a) is 1 symbol x 200,000 minute bars; the in-sample length is ``--in-sample`` (a
share of the bars, or a count) and 10 out-of-sample windows cover the rest. ``--bars`` cuts
the workload (the full one takes long on 2 cores). Prints each window as it ends (its wall
time, its trials' own run time and how busy that kept the pool), then the total wall time,
the time per window, the stitched run's time, trials/s and the walk-forward efficiency.

Run: python bench/walkforward.py [--bars N] [--in-sample N] [--windows W]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as ``python bench/walkforward.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload
from bench.recorder import load_into
from bench.sweep import GRID, WORKERS, spec_for
from ostdesk.research.spec import Objective
from ostdesk.research.walkforward import WindowResult, bar_times, bar_windows, run_walkforward
from ostdesk.store import Database
from ostdesk.store.studies import stored_trials


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--workload", type=Path, default=Path(__file__).resolve().parent.parent / "workload"
    )
    ap.add_argument("--bars", type=int, help="use the first N bars of (a)")
    ap.add_argument("--in-sample", type=float, default=0.5, help="share (<1) or bars (>=1)")
    ap.add_argument("--windows", type=int, default=10, help="out-of-sample windows")
    args = ap.parse_args()
    ensure_workload(args.workload)
    with tempfile.TemporaryDirectory() as tmp, Database.open(Path(tmp) / "wf.duckdb") as db:
        symbols = load_into(db, args.workload / "a.npz")
        # Return, not Sharpe: a Sharpe ratio needs several days of returns, and a short
        # window of minute bars (``--bars``) has too few to rank its trials by
        spec = dataclasses.replace(
            spec_for(symbols[0], GRID), objectives=(Objective("Return [%]"),)
        )
        times = bar_times(db, spec.symbols, spec.period)[: args.bars]
        n = len(times)
        in_sample = int(args.in_sample * n) if args.in_sample < 1 else int(args.in_sample)
        out_of_sample = -(-(n - in_sample) // args.windows)  # ceil: exactly W windows
        windows = bar_windows(times, in_sample, out_of_sample)
        marks: list[float] = []
        walls: list[float] = []
        busy: list[float] = []  # per window: its trials' run time over the pool's wall time
        print(
            f"walk-forward on (a): {n:,} bars, {len(windows)} windows of {in_sample:,} bars"
            f" in-sample + {out_of_sample:,} out-of-sample, {WORKERS} workers (local)"
        )
        print(f"{'window':>6} {'wall s':>7} {'trials s':>9} {'pool busy':>10}", flush=True)

        def on_window(window: WindowResult) -> None:
            marks.append(time.perf_counter())
            walls.append(marks[-1] - (marks[-2] if len(marks) > 1 else start))
            ran = sum(t.duration_s for t in stored_trials(db, window.study_id))
            busy.append(ran / (WORKERS * walls[-1]))
            print(f"{len(marks):>6} {walls[-1]:>7.1f} {ran:>9.1f} {busy[-1]:>10.0%}", flush=True)

        start = time.perf_counter()
        result = run_walkforward(db, spec, windows, workers=WORKERS, on_window=on_window)
        total = time.perf_counter() - start
    trials = 100 * len(windows)
    print(f"{'total s':>9} {'per window s (min/median/max)':>32} {'stitched s':>11}"
          f" {'trials/s':>9} {'pool busy':>10} {'WFE':>7}")  # fmt: skip
    ordered = sorted(walls)
    spread = f"{ordered[0]:.1f} / {ordered[len(ordered) // 2]:.1f} / {ordered[-1]:.1f}"
    stitched = start + total - marks[-1]
    wfe = result.efficiency  # NaN when the in-sample mean is not above 0
    wfe_text = f"{wfe:.3f}" if math.isfinite(wfe) else "n/a"
    print(f"{total:>9.1f} {spread:>32} {stitched:>11.1f} {trials / total:>9.1f}"
          f" {statistics.median(busy):>10.0%} {wfe_text:>7}")  # fmt: skip
    print("pool busy: the trials' own run time over the workers' wall time (window median);")
    print("the rest is each window's pool start, dispatch, storing and its out-of-sample run")


if __name__ == "__main__":
    main()
