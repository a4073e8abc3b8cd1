"""Where a bar's time goes in the synchronous executor (issue 21), in CPU time.

The shared 2-core machine is loaded, so wall-clock figures swing by 2x between runs; CPU time
of the process moves much less, and the executor is one thread. Prints, as medians of
alternated runs on the issue's workloads (in memory, no database, recorder off):

- CPU µs a bar of the plain loop, backtesting.py, the threaded engine, the synchronous
  executor running SmaCross, and running a strategy that does nothing (the engine's floor);
- a cProfile of one synchronous SmaCross run, its own time summed by where the code lives
  (the inline bus, datafeed, strategy host, indicators, the strategy, broker, bus routing);
- the fixed cost of a run as ``bench/peers.py`` times it (bars in a DuckDB file):
  ``prepare_backtest``, reading the bars, and a one-bar run (set-up and teardown), against
  the whole synchronous run, headless, in wall time.

Run: python bench/sync_profile.py [--workload DIR] [--repeat N] [--only a|b]
"""

from __future__ import annotations

import cProfile
import dataclasses
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")

if not __package__:  # run as ``python bench/sync_profile.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload
from bench.peers import (
    FAST,
    SLOW,
    WORKLOADS,
    Workload,
    backtesting_py,
    plain_loop,
    workload,
    workload_parser,
)
from bench.recorder import load_into
from ostdesk import Strategy
from ostdesk.engine import runner
from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.market_data import bar_chunks
from ostdesk.strategies.sma_cross import SmaCross


class DoesNothing(Strategy):
    """The engine's own cost a bar: no indicator, no decision."""

    def on_bar(self, bar: BarReceived) -> None:
        pass


def ostdesk(w: Workload, strategy: type[Strategy], executor: str) -> Callable[[], object]:
    params = {"fast": FAST, "slow": SLOW, "size": 1.0} if strategy is SmaCross else {}
    config = runner.BacktestConfig(
        strategy=strategy,
        symbols=w.symbols,
        period=BarPeriod.MINUTE,
        params=params,
        executor=executor,
    )
    return lambda: runner.BacktestRun(config, [w.chunk], len(w.chunk)).run()


def cpu_per_bar(w: Workload, repeat: int) -> None:
    rows: dict[str, Callable[[], object]] = {
        "plain Python loop": lambda: plain_loop(w),
        "backtesting.py 0.6.6": lambda: backtesting_py(w),
        "ostdesk threaded, SmaCross": ostdesk(w, SmaCross, "threaded"),
        "ostdesk sync, SmaCross": ostdesk(w, SmaCross, "sync"),
        "ostdesk sync, does nothing": ostdesk(w, DoesNothing, "sync"),
    }
    spent: dict[str, list[float]] = {label: [] for label in rows}
    for _ in range(repeat):
        for label, row in rows.items():
            start = time.process_time()
            row()
            spent[label].append((time.process_time() - start) / w.bars * 1e6)
    base = statistics.median(spent["backtesting.py 0.6.6"])
    for label, values in spent.items():
        us = statistics.median(values)
        print(f"{label:<30}{w.label:<22}{us:>8.2f} µs CPU a bar{base / us:>8.2f}x backtesting.py")


AREAS = (
    ("inline bus (the executor)", "engine/inline.py"),
    ("bus routing", "engine/bus.py"),
    ("datafeed", "engine/datafeed.py"),
    ("strategy host", "engine/strategy_host.py"),
    ("indicators", "engine/indicators/"),
    ("strategy (SmaCross, handles)", ("strategies/", "engine/strategy.py")),
    ("broker, portfolio, orders", ("engine/broker.py", "engine/portfolio.py", "engine/matching")),
)


def profile(w: Workload) -> None:
    """One synchronous run under cProfile (run on the runner's thread, where the work is)."""
    profiler = cProfile.Profile()
    supervise = runner.BacktestRun._supervise

    def profiled(self: runner.BacktestRun) -> None:
        profiler.enable()
        try:
            supervise(self)
        finally:
            profiler.disable()

    runner.BacktestRun._supervise = profiled  # type: ignore[method-assign]
    try:
        ostdesk(w, SmaCross, "sync")()
    finally:
        runner.BacktestRun._supervise = supervise  # type: ignore[method-assign]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    shares = dict.fromkeys([name for name, _ in AREAS] + ["other (builtins, numpy, ...)"], 0.0)
    for (filename, _, _), entry in stats.items():
        area = next(
            (name for name, where in AREAS if any(p in filename for p in _tuple(where))),
            "other (builtins, numpy, ...)",
        )
        shares[area] += entry[2]  # own time
    print(f"profile of one sync SmaCross run, {w.label}: own time by area")
    for name, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<32}{seconds / total:>7.1%}")


def fixed_cost(w: Workload, folder: Path, repeat: int) -> None:
    """What a timed run spends besides replaying bars: medians of wall time, alternated."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "bars.duckdb")
        try:
            load_into(db, folder / f"{w.name}.npz")
            config = runner.BacktestConfig(
                strategy=SmaCross,
                symbols=w.symbols,
                period=BarPeriod.MINUTE,
                params={"fast": FAST, "slow": SLOW, "size": 1.0},
                executor="sync",
            )
            one_bar = runner.BacktestConfig(
                strategy=DoesNothing, symbols=w.symbols, period=BarPeriod.MINUTE, executor="sync"
            )
            head = BarChunk(*(getattr(w.chunk, f.name)[:1] for f in dataclasses.fields(BarChunk)))

            def whole() -> None:
                prepare_backtest(db, config, record=False).run()

            def tiny() -> None:
                runner.BacktestRun(one_bar, [head], 1).run()

            rows: dict[str, Callable[[], object]] = {
                "prepare_backtest": lambda: prepare_backtest(db, config, record=False),
                "reading the bars": lambda: sum(1 for _ in bar_chunks(db, w.symbols, "minute")),
                "a one-bar run (set-up, teardown)": tiny,
                "the whole timed run": whole,
            }
            spent: dict[str, list[float]] = {label: [] for label in rows}
            for _ in range(repeat):
                for label, row in rows.items():
                    start = time.perf_counter()
                    row()
                    spent[label].append(time.perf_counter() - start)
        finally:
            db.close()
    total = statistics.median(spent["the whole timed run"])
    print(f"fixed cost of a sync run, {w.label}: wall time, share of the whole run")
    for label, values in spent.items():
        ms = statistics.median(values) * 1e3
        print(f"  {label:<36}{ms:>9.1f} ms{ms / 1e3 / total:>8.1%}")


def _tuple(where: str | tuple[str, ...]) -> tuple[str, ...]:
    return (where,) if isinstance(where, str) else where


def main() -> None:
    ap = workload_parser(__doc__)
    ap.add_argument("--only", choices=["a", "b"], help="one workload only")
    args = ap.parse_args()
    ensure_workload(args.workload)
    for name, label in WORKLOADS.items():
        if args.only in (None, name):
            w = workload(args.workload, name, label)
            cpu_per_bar(w, args.repeat)
            profile(w)
            fixed_cost(w, args.workload, args.repeat)


if __name__ == "__main__":
    main()
