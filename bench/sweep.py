"""Parameter sweeps (issue 22): ostdesk's study engine against backtesting.py's
``Backtest.optimize``, memory over a long random search, and the Ray backend's overhead.

1. The same 100-combination grid of SmaCross (fast 5..50 step 5 x slow 60..240 step 20, every
   combination valid; 1 unit a trade, no commission, 100,000 of capital) on workloads (a) 1
   symbol x 200,000 minute bars and (b) 10 symbols x 20,000 (backtesting.py trades one symbol
   a run, so both sides run the grid once per symbol of (b)), 2 workers each: ostdesk's
   ``StudyRunner`` (local pool, bars stored in a temp DuckDB, every trial stored) against
   ``Backtest.optimize`` (its own multiprocessing pool, one process per core), alternated,
   medians. Each side's whole sweep is timed, pool start-up included. It prints trials/s,
   the ratio, both best parameters, and how far apart the two sides' Sharpe Ratio, Return and
   # Trades are over all 100 trials (backtesting.py's heatmaps).
2. A 10,000-trial random search on a small data set (the first 1,000 bars of (a)): the RSS
   and peak RSS of the parent process after 1,000 and after 10,000 trials (flat: nothing grows
   per trial; the peak alone hides growth under the set-up's own peak, loading (a)).
3. With Ray installed: a two-node cluster on 127.0.0.1 (one CPU each), the same grid on the
   first ``--ray-bars`` bars of (a) run on it and on the local pool, alternated: trials/s of
   each and the latency from the study's start to its first finished trial. That part runs in
   a network namespace holding only ``lo`` (``tests/research/ray_cluster.py`` says why).

Run: python bench/sweep.py [--repeat N] [--only a|b|memory|ray] [--bars N] [--ray-bars N]
``--bars`` cuts each symbol's bars to N (the full workloads take minutes per repeat on 2 cores).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import backtesting.backtesting
import numpy as np
import pandas as pd
from backtesting import Backtest
from backtesting import Strategy as BtStrategy
from backtesting.test import SMA as bt_sma

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

if not __package__:  # run as ``python bench/sweep.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload
from bench.peers import Workload, workload, workload_parser
from bench.recorder import load_into
from ostdesk.research.ranking import best_trials
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.study import StudyProgress, StudyRunner
from ostdesk.store import Database
from ostdesk.store.studies import TrialRow, stored_trials
from ostdesk.strategies.sma_cross import SmaCross
from tests.research.ray_cluster import loopback_namespace, only_loopback, ray_cluster

backtesting.backtesting._tqdm = lambda seq, **_: seq  # its progress bars: at its best, silent
CAPITAL = 100_000.0
FAST = list(range(5, 51, 5))
SLOW = list(range(60, 241, 20))
GRID = [f"fast={FAST[0]}:{FAST[-1]}:5", f"slow={SLOW[0]}:{SLOW[-1]}:20", "size=1"]
WORKERS = 2


def end_of(w: Workload, bars: int | None) -> int | None:
    """The ``end_ns`` that keeps each symbol's first ``bars`` bars (None: all of them)."""
    times = np.unique(w.chunk.ts)
    return None if bars is None or bars >= len(times) else int(times[bars])


def spec_for(symbol: str, ranges: list[str], **kw: object) -> StudySpec:
    dims, fixed = parse_space(SmaCross.params, ranges)
    return StudySpec(
        "SmaCross",
        "built-in",
        (symbol,),
        "minute",
        dims,
        (Objective("Sharpe Ratio"),),
        fixed,
        capital=CAPITAL,
        **kw,  # type: ignore[arg-type]
    )


# -- ostdesk and backtesting.py on the grid --------------------------------------------------


def ostdesk_grid(
    db: Database, symbols: tuple[str, ...], end_ns: int | None
) -> tuple[float, list[list[TrialRow]]]:
    t0 = time.perf_counter()
    studies = [
        StudyRunner(db, spec_for(s, GRID, end_ns=end_ns), workers=WORKERS).run() for s in symbols
    ]
    seconds = time.perf_counter() - t0
    return seconds, [stored_trials(db, s.study_id) for s in studies]


