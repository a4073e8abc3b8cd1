"""The synchronous executor: one thread runs every component, and a run fails, cancels and
reports progress exactly as a threaded one does."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading

import pytest

from ostdesk.engine.events import BarPeriod, BarReceived, EventBase, FillEvent
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk


def _config(strategy: type[SmaCross], symbols: int = 1, executor: str = "sync") -> BacktestConfig:
    return BacktestConfig(
        strategy=strategy,
        symbols=tuple(f"S{i}" for i in range(symbols)),
        period=BarPeriod.MINUTE,
        params={"fast": 5, "slow": 20},
        executor=executor,
    )


class _ThreadSpotter(SmaCross):
    """Notes the thread of every callback."""

    threads: set[int]

    def setup(self) -> None:
        super().setup()
        self.threads = set()

    def on_bar(self, bar: BarReceived) -> None:
        self.threads.add(threading.get_ident())
        super().on_bar(bar)

    def on_fill(self, fill: FillEvent) -> None:
        self.threads.add(threading.get_ident())

    def on_order(self, event: EventBase) -> None:
        self.threads.add(threading.get_ident())

    def on_stop(self) -> None:
        self.threads.add(threading.get_ident())


def test_a_sync_run_calls_every_handler_on_one_thread_and_starts_none_per_subscriber() -> None:
    chunk = random_walk_chunk(3, 2000, seed=3)
    run = BacktestRun(_config(_ThreadSpotter, 3), [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED
    assert run.broker is not None and run.host is not None
    assert len(run.broker.fills) > 20  # orders, answers and fills all went through
    assert isinstance(run.strategy, _ThreadSpotter)
    assert len(run.strategy.threads) == 1
    assert run.broker.thread.ident is None and run.host.thread.ident is None  # never started


class _PlacementSpotter(SmaCross):
    """Notes the CPUs and scheduling policy of the thread running strategy code."""

    placement: set[tuple[frozenset[int], int]]

    def setup(self) -> None:
        super().setup()
        self.placement = set()

    def on_bar(self, bar: BarReceived) -> None:
        self.placement.add((frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0)))
        super().on_bar(bar)


def test_a_sync_run_keeps_the_cpus_and_policy_of_the_process_that_runs_it() -> None:
    """Pinning is for the threaded engine beside a window: a sweep's worker processes each run
    synchronous backtests, and pinned to "the engine's CPU" they would all share one core."""
    if not hasattr(os, "SCHED_BATCH"):
        pytest.skip("CPU affinity and scheduling policy are Linux-only")
    chunk = random_walk_chunk(2, 300, seed=3)
    run = BacktestRun(_config(_PlacementSpotter, 2), [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED
    assert isinstance(run.strategy, _PlacementSpotter)
    assert run.strategy.placement == {
        (frozenset(os.sched_getaffinity(0)), os.sched_getscheduler(0))
    }


class _RaisesAtBar(SmaCross):
    def on_bar(self, bar: BarReceived) -> None:
        if self.host.bars_seen == 150:
            raise ValueError("my indicator went wrong")
        super().on_bar(bar)


class _ExitsAtBar(SmaCross):
    def on_bar(self, bar: BarReceived) -> None:
        if self.host.bars_seen == 150:
            sys.exit(3)
        super().on_bar(bar)


@pytest.mark.parametrize("strategy", [_RaisesAtBar, _ExitsAtBar])
def test_strategy_code_that_raises_or_exits_fails_a_sync_run_as_it_fails_a_threaded_one(
    strategy: type[SmaCross],
) -> None:
    chunk = random_walk_chunk(2, 1000, seed=5)
    ends = []
    for executor in ("threaded", "sync"):
        run = BacktestRun(_config(strategy, 2, executor), [chunk], len(chunk)).run()
        assert run.error is not None and run.host is not None
        ends.append((run.status, run.error.component, run.error.message, run.bars_processed))
        assert run.host.failed is not None
    assert ends[0] == ends[1]
    assert ends[1][0] is RunStatus.FAILED and ends[1][3] < 2000


class _EndlessAtBar(SmaCross):
    looping = threading.Event()

    def on_bar(self, bar: BarReceived) -> None:
        if self.host.bars_seen == 100:
            self.looping.set()
            while True:
                pass
        super().on_bar(bar)


def test_a_cancel_interrupts_strategy_code_that_never_returns_in_a_sync_run() -> None:
    chunk = random_walk_chunk(1, 1000)
    run = BacktestRun(_config(_EndlessAtBar), [chunk], len(chunk))
    _EndlessAtBar.looping.clear()
    run.start()
    assert _EndlessAtBar.looping.wait(10)
    run.cancel()
    assert run.wait(timeout=5)
    assert run.status is RunStatus.CANCELLED and run.error is None
    assert run.host is not None and run.host.interrupted
    assert run.bars_processed < 1000


def test_a_sync_run_reports_progress_while_it_goes_and_stops_at_a_cancel() -> None:
    chunk = random_walk_chunk(1, 200_000)
    run = BacktestRun(_config(SmaCross), [chunk], len(chunk))
    seen = threading.Event()
    run.start()
    while run.bars_processed < 1000 and not run.done:
        seen.wait(0.002)
    assert not run.done
    run.cancel()
    assert run.wait(timeout=5)
    assert run.status is RunStatus.CANCELLED
    assert 1000 <= run.bars_processed < 200_000
    assert 0 < run.progress < 1


def test_a_setup_that_raises_fails_a_sync_run_without_a_bar() -> None:
    class SetupRaises(SmaCross):
        def setup(self) -> None:
            raise ValueError("no data for my indicator")

    chunk = random_walk_chunk(1, 500)
    run = BacktestRun(_config(SetupRaises), [chunk], len(chunk)).run()
    assert run.status is RunStatus.FAILED and run.bars_processed == 0
    assert run.error is not None and "no data for my indicator" in run.error.message


def test_an_unknown_executor_is_refused_in_one_line_naming_the_choices() -> None:
    with pytest.raises(ValueError, match=r"^unknown executor 'fast'; use one of threaded, sync$"):
        dataclasses.replace(_config(SmaCross), executor="fast")
