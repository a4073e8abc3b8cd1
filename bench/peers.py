"""ostdesk against its peers on the issue's workloads (issue 21), alternated in one invocation.

SMA(10)/SMA(30) crossover on the close, long 1 unit on a cross above, flat on a cross below,
market orders filled at the next bar's open, no commission, 100,000 of capital. Workloads from
``../shared/bench/gen_workload.py``: (a) 1 symbol x 200,000 minute bars, (b) 10 symbols x 20,000
(backtesting.py trades one symbol a run: it runs 10 times, and its figures add up the 10).

Rows:
- a plain Python loop with the same rules: the interpreter's limit for this strategy;
- backtesting.py 0.6.6 (``Backtest(...).run()``, its data frame built beforehand);
- ostdesk as ``ostdesk backtest`` and the window run it: bars stored in a real DuckDB file in a
  temp dir, ``prepare_backtest`` then ``run()``, timed from ``prepare_backtest`` to the run's
  end (the recorder's last commit included): the threaded engine headless (recorder off) and
  recorder on, and the synchronous executor (``BacktestConfig.executor``) headless and recorder
  on (``ostdesk backtest --fast``).

Each repeat runs every row once, in turn, so the machine's noise falls on all of them alike;
the table shows medians. ``ratio`` is bars/s over backtesting.py's, ``of limit`` over the plain
loop's (the share of the interpreter's limit reached); ``trades`` is closed round
trips plus positions still open at the end, ``P&L`` the final equity minus the capital (open
positions at the last close), so equal results are visible at a glance.

Run: python bench/peers.py [--workload DIR] [--repeat N] [--only a|b]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar: at its best, silent

if not __package__:  # run as ``python bench/peers.py``: make its sibling importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.backtest import ensure_workload, load
from bench.recorder import load_into
from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.sma_cross import SmaCross

FAST, SLOW, CAPITAL = 10, 30, 100_000.0
BASE = "backtesting.py 0.6.6"
LIMIT = "plain Python loop (limit)"


@dataclass(frozen=True)
class Outcome:
    """One run of one row: how long it took and what it traded."""

    seconds: float
    trades: int
    pnl: float


@dataclass(frozen=True)
class Workload:
    name: str
    label: str
    symbols: tuple[str, ...]
    chunk: BarChunk
    frames: tuple[pd.DataFrame, ...]  # one OHLCV frame per symbol, for backtesting.py

    @property
    def bars(self) -> int:
        return len(self.chunk)


Row = Callable[[Workload], Outcome]


# -- the plain Python loop -------------------------------------------------------------------


def plain_loop(w: Workload) -> Outcome:
    """The strategy as one loop over the bars in time order, per-symbol state in lists."""
    chunk = w.chunk
    n_sym = len(w.symbols)
    t0 = time.perf_counter()
    rows = zip(chunk.symbol_index.tolist(), chunk.open.tolist(), chunk.close.tolist(), strict=True)
    windows = [[0.0] * SLOW for _ in range(n_sym)]
    seen = [0] * n_sym
    fast_sum = [0.0] * n_sym
    slow_sum = [0.0] * n_sym
    prev_diff = [np.nan] * n_sym  # fast - slow at the previous bar
    held = [0.0] * n_sym
    entry = [0.0] * n_sym
    pending = [0] * n_sym  # +1 buy, -1 sell at this symbol's next open
    last = [np.nan] * n_sym
    realized, trades = 0.0, 0
    for s, o, c in rows:
        order = pending[s]
        if order:
            pending[s] = 0
            if order > 0:
                held[s], entry[s] = 1.0, o
            else:
                realized += o - entry[s]
                held[s] = 0.0
                trades += 1
        k = seen[s]
        window = windows[s]
        fast_sum[s] += c - window[(k - FAST) % SLOW] if k >= FAST else c
        slow_sum[s] += c - window[k % SLOW] if k >= SLOW else c
        window[k % SLOW] = c
        seen[s] = k = k + 1
        last[s] = c
        if k < SLOW:
            continue
        diff = fast_sum[s] / FAST - slow_sum[s] / SLOW
        before = prev_diff[s]
        prev_diff[s] = diff
        if before <= 0 < diff:
            if not held[s]:
                pending[s] = 1
        elif before >= 0 > diff and held[s]:
            pending[s] = -1
    elapsed = time.perf_counter() - t0
    still_open = sum(1 for h in held if h)
    unrealized = sum(last[s] - entry[s] for s in range(n_sym) if held[s])
    return Outcome(elapsed, trades + still_open, realized + unrealized)


# -- backtesting.py --------------------------------------------------------------------------


def backtesting_py(w: Workload) -> Outcome:
    from backtesting import Backtest
    from backtesting import Strategy as BtStrategy
    from backtesting.test import SMA as bt_sma

    class BtSmaCross(BtStrategy):  # ostdesk.strategies.sma_cross.SmaCross with size=1
        def init(self) -> None:
            self.fast_ma = self.I(bt_sma, self.data.Close, FAST)
            self.slow_ma = self.I(bt_sma, self.data.Close, SLOW)

        def next(self) -> None:
            fast, slow = self.fast_ma, self.slow_ma
            fast_before, slow_before, fast_now, slow_now = fast[-2], slow[-2], fast[-1], slow[-1]
            if fast_before <= slow_before and fast_now > slow_now:
                if not self.position:
                    self.buy(size=1)
            elif fast_before >= slow_before and fast_now < slow_now:
                self.position.close()

    seconds, trades, pnl = 0.0, 0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open": they do, in every tool
        for frame in w.frames:
            t0 = time.perf_counter()
            stats = Backtest(frame, BtSmaCross, cash=CAPITAL).run()
            seconds += time.perf_counter() - t0
            trades += len(stats["_trades"]) + (1 if stats["_strategy"].position else 0)
            pnl += float(stats["Equity Final [$]"]) - CAPITAL
    return Outcome(seconds, trades, pnl)


# -- ostdesk ---------------------------------------------------------------------------------


def ostdesk_row(db: Database, *, record: bool, executor: str = "threaded") -> Row:
    """ostdesk as the CLI and the window run it, with ``executor`` (``BacktestConfig``'s:
    "threaded", as the window runs, or "sync", the one thread of sweeps and ``--fast``)."""

    def run(w: Workload) -> Outcome:
        config = BacktestConfig(
            strategy=SmaCross,
            symbols=w.symbols,
            period=BarPeriod.MINUTE,
            params={"fast": FAST, "slow": SLOW, "size": 1.0},
            capital=CAPITAL,
            executor=executor,
        )
        t0 = time.perf_counter()
        backtest = prepare_backtest(db, config, record=record)
        backtest.run()
        seconds = time.perf_counter() - t0
        assert backtest.status.value == "completed", backtest.error
        assert backtest.broker is not None and backtest.host is not None
        positions = backtest.host.portfolio.positions.values()
        still_open = sum(1 for p in positions if p.quantity)
        closed = (len(backtest.broker.fills) - still_open) // 2
        return Outcome(seconds, closed + still_open, backtest.host.portfolio.equity - CAPITAL)

    return run


# -- the table -------------------------------------------------------------------------------


def workload(folder: Path, name: str, label: str) -> Workload:
    symbols, chunk = load(folder / f"{name}.npz")
    frames = []
    for i in range(len(symbols)):
        rows = chunk.symbol_index == i
        frames.append(
            pd.DataFrame(
                {
                    "Open": chunk.open[rows],
                    "High": chunk.high[rows],
                    "Low": chunk.low[rows],
                    "Close": chunk.close[rows],
                    "Volume": chunk.volume[rows],
                },
                index=pd.to_datetime(chunk.ts[rows], unit="ns"),
            )
        )
    return Workload(name, label, symbols, chunk, tuple(frames))


def rows_for(db: Database) -> dict[str, Row]:
    return {
        LIMIT: plain_loop,
        BASE: backtesting_py,
        "ostdesk threaded, headless": ostdesk_row(db, record=False),
        "ostdesk threaded, recorder on": ostdesk_row(db, record=True),
        "ostdesk sync, headless": ostdesk_row(db, record=False, executor="sync"),
        "ostdesk sync, recorder on": ostdesk_row(db, record=True, executor="sync"),
    }


def report(w: Workload, repeat: int, rows: dict[str, Row]) -> None:
    """Run every row ``repeat`` times, alternated, and print their medians."""
    results: dict[str, list[Outcome]] = {label: [] for label in rows}
    for _ in range(repeat):
        for label, row in rows.items():
            results[label].append(row(w))
    rate = {k: w.bars / statistics.median(o.seconds for o in v) for k, v in results.items()}
    for label, outcomes in results.items():
        last = outcomes[-1]
        print(
            f"{label:<32}{w.label:<22}{rate[label]:>11,.0f}{rate[label] / rate[BASE]:>7.2f}x"
            f"{rate[label] / rate[LIMIT]:>9.1%}{last.trades:>8,}{last.pnl:>16.6f}"
        )


WORKLOADS = {"a": "(a) 1 sym x 200,000", "b": "(b) 10 sym x 20,000"}


def workload_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every workload bench takes: where the workload is, and the repeats."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--workload", type=Path, default=Path(__file__).resolve().parent.parent / "workload"
    )
    ap.add_argument("--repeat", type=int, default=3)
    return ap


def main() -> None:
    ap = workload_parser(__doc__)
    ap.add_argument("--only", choices=["a", "b"], help="one workload only")
    args = ap.parse_args()
    ensure_workload(args.workload)
    chosen = {n: label for n, label in WORKLOADS.items() if args.only in (None, n)}
    loads = [workload(args.workload, n, label) for n, label in chosen.items()]
    print(
        f"{'bars/s, median of ' + str(args.repeat):<32}{'workload':<22}"
        f"{'bars/s':>11}{'ratio':>8}{'of limit':>9}{'trades':>8}{'final P&L':>16}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for w in loads:  # one store per workload: both name their symbols SYM00, SYM01, ...
            db = Database.open(Path(tmp) / f"{w.name}.duckdb")
            try:
                load_into(db, args.workload / f"{w.name}.npz")
                report(w, args.repeat, rows_for(db))
            finally:
                db.close()


if __name__ == "__main__":
    main()