class BtSmaCross(BtStrategy):  # ostdesk.strategies.sma_cross.SmaCross with size=1
    fast = 10
    slow = 30

    def init(self) -> None:
        self.fast_ma = self.I(bt_sma, self.data.Close, self.fast)
        self.slow_ma = self.I(bt_sma, self.data.Close, self.slow)

    def next(self) -> None:
        fast, slow = self.fast_ma, self.slow_ma
        if fast[-2] <= slow[-2] and fast[-1] > slow[-1]:
            if not self.position:
                self.buy(size=1)
        elif fast[-2] >= slow[-2] and fast[-1] < slow[-1]:
            self.position.close()


def backtesting_grid(data: list[pd.DataFrame]) -> tuple[float, list[tuple[object, ...]]]:
    """backtesting.py's optimize of the grid per symbol: the time, and per symbol the best
    parameters and the heatmaps of three statistics (a second and third optimize each, not
    timed: ``optimize`` returns the heatmap of the statistic it maximises only)."""
    strategy = BtSmaCross
    seconds, out = 0.0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for frame in data:
            bt = Backtest(frame, strategy, cash=CAPITAL)
            t0 = time.perf_counter()
            stats, heat = bt.optimize(
                fast=FAST, slow=SLOW, maximize="Sharpe Ratio", return_heatmap=True
            )
            seconds += time.perf_counter() - t0
            maps = {"Sharpe Ratio": heat}
            for stat in ("Return [%]", "# Trades"):
                maps[stat] = bt.optimize(fast=FAST, slow=SLOW, maximize=stat, return_heatmap=True)[
                    1
                ]
            best = (stats["_strategy"].fast, stats["_strategy"].slow)
            out.append((best, maps))
    return seconds, out


def compare(ours: list[list[TrialRow]], theirs: list[tuple[object, ...]]) -> str:
    """Best parameters of each side and the largest difference of each statistic."""
    lines = []
    worst = dict.fromkeys(("Sharpe Ratio", "Return [%]", "# Trades"), 0.0)
    same_best = ranked = 0
    for trials, (best, maps) in zip(ours, theirs, strict=True):
        spec = spec_for("x", GRID)
        mine = best_trials(trials, spec)[:1]  # none when no trial has a Sharpe Ratio
        ranked += bool(mine)
        same_best += [(t.params["fast"], t.params["slow"]) for t in mine] == [best]
        for t in trials:
            for stat, heat in maps.items():  # type: ignore[attr-defined]
                theirs_v = float(heat.loc[(t.params["fast"], t.params["slow"])])
                ours_v = t.stats[stat]
                ours_v = np.nan if ours_v is None else ours_v
                if np.isnan(theirs_v) and np.isnan(ours_v):
                    continue
                worst[stat] = max(worst[stat], abs(theirs_v - ours_v) / max(1.0, abs(theirs_v)))
    lines.append(
        f"  same best parameters: {same_best} of the {ranked} symbol(s) with a best trial"
        f" (of {len(ours)})"
    )
    lines.append(
        "  largest relative difference over every trial: "
        + ", ".join(f"{k} {v:.1e}" for k, v in worst.items())
    )
    return "\n".join(lines)


def grid_table(folder: Path, names: list[str], bars: int | None, repeat: int) -> None:
    print(f"{'trials/s, median of ' + str(repeat):<34}{'workload':<24}{'trials/s':>10}{'ratio':>8}")
    for name in names:
        w = workload(folder, name, name)
        end_ns = end_of(w, bars)
        data = [f.iloc[:bars] for f in w.frames]
        label = f"({name}) {len(w.symbols)} sym x {len(data[0]):,}"
        trials = 100 * len(w.symbols)
        times: dict[str, list[float]] = {"ostdesk (local, 2 workers)": [], "backtesting.py": []}
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(repeat):
                with Database.open(Path(tmp) / f"{k}.duckdb") as db:
                    load_into(db, folder / f"{name}.npz")
                    seconds, ours = ostdesk_grid(db, w.symbols, end_ns)
                times["ostdesk (local, 2 workers)"].append(seconds)
                seconds, theirs = backtesting_grid(data)
                times["backtesting.py"].append(seconds)
        rate = {k: trials / statistics.median(v) for k, v in times.items()}
        for row, r in rate.items():
            print(f"{row:<34}{label:<24}{r:>10.2f}{r / rate['backtesting.py']:>7.2f}x")
        print(compare(ours, theirs))


# -- memory over a long random search --------------------------------------------------------


