"""Backtests end to end: determinism, cancellation, and trade-for-trade agreement with
backtesting.py on real GOOG data."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import chunk_from_frame, goog, random_walk_chunk


def _fills(run: BacktestRun) -> list[tuple[int, str, int, float, float]]:
    assert run.broker is not None
    return [(f.ts_event_ns, f.symbol, f.side.value, f.quantity, f.price) for f in run.broker.fills]


def test_the_same_backtest_twice_gives_identical_fills() -> None:
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("S0", "S1", "S2"),
        period=BarPeriod.MINUTE,
        params={"fast": 5, "slow": 20},
    )
    results = []
    for _ in range(3):
        chunk = random_walk_chunk(3, 3000, seed=7)
        results.append(_fills(BacktestRun(config, [chunk], len(chunk)).run()))
    assert len(results[0]) > 50
    assert results[0] == results[1] == results[2]


def test_cancel_stops_the_run_and_joins_every_thread() -> None:
    chunk = random_walk_chunk(1, 200_000)
    config = BacktestConfig(strategy=SmaCross, symbols=("S0",), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk))
    started = threading.Event()
    run.start()
    while run.bars_processed < 1000 and not run.done:
        started.wait(0.005)
    run.cancel()
    assert run.wait(timeout=5)
    assert run.status is RunStatus.CANCELLED
    assert 0 < run.bars_processed < 200_000
    assert 0 < run.progress < 1


def test_a_held_run_publishes_nothing_until_released_and_its_hold_is_not_elapsed() -> None:
    chunk = random_walk_chunk(2, 500)
    config = BacktestConfig(strategy=SmaCross, symbols=("S0", "S1"), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk))
    run.start(hold=True)
    assert run.host is not None and run.broker is not None  # built, waiting
    assert not run.wait(timeout=0.2)
    assert run.bars_processed == 0
    run.release()
    assert run.wait(timeout=30)
    assert run.status is RunStatus.COMPLETED and run.bars_processed == 1_000
    assert run.held_for >= 0.2
    assert run.elapsed <= run.ended_at - run.started_at - run.held_for + 1e-9


def test_cancelling_a_held_run_ends_it_cancelled_without_a_bar() -> None:
    chunk = random_walk_chunk(1, 500)
    config = BacktestConfig(strategy=SmaCross, symbols=("S0",), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk))
    run.start(hold=True)
    run.cancel()
    assert run.wait(timeout=5)
    assert run.status is RunStatus.CANCELLED
    assert run.bars_processed == 0


class _SetupRaises(SmaCross):
    def setup(self) -> None:
        raise ValueError("no data for my indicator")


def test_a_strategy_whose_setup_raises_ends_the_run_failed_and_joins_every_thread() -> None:
    chunk = random_walk_chunk(1, 500)
    config = BacktestConfig(strategy=_SetupRaises, symbols=("S0",), period=BarPeriod.MINUTE)
    before = {t.name for t in threading.enumerate()}
    run = BacktestRun(config, [chunk], len(chunk))
    run.start(hold=True)  # setup() fails while held: the run ends without a release
    assert run.wait(timeout=5)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "no data for my indicator" in run.error.traceback
    assert run.bars_processed == 0 and run.elapsed >= 0
    assert {t.name for t in threading.enumerate()} - before == set()


def test_bad_parameters_fail_before_any_thread_starts() -> None:
    before = threading.active_count()
    config = BacktestConfig(
        strategy=SmaCross, symbols=("S0",), period=BarPeriod.MINUTE, params={"fast": 50, "slow": 10}
    )
    with pytest.raises(ValueError, match="fast \\(50\\) must be shorter than slow \\(10\\)"):
        BacktestRun(config, [], 0)
    assert threading.active_count() == before


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore:.*dayofweek.*")
def test_sma_crossover_trades_match_backtesting_py_on_goog() -> None:
    """Same rules (1 unit, long/flat, next-open fills, no commission) -> the same trades."""
    from backtesting import Backtest
    from backtesting import Strategy as BtStrategy
    from backtesting.lib import crossover
    from backtesting.test import SMA as bt_sma

    fast_n, slow_n = 10, 30

    class BtSmaCross(BtStrategy):
        def init(self) -> None:
            self.fast = self.I(bt_sma, self.data.Close, fast_n)
            self.slow = self.I(bt_sma, self.data.Close, slow_n)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                if not self.position:
                    self.buy(size=1)
            elif crossover(self.slow, self.fast):
                self.position.close()

    df = goog()
    stats = Backtest(df, BtSmaCross, cash=100_000, commission=0).run()
    theirs = stats._trades.sort_values("EntryTime")

    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("GOOG",),
        period=BarPeriod.DAY,
        params={"fast": fast_n, "slow": slow_n},
    )
    chunk = chunk_from_frame(df)
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED
    fills = run.broker.fills if run.broker else []
    entries = fills[0::2]
    exits = fills[1::2]
    closed = min(len(entries), len(exits))
    bt_closed = theirs[theirs["ExitTime"].notna()] if "ExitTime" in theirs else theirs
    assert closed == len(bt_closed) > 10
    ns = lambda t: int(np.datetime64(t, "ns").astype(np.int64))  # noqa: E731
    for entry, exit_, (_, row) in zip(entries, exits, bt_closed.iterrows(), strict=False):
        assert entry.ts_event_ns == ns(row["EntryTime"])
        assert exit_.ts_event_ns == ns(row["ExitTime"])
        assert entry.price == pytest.approx(row["EntryPrice"], rel=1e-12)
        assert exit_.price == pytest.approx(row["ExitPrice"], rel=1e-12)
        assert exit_.price - entry.price == pytest.approx(row["PnL"], rel=1e-9, abs=1e-9)


def _reference_crossover_fills(
    close: np.ndarray, open_: np.ndarray, fast: int, slow: int
) -> list[tuple[int, float]]:
    """Long/flat SMA crossover with next-open fills, written independently with numpy."""
    f = np.convolve(close, np.ones(fast) / fast, "valid")[slow - fast :]
    s = np.convolve(close, np.ones(slow) / slow, "valid")
    diff = f - s
    fills: list[tuple[int, float]] = []
    long = False
    for k in range(1, len(diff)):
        bar = k + slow - 1
        if bar + 1 >= len(close):
            break
        if diff[k - 1] <= 0 < diff[k] and not long:
            fills.append((bar + 1, float(open_[bar + 1])))
            long = True
        elif diff[k - 1] >= 0 > diff[k] and long:
            fills.append((bar + 1, float(open_[bar + 1])))
            long = False
    return fills


def test_multi_symbol_fills_equal_an_independent_reference() -> None:
    n_sym, n_bars = 8, 2500
    chunk = random_walk_chunk(n_sym, n_bars, seed=3)
    symbols = tuple(f"S{i}" for i in range(n_sym))
    config = BacktestConfig(
        strategy=SmaCross, symbols=symbols, period=BarPeriod.MINUTE, params={"fast": 5, "slow": 15}
    )
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert run.broker is not None
    ts = chunk.ts[::n_sym]
    bar_of = {int(t): i for i, t in enumerate(ts)}
    for i, symbol in enumerate(symbols):
        close, open_ = chunk.close[i::n_sym], chunk.open[i::n_sym]
        expected = _reference_crossover_fills(close, open_, 5, 15)
        ours = [(bar_of[f.ts_event_ns], f.price) for f in run.broker.fills if f.symbol == symbol]
        assert ours == expected, symbol


def test_gc_thresholds_are_raised_during_a_run_and_restored_after() -> None:
    import gc

    from ostdesk.engine import gc_policy

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    chunk = random_walk_chunk(1, 500)
    config = BacktestConfig(strategy=SmaCross, symbols=("S0",), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk))
    run.start()
    seen.append(gc.get_threshold())
    run.wait()
    assert seen == [gc_policy.RUN_THRESHOLDS]
    assert gc.get_threshold() == before
