"""Store throughput (issue 3).

(a) import of a 1,000,000-row minute-bar CSV into a fresh database (target < 3 s);
(b) streaming 1,000,000 stored bars through HistoricalDatafeed into BarReceived events with no
    subscribers (target >= 500,000 bars/s).
The CSV is generated here (seeded numpy random walk, written by DuckDB) in a temp folder.

Run: python bench/store.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

from ostdesk.engine.bus import EventBus
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.events import BarPeriod
from ostdesk.store import Database, bar_chunks, count_bars, import_bars


def write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    start = np.datetime64("2015-01-01T00:00", "m")
    ts = (start + np.arange(rows).astype("timedelta64[m]")).astype("datetime64[us]")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, rows)))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, 5e-4, rows)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, 5e-4, rows)))
    bars = {
        "timestamp": ts,
        "open": open_.round(5),
        "high": np.ceil(high * 1e5) / 1e5,
        "low": np.floor(low * 1e5) / 1e5,
        "close": close.round(5),
        "volume": rng.integers(1, 1000, rows),
    }
    con = duckdb.connect()
    con.register("bars", bars)
    con.execute(
        "COPY (SELECT strftime(timestamp, '%Y-%m-%d %H:%M:%S') AS timestamp, open, high, low, "
        f"close, volume FROM bars) TO '{path}' (HEADER, DELIMITER ',')"
    )
    con.close()


def bench_import(csv: Path, folder: Path, run: int) -> tuple[float, Path]:
    db_path = folder / f"import-{run}.duckdb"
    with Database.open(db_path) as db:
        t0 = time.perf_counter()
        result = import_bars(db, csv, symbol="BENCH", period="minute")
        elapsed = time.perf_counter() - t0
    assert result.rows > 0
    return elapsed, db_path


def bench_stream(db_path: Path) -> float:
    with Database.open(db_path) as db:
        total = count_bars(db, ["BENCH"], BarPeriod.MINUTE)
        bus = EventBus()
        chunks = bar_chunks(db, ["BENCH"], BarPeriod.MINUTE)
        feed = HistoricalDatafeed(bus, ["BENCH"], BarPeriod.MINUTE, chunks, total)
        t0 = time.perf_counter()
        feed.start()
        feed.join()
        elapsed = time.perf_counter() - t0
    assert feed.error is None and feed.bars_published == total
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ostdesk-bench-") as tmp:
        folder = Path(tmp)
        csv = folder / "bars.csv"
        t0 = time.perf_counter()
        write_csv(csv, args.rows)
        print(
            f"wrote {args.rows:,} rows ({csv.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        imports, rates = [], []
        for run in range(args.repeat):
            elapsed, db_path = bench_import(csv, folder, run)
            imports.append(elapsed)
            rates.append(bench_stream(db_path))
    rows = [
        (f"import {args.rows:,}-row CSV (s)", statistics.median(imports), min(imports), "< 3 s"),
        ("stream bars -> BarReceived (bars/s)", statistics.median(rates), max(rates), ">= 500,000"),
    ]
    print(f"\n{'figure':<40}{'median':>14}{'best':>14}  target   ({args.repeat} runs)")
    for name, median, best, target in rows:
        fmt = "{:>14,.2f}" if median < 100 else "{:>14,.0f}"
        print(f"{name:<40}{fmt.format(median)}{fmt.format(best)}  {target}")


if __name__ == "__main__":
    main()
