"""Monte Carlo of a run (issue 23): wall time of 10,000 paths on a 4,000-trade run.

Target: <= 1 s per method. The trades' P&L is a seeded normal draw (the simulation's cost does
not depend on the values). Each method is timed ``--repeat`` times on one thread and on every
core, alternating methods and thread counts so a noisy neighbour hits all alike; the median
is printed with the fastest and slowest run, and the one-thread median over the all-core one.

Run: python bench/montecarlo.py [--paths N] [--trades T] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from ostdesk.research.montecarlo import METHODS, simulate

TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--trades", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pnl = np.random.default_rng(42).normal(25.0, 400.0, args.trades)
    simulate(pnl, 100_000.0, paths=100)  # warm up numpy's code paths
    cores = os.cpu_count() or 1
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.repeat):
        for method in METHODS:
            for threads in (1, cores):
                start = time.perf_counter()
                simulate(
                    pnl, 100_000.0, paths=args.paths, seed=1, method=method, ruin_pct=30.0,
                    threads=threads,
                )  # fmt: skip
                times.setdefault((method, threads), []).append(time.perf_counter() - start)
    print(f"Monte Carlo: {args.paths:,} paths x {args.trades:,} trades, {args.repeat} runs each")
    print(f"{'method':<12} {'threads':>7} {'median s':>9} {'min s':>7} {'max s':>7}"
          f"  target <= {TARGET_S} s")  # fmt: skip
    for (method, threads), ts in times.items():
        median = statistics.median(ts)
        verdict = "ok" if median <= TARGET_S else "SLOW"
        print(
            f"{method:<12} {threads:>7} {median:>9.3f} {min(ts):>7.3f} {max(ts):>7.3f}  {verdict}"
        )
    for method in METHODS:
        one, every = (statistics.median(times[(method, t)]) for t in (1, cores))
        print(f"{method}: 1 thread / {cores} threads = {one / every:.2f}")


if __name__ == "__main__":
    main()
