"""Recorder figures (issue 5): its overhead on the backtest workloads, listing 10,000 runs,
and loading one symbol's 1,000,000 recorded bars as numpy arrays.

The workloads (../shared/bench/gen_workload.py) are put into a temp DuckDB market-data store
and run through ``prepare_backtest``, exactly as ``ostdesk backtest`` does, with the recorder
off and on. Run: python bench/recorder.py [--workload DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if not __package__:  # run as ``python bench/recorder.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload, load
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import list_runs, run_bars
from ostdesk.strategies.sma_cross import SmaCross


def load_into(db: Database, npz: Path) -> tuple[str, ...]:
    symbols, chunk = load(npz)  # the same flattening the engine benchmark feeds
    frame = {
        "symbol": np.array(symbols, dtype=object)[chunk.symbol_index],
        "period": np.full(len(chunk.ts), "minute", dtype=object),
        "ts_event_ns": chunk.ts,
        "open": chunk.open,
        "high": chunk.high,
        "low": chunk.low,
        "close": chunk.close,
        "volume": chunk.volume,
    }
    con = db.cursor()
    con.register("frame", frame)
    con.execute("INSERT INTO bars SELECT * FROM frame").fetchall()
    con.unregister("frame")
    con.executemany(
        "INSERT INTO instruments (symbol) VALUES (?) ON CONFLICT DO NOTHING", [[s] for s in symbols]
    )
    con.close()
    return tuple(symbols)


def timed_run(db: Database, symbols: tuple[str, ...], record: bool) -> tuple[float, float]:
    config = BacktestConfig(
        strategy=SmaCross, symbols=symbols, period=BarPeriod.MINUTE, params={"fast": 10, "slow": 30}
    )
    run = prepare_backtest(db, config, record=record)
    t0 = time.perf_counter()
    run.run()
    total = time.perf_counter() - t0
    return run.bars_processed / total, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--workload", type=Path, default=Path(__file__).resolve().parent.parent / "workload"
    )
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ensure_workload(args.workload)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "bench.duckdb")
        print(
            f"{'workload':<24}{'recorder off bars/s':>21}{'recorder on bars/s':>20}{'overhead':>10}"
        )
        for name, label in (("a", "(a) 1 sym x 200,000"), ("b", "(b) 10 sym x 20,000")):
            db.close()  # both workloads name their symbols SYM00...: one database each
            db = Database.open(Path(tmp) / f"bench-{name}.duckdb")
            symbols = load_into(db, args.workload / f"{name}.npz")
            off, on = [], []
            for _ in range(args.repeat):  # alternated: the host's drift hits both alike
                off.append(timed_run(db, symbols, False))
                on.append(timed_run(db, symbols, True))
            t_off = statistics.median(t for _, t in off)
            t_on = statistics.median(t for _, t in on)
            print(
                f"{label:<24}{statistics.median(r for r, _ in off):>21,.0f}"
                f"{statistics.median(r for r, _ in on):>20,.0f}"
                f"{(t_on / t_off - 1) * 100:>9.1f}%"
            )
        print(
            "(overhead = run time with the recorder / without, minus 1; includes the final"
            " statistics)"
        )

        # 10,000 runs with stats
        con = db.connection
        con.execute("""
            INSERT INTO runs (name, strategy, params, symbols, period, capital, commission,
                              slippage_ticks, app_version, data_fingerprint, status, started_at,
                              ended_at, bars, equity_final, return_pct, cagr_pct, sharpe,
                              max_drawdown_pct, trades, win_rate_pct, profit_factor)
            SELECT 'run ' || i, 'SmaCross', '{"fast": 10, "slow": 30}', ['SYM00'], 'minute',
                   100000, 'none', 0, '0.1.0', 'x', 'completed', now()::TIMESTAMP,
                   now()::TIMESTAMP, 200000, 100000 + i, i / 100, i / 200, 1.0, -5.0, 100,
                   50.0, 1.2
            FROM range(10000) t(i)""")
        n_runs = con.execute("SELECT count(*) FROM runs").fetchone()
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            listed = list_runs(db)
            times.append(time.perf_counter() - t0)
        assert len(listed["run_id"]) == (n_runs[0] if n_runs else 0)
        print(
            f"list {len(listed['run_id']):,} runs with headline stats: "
            f"{statistics.median(times) * 1000:.1f} ms median (target <= 100 ms)"
        )

        # 1,000,000 recorded bars of one symbol
        run_id = 999_999
        con.execute(
            """INSERT INTO run_bars SELECT ?, 1700000000000000000 + i * 60000000000,
                       'SYM00', 100 + i % 7, 101 + i % 7, 99 + i % 7, 100.5 + i % 7, 1000
                       FROM range(1000000) t(i)""",
            [run_id],
        )
        con.execute("CHECKPOINT")
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            bars = run_bars(db, run_id, "SYM00")
            times.append(time.perf_counter() - t0)
        assert len(bars["ts"]) == 1_000_000
        print(
            f"load 1,000,000 recorded bars of one symbol as numpy: "
            f"{statistics.median(times) * 1000:.1f} ms median (target <= 200 ms)"
        )
        db.close()


if __name__ == "__main__":
    main()
