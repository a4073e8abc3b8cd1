"""Builds a backtest over stored market data: the one composition used by the CLI and the GUI.

It checks everything a user can get wrong (unknown symbol, empty date range, bad parameters)
in the caller's thread, before any engine thread starts, so each mistake is one clear message.
"""

from __future__ import annotations

from collections.abc import Sequence

from ostdesk.engine.runner import BacktestConfig, BacktestRun, SubscriberFactory
from ostdesk.store.database import Database
from ostdesk.store.market_data import bar_chunks, count_bars


def prepare_backtest(
    db: Database, config: BacktestConfig, *, subscribers: Sequence[SubscriberFactory] = ()
) -> BacktestRun:
    """A ready-to-start run over the stored bars of ``config`` (not started).

    Raises ``UnknownSymbolError`` or ``StoreError`` (empty range) before anything starts.
    """
    total = count_bars(db, config.symbols, config.period, config.start_ns, config.end_ns)
    chunks = bar_chunks(db, config.symbols, config.period, config.start_ns, config.end_ns)
    return BacktestRun(config, chunks, total, subscribers=subscribers)