def memory(folder: Path, trials: int) -> None:
    w = workload(folder, "a", "a")
    rss: dict[int, tuple[float, float]] = {}
    marks = {1_000, trials}
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

    def on_trial(_: object, progress: StudyProgress) -> None:
        if progress.done in marks:
            now = int(Path("/proc/self/statm").read_text().split()[1]) * page_mb
            rss[progress.done] = now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    spec = spec_for(
        w.symbols[0],
        ["fast=2:100", "slow=101:400", "size=1"],
        method="random",
        n_trials=trials,
        seed=1,
        end_ns=end_of(w, 1_000),
    )
    with tempfile.TemporaryDirectory() as tmp, Database.open(Path(tmp) / "m.duckdb") as db:
        load_into(db, folder / "a.npz")
        t0 = time.perf_counter()
        StudyRunner(db, spec, workers=WORKERS, on_trial=on_trial).run()
        seconds = time.perf_counter() - t0
    rate = trials / seconds
    print(f"random search, {trials:,} trials on 1,000 bars, 2 workers: {rate:,.0f} trials/s")
    for done, (now, peak) in sorted(rss.items()):
        print(f"  RSS of the parent after {done:>6,} trials: {now:7.1f} MB (peak {peak:7.1f} MB)")


# -- the Ray backend -------------------------------------------------------------------------


def ray_table(folder: Path, bars: int, repeat: int) -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        print("Ray is not installed (pip install 'ostdesk[ray]'): no Ray figures")
        return
    w = workload(folder, "a", "a")
    spec = spec_for(w.symbols[0], GRID, end_ns=end_of(w, bars))
    runs: dict[str, list[tuple[float, float]]] = {
        "local, 2 workers": [],
        "ray, 2 nodes x 1 CPU": [],
    }
    with (
        ray_cluster() as cluster,
        tempfile.TemporaryDirectory() as tmp,
        Database.open(Path(tmp) / "r.duckdb") as db,
    ):
        load_into(db, folder / "a.npz")
        for _ in range(repeat):
            for label, kw in (
                ("local, 2 workers", {"workers": WORKERS}),
                ("ray, 2 nodes x 1 CPU", {"backend": "ray", "address": cluster.address}),
            ):
                first: list[float] = []
                runner_start = time.perf_counter()

                def on_trial(
                    *_: object, first: list[float] = first, t0: float = runner_start
                ) -> None:
                    if not first:
                        first.append(time.perf_counter() - t0)

                StudyRunner(db, spec, on_trial=on_trial, **kw).run()  # type: ignore[arg-type]
                runs[label].append((time.perf_counter() - runner_start, first[0]))
    print(
        f"{'grid of 100 on (a) cut to ' + format(bars, ',') + ' bars':<34}{'trials/s':>10}"
        f"{'ratio':>8}{'first trial [s]':>17}"
    )
    rate = {k: 100 / statistics.median(s for s, _ in v) for k, v in runs.items()}
    for label, v in runs.items():
        first_s = statistics.median(f for _, f in v)
        print(
            f"{label:<34}{rate[label]:>10.2f}{rate[label] / rate['local, 2 workers']:>7.2f}x"
            f"{first_s:>17.2f}"
        )


def main() -> None:
    ap = workload_parser(__doc__)
    ap.add_argument("--only", choices=["a", "b", "memory", "ray"])
    ap.add_argument("--bars", type=int, help="cut each symbol's bars to this many")
    ap.add_argument("--ray-bars", type=int, default=20_000)
    ap.add_argument("--trials", type=int, default=10_000, help="of the random search")
    args = ap.parse_args()
    ensure_workload(args.workload)
    names = [n for n in ("a", "b") if args.only in (None, n)]
    if names:
        grid_table(args.workload, names, args.bars, args.repeat)
    if args.only in (None, "memory"):
        memory(args.workload, args.trials)
    if args.only in (None, "ray") and only_loopback():
        ray_table(args.workload, args.ray_bars, args.repeat)
    elif args.only in (None, "ray"):  # again, alone on loopback with the cluster
        again = [sys.executable, __file__, "--only", "ray", "--workload", str(args.workload)]
        again += ["--repeat", str(args.repeat), "--ray-bars", str(args.ray_bars)]
        with loopback_namespace() as (_, enter):
            subprocess.run([*enter, *again], check=True)


if __name__ == "__main__":
    main()
