"""Builds a backtest over stored market data: the one composition used by the CLI and the GUI.

It checks everything a user can get wrong (unknown symbol, empty date range, bad parameters)
in the caller's thread, before any engine thread starts, so each mistake is one clear message.
With ``record`` (the default) the run is recorded in the same database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TextIO

from ostdesk.engine.log_echo import LogEcho
from ostdesk.engine.runner import BacktestConfig, BacktestRun, SubscriberFactory
from ostdesk.store.database import Database
from ostdesk.store.market_data import bar_chunks, count_bars
from ostdesk.store.recorder import RunRecording
from ostdesk.store.runs import data_fingerprint
from ostdesk.store.ticks import tick_sizes


def prepare_backtest(
    db: Database,
    config: BacktestConfig,
    *,
    subscribers: Sequence[SubscriberFactory] = (),
    record: bool = True,
    strategy_source: str = "",
    on_flush: Callable[[int], None] | None = None,
    record_interval: float = 0.25,
    echo_log: TextIO | None = None,
) -> BacktestRun:
    """A ready-to-start run over the stored bars of ``config`` (not started).

    Raises ``UnknownSymbolError`` or ``StoreError`` (empty range) before anything starts.
    When recording, ``run.recording.run_id`` is set as soon as the run starts; the recorder
    commits what it received every ``record_interval`` seconds. With ``echo_log`` (the CLI's
    stderr), each ``self.log`` message is written there as a line while the run goes, all of
    them before the run ends (see ``ostdesk.engine.log_echo``). Slippage is counted in each
    symbol's tick (``ostdesk.store.ticks``) unless ``config.tick_sizes`` names them.
    """
    if not config.tick_sizes:
        config = dataclasses.replace(
            config, tick_sizes=tick_sizes(db, config.symbols, config.period)
        )
    total = count_bars(db, config.symbols, config.period, config.start_ns, config.end_ns)
    chunks = bar_chunks(db, config.symbols, config.period, config.start_ns, config.end_ns)
    factories = list(subscribers)
    if echo_log is not None:
        stream, several = echo_log, len(config.symbols) > 1
        factories.append(lambda bus: LogEcho(bus, stream, with_symbol=several))
    recording: RunRecording | None = None
    if record:
        fingerprint = data_fingerprint(
            db, config.symbols, config.period, config.start_ns, config.end_ns
        )
        recording = RunRecording(
            db,
            config,
            fingerprint=fingerprint,
            strategy_source=strategy_source,
            interval=record_interval,
            on_flush=on_flush,
        )
        factories.append(recording.attach)
    run = BacktestRun(config, chunks, total, subscribers=factories)
    run.recording = recording
    if recording is not None:
        run.add_done_listener(recording.finish)
    return run
