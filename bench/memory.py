"""Memory over many runs (issue 17): a long session's recorded runs must not grow the process.

Runs N small recorded backtests (SMA 10/30 on one demo symbol's first 2 days: 780 minute bars)
one after another in one process and database, as a long GUI session does, and prints the
resident set size after a warm-up and at the end, and the growth per run between the two.

DuckDB keeps the blocks it writes in its buffer pool until its ``memory_limit`` (ostdesk sets
it when it opens a database): that cache grows with the data, by design, and is printed apart
(``duckdb_memory()``); so are the Python heap (``tracemalloc``: what the runs' objects leave
behind), the cursors still open and the threads still alive. Linux only (/proc/self/statm).
Run: python bench/memory.py [--runs N] [--warmup N]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

if not __package__:  # run as ``python bench/memory.py``: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.market_data import coverage
from ostdesk.strategies.sma_cross import SmaCross

DAY_NS = 86_400 * 10**9


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def duckdb_cache(db: Database) -> int:
    """Bytes DuckDB holds in its buffer pool and allocators."""
    row = db.connection.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    return int(row[0]) if row else 0


def run_many(db: Database, config: BacktestConfig, n: int) -> None:
    for _ in range(n):
        run = prepare_backtest(db, config)
        run.run()
        if run.status is not RunStatus.COMPLETED:
            raise SystemExit(f"run {run.recording.run_id} ended {run.status.value}: {run.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Database.open(Path(tmp) / "m.duckdb") as db:
        symbol = install_demo_data(db)[0]
        first, _, _ = coverage(db, None, BarPeriod.MINUTE)[symbol]
        config = BacktestConfig(
            strategy=SmaCross,
            symbols=(symbol,),
            period=BarPeriod.MINUTE,
            start_ns=first,
            end_ns=first + 2 * DAY_NS,
        )
        run_many(db, config, args.warmup)
        tracemalloc.start()
        gc.collect()
        before, cache_before = rss_bytes(), duckdb_cache(db)
        heap_before = tracemalloc.get_traced_memory()[0]
        threads = threading.active_count()
        t0 = time.perf_counter()
        run_many(db, config, args.runs)
        elapsed = time.perf_counter() - t0
        gc.collect()
        after, cache_after = rss_bytes(), duckdb_cache(db)
        heap_after = tracemalloc.get_traced_memory()[0]
        threads = threading.active_count() - threads
        cursors = len(db._cursors)
        limit = db.connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    n = args.runs
    print(
        f"{n:,} recorded runs of 780 bars after {args.warmup} warm-up runs "
        f"({elapsed / n * 1000:.1f} ms a run); DuckDB memory_limit {limit}"
    )
    print(f"{'':<22}{'after warm-up':>14}{'at the end':>13}{'per run':>12}")
    for name, a, b in (
        ("resident set (RSS)", before, after),
        ("DuckDB buffer pool", cache_before, cache_after),
        ("RSS less the pool", before - cache_before, after - cache_after),
        ("Python heap", heap_before, heap_after),
    ):
        print(f"{name:<22}{a / 2**20:>11.1f} MB{b / 2**20:>10.1f} MB{(b - a) / n / 1024:>9.2f} KB")
    print(f"cursors still open: {cursors}; threads left: {threads}")


if __name__ == "__main__":
    main()
