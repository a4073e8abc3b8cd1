"""One trial of a study, run where the bars already are (a worker process, a Ray task): the
strategy headless on the synchronous executor, nothing recorded, its statistics computed in
memory.

The statistics are those a recorded run of the same parameters gets, by the same code path:
:class:`TrialStats` keeps the bar and fill columns the run recorder would have written
(``record_inserts``' own conversion of the same events) and the indicator warm-up, and the
results are ``run_results.compute_results`` of them, as ``RunRecorder.results`` computes.
A trial that runs past ``StudySpec.trial_timeout_s`` is cancelled (strategy code is
interrupted) and ends ``timeout``; a strategy that raises or exits ends it ``failed``.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.bar_tape import BarTape
from ostdesk.engine.bus import EventBus
from ostdesk.engine.commission import parse_commission
from ostdesk.engine.events import BarBlock, BarPeriod, EventBase, FillEvent, IndicatorBlock
from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.strategy import Strategy
from ostdesk.engine.subscriber import Subscriber
from ostdesk.research.spec import StudySpec, TrialResult, TrialStatus, no_returns
from ostdesk.store.record_inserts import (
    MARKET_COLUMNS,
    TABLES,
    batch_inserts,
    column,
    market_columns,
)
from ostdesk.store.run_results import compute_results, split_market
from ostdesk.store.stats import _period, _period_returns, stats_to_record
from ostdesk.store.warmup import WarmUp

STOP_GRACE_S = 2.0
"""After a timed-out trial is cancelled, how long its run may take to end; one that does not
(strategy code blocked in a C call) leaves its worker unusable, and the worker retires."""


@dataclasses.dataclass(frozen=True)
class StudyData:
    """What every trial of a study reads, sent to each worker once: the spec, the bars (as the
    datafeed takes them) and the symbols' tick sizes."""

    spec: StudySpec
    chunks: tuple[BarChunk, ...]
    total_bars: int
    tick_sizes: Mapping[str, float]


class TrialStats(Subscriber):
    """Keeps what a run's statistics are computed from, as the run recorder keeps it, and
    nothing else. On the synchronous executor it is called on the run's thread (no thread of
    its own): a trial starts one thread, the runner's."""

    def __init__(self, bus: EventBus) -> None:
        self._bars: list[BarBlock] = []
        self._fills: list[FillEvent] = []
        self._warmup = WarmUp()
        self.returns = no_returns()  # per period, as the Sharpe ratio's (set by record)
        self._handlers = {
            BarBlock: self._bars.append,
            FillEvent: self._fills.append,
            IndicatorBlock: self._warmup.add,
        }
        super().__init__(bus, name="trial-stats")
        self._subscribe(BarBlock, IndicatorBlock, FillEvent)

    def record(self, capital: float) -> dict[str, float | None] | None:
        """The run's statistics as ``stats_to_record`` stores them (None without bars); its
        per-period returns are kept in ``returns``."""
        if not self._bars:
            return None
        families: dict[type[EventBase], list[Any]] = {FillEvent: self._fills} if self._fills else {}
        bar_columns, fill_columns = market_columns(
            batch_inserts(list(self._fills), self._bars, [], families)
        )
        b = {k: np.concatenate([c[k] for c in bar_columns]) for k in MARKET_COLUMNS}
        market = split_market(
            b["ts"], b["symbol_index"], self._bars[0].symbols, b["high"], b["low"], b["close"]
        )
        names, codes = TABLES["run_fills"]
        parts = fill_columns or [{n: column([], c) for n, c in zip(names, codes, strict=True)}]
        fills = {k: np.concatenate([p[k] for p in parts]) for k in names}
        with np.errstate(all="ignore"):
            results = compute_results(market, fills, capital, self._warmup.end_ns)
            if results is None:
                return None
            equity = results[0]
            d = _period_returns(equity.ts, equity.equity, _period(equity.ts))
            self.returns = np.ascontiguousarray(d, dtype=np.float64)
        return stats_to_record(results[2])


_tape: tuple[StudyData, BarTape] | None = None
"""This process's last study and its bars as a tape, kept for its next trial."""


