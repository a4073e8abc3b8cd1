"""A recorded run's blotters: its order events rebuilt from the database, plus each symbol's
last bar so positions are marked at the run's final prices (as they were live)."""

from __future__ import annotations

from typing import Any

from ostdesk.engine.events import BarPeriod, BarReceived, EventBase
from ostdesk.gui.replay.recorded_events import load_recorded_events
from ostdesk.store.runs import get_run


def load_blotter_events(cur: Any, run_id: int) -> tuple[float, list[EventBase]]:
    """(initial capital, events) for ``Blotters.reset``; runs on a worker's cursor."""
    run = get_run(cur, run_id)
    events: list[EventBase] = list(load_recorded_events(cur, run_id).events)
    period = BarPeriod.parse(run["period"])
    rows = cur.execute(
        "SELECT symbol, arg_max(ts, ts), arg_max(open, ts), arg_max(high, ts), arg_max(low, ts),"
        " arg_max(close, ts), arg_max(volume, ts) FROM run_bars WHERE run_id = ?"
        " GROUP BY symbol ORDER BY symbol",
        [run_id],
    ).fetchall()
    for symbol, ts, o, h, lo, c, v in rows:
        events.append(
            BarReceived(
                ts_event_ns=int(ts),
                symbol=symbol,
                period=period,
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=v,
            )
        )
    return float(run["capital"]), events
