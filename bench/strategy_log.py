"""What ``self.log`` on every bar costs (issue 18): workload (a), 1 symbol x 200,000 minute
bars, SMA(10)/SMA(30) crossover, run through ``prepare_backtest`` as ``ostdesk backtest`` does,
the strategy silent or logging one line per bar, recorded, with and without the CLI's echo (to
``/dev/null``: the figure is ostdesk's, not a terminal's).

Run: python bench/strategy_log.py [--workload DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

if not __package__:  # run as ``python bench/strategy_log.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload
from bench.recorder import load_into
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import run_log_count
from ostdesk.strategies.sma_cross import SmaCross


class LoggingSmaCross(SmaCross):
    """SmaCross saying something on every bar."""

    def on_bar(self, bar: BarReceived) -> None:
        self.log(f"close {bar.close:.5f}")
        super().on_bar(bar)


def timed(
    db: Database, symbols: tuple[str, ...], strategy: type[SmaCross], echo: TextIO | None
) -> float:
    config = BacktestConfig(
        strategy=strategy, symbols=symbols, period=BarPeriod.MINUTE, params={"fast": 10, "slow": 30}
    )
    run = prepare_backtest(db, config, echo_log=echo)
    t0 = time.perf_counter()
    run.run()
    elapsed = time.perf_counter() - t0
    assert run.status is RunStatus.COMPLETED, run.error
    if strategy is LoggingSmaCross:
        assert run_log_count(db, run.recording.run_id) == run.bars_processed
    return run.bars_processed / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--workload", type=Path, default=Path(__file__).resolve().parent.parent / "workload"
    )
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ensure_workload(args.workload)
    cases = (
        ("silent, recorded", SmaCross, False),
        ("logs every bar, recorded", LoggingSmaCross, False),
        ("logs every bar, recorded + echo", LoggingSmaCross, True),
    )
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as devnull:
        db = Database.open(Path(tmp) / "bench.duckdb")
        symbols = load_into(db, args.workload / "a.npz")
        rates: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        for _ in range(args.repeat):  # alternated: the host's drift hits every case alike
            for label, strategy, echo in cases:
                rates[label].append(timed(db, symbols, strategy, devnull if echo else None))
        db.close()
    base = statistics.median(rates[cases[0][0]])
    print(
        f"{'(a) 1 sym x 200,000':<34}{'bars/s median':>14}{'min':>10}{'max':>10}{'vs silent':>10}"
    )
    for label, values in rates.items():
        median = statistics.median(values)
        print(
            f"{label:<34}{median:>14,.0f}{min(values):>10,.0f}{max(values):>10,.0f}"
            f"{median / base:>10.2f}"
        )


if __name__ == "__main__":
    main()