def bars_of(data: StudyData) -> Iterable[BarChunk] | BarTape:
    """What a trial of ``data`` replays: its bars as a tape, built at this process's first
    trial of the study and replayed by the next ones (a worker runs one study's trials, so
    every trial after the first builds no bar event); its chunks when a tape would hold more
    than a worker should keep (``BarTape.fits``)."""
    global _tape
    if not BarTape.fits(data.total_bars):
        return iter(data.chunks)
    if _tape is None or _tape[0] is not data:
        _tape = None  # the last study's tape is freed before the next is built
        _tape = (data, BarTape(data.spec.symbols, BarPeriod.parse(data.spec.period), data.chunks))
    return _tape[1]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def config_for(
    spec: StudySpec,
    strategy: type[Strategy],
    params: Mapping[str, Any],
    tick_sizes: Mapping[str, float],
) -> BacktestConfig:
    """The backtest of one trial: the spec's data and account with ``params`` over the fixed
    ones, on the synchronous executor (a recorded re-run of the trial replaces only that)."""
    return BacktestConfig(
        strategy=strategy,
        symbols=spec.symbols,
        period=BarPeriod.parse(spec.period),
        params={**spec.fixed, **params},
        start_ns=spec.start_ns,
        end_ns=spec.end_ns,
        capital=spec.capital,
        commission=parse_commission(spec.commission),
        slippage_ticks=spec.slippage_ticks,
        max_leverage=spec.max_leverage,
        tick_sizes=dict(tick_sizes),
        executor="sync",
    )


def rerun_config(
    spec: StudySpec,
    strategy: type[Strategy],
    number: int,
    params: Mapping[str, Any],
    study_id: int | None = None,
) -> BacktestConfig:
    """Trial ``number``'s backtest to record as a run (``ostdesk study N --rerun`` and the
    window's double-click): its stored ``params`` validated again (``KeyError`` or
    ``ParamError`` if the strategy no longer takes them), on the threaded executor the window
    runs, named for the trial; its statistics are the trial's."""
    values = {k: strategy.params[k].validate(v) for k, v in params.items()}
    name = f"study {study_id} trial {number}" if study_id is not None else f"trial {number}"
    config = config_for(spec, strategy, values, {})
    return dataclasses.replace(config, executor="threaded", name=name)


def run_trial(
    data: StudyData, strategy: type[Strategy], number: int, params: dict[str, Any]
) -> tuple[TrialResult, bool]:
    """Run trial ``number``; the result, and whether this process can run another (False
    after a trial whose strategy code could not be stopped)."""
    spec = data.spec
    started = time.perf_counter()
    result = TrialResult(number, params, TrialStatus.FAILED, worker=worker_name())
    usable = True
    collectors: list[TrialStats] = []

    def attach(bus: EventBus) -> TrialStats:
        collectors.append(TrialStats(bus))
        return collectors[-1]

    try:
        config = config_for(spec, strategy, params, data.tick_sizes)
        run = BacktestRun(config, bars_of(data), data.total_bars, subscribers=[attach])
    except ParamError as exc:
        result.status, result.error = TrialStatus.PRUNED, str(exc)
        return result, usable
    run.start()
    if not run.wait(spec.trial_timeout_s):
        run.cancel()
        usable = run.wait(STOP_GRACE_S)
        result.status = TrialStatus.TIMEOUT
        result.error = f"stopped after the per-trial limit of {spec.trial_timeout_s:g} s"
    elif run.status is RunStatus.COMPLETED:
        try:
            stats = collectors[0].record(spec.capital)
        except Exception as exc:
            result.error = f"its statistics could not be computed: {exc}"
        else:
            if stats is None:
                result.error = "it had no bars"
            else:
                result.status, result.stats = TrialStatus.COMPLETED, stats
                result.returns = collectors[0].returns
    else:
        error = run.error
        result.error = (
            f"{error.component}: {error.message}" if error is not None else run.status.value
        )
    result.duration_s = time.perf_counter() - started
    return result, usable


def load_strategy(name: str, source: str) -> type[Strategy]:
    """The strategy class a spec names: a built-in, or one in the file ``source``."""
    from pathlib import Path

    from ostdesk.engine.strategy_loader import load_file, load_strategies

    if source == "built-in":
        return load_strategies().get(name)
    for cls in load_file(Path(source)):
        if cls.__name__ == name:
            return cls
    raise KeyError(f"strategy {name!r} is no longer in {source}")
