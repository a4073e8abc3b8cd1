"""Everything a run report shows, read from the store in a handful of columnar queries.

The report is built from what the run recorded (its bars, fills, equity, round trips and
statistics), never from market data imported since, so it describes the run as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.store.database import DbOrCursor
from ostdesk.store.roundtrips import OpenLots, open_lots, round_trips
from ostdesk.store.runs import (
    Columns,
    get_run,
    run_bars,
    run_equity,
    run_fills,
    run_stats,
    run_trades,
)

#: At most this many symbols get a price chart: a run over a whole index still opens.
MAX_PRICE_CHARTS = 12


@dataclass(frozen=True, slots=True)
class ReportData:
    """A run's stored row (``get_run``), statistics (``run_stats``), equity columns (ts,
    equity, drawdown_pct), round trips (``run_trades`` columns, MAE/MFE filled in), the
    lots still open at its end, and per charted symbol its recorded bars."""

    run: dict[str, Any]
    stats: dict[str, object]
    equity: Columns
    trades: Columns
    open_lots: OpenLots
    bars: dict[str, Columns]
    traded: list[str]


def load_report_data(db: DbOrCursor, run_id: int) -> ReportData:
    """The report's data of run ``run_id`` (``UnknownRunError`` if there is none)."""
    run = get_run(db, run_id)
    fills = run_fills(db, run_id)
    traded = sorted({str(s) for s in fills["symbol"]})
    charted = (traded or sorted(run["symbols"]))[:MAX_PRICE_CHARTS]
    bars = {symbol: run_bars(db, run_id, symbol) for symbol in charted}
    signed = _signed(fills)
    trades = run_trades(db, run_id)
    if len(trades["symbol"]) and np.isnan(trades["mae_pct"]).any():
        trades = _with_excursions(trades, signed, {s: bars[s] for s in traded if s in bars})
    return ReportData(
        run=run,
        stats=run_stats(db, run_id),
        equity=run_equity(db, run_id),
        trades=trades,
        open_lots=open_lots(signed),
        bars=bars,
        traded=traded,
    )


def _signed(fills: Columns) -> dict[str, npt.NDArray[Any]]:
    """Fill columns as ``store.roundtrips`` takes them: side +1 for a buy, -1 for a sell."""
    side = np.where(fills["side"] == "BUY", 1, -1).astype(np.int8)
    return {**fills, "side": side}


def _with_excursions(
    trades: Columns, fills: dict[str, npt.NDArray[Any]], bars: dict[str, Columns]
) -> Columns:
    """``trades`` with MAE/MFE computed from the run's bars where they were not stored: the
    round trips are matched again from the fills, in the stored order (by exit, then entry)."""
    if set(np.unique(trades["symbol"]).tolist()) - set(bars):
        return trades  # a symbol without a chart: its bars were not loaded
    again = round_trips(fills, bars)
    order = np.lexsort((again.entry_ts, again.exit_ts))
    if len(order) != len(trades["symbol"]):
        return trades
    return {**trades, "mae_pct": again.mae_pct[order], "mfe_pct": again.mfe_pct[order]}
