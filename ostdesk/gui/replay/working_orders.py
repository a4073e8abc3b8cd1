"""Which orders are working at any moment of a recorded run, and at what prices, by lookup.

One fold over the run's order events (the same rules as the blotters' ``OrderBook``: an order
works from its submission until it is rejected, cancelled, expired or completely filled; a
duplicate submission is ignored) leaves each order's life as an interval ``[start, end)`` and its
accepted modifications as a time-sorted list. The orders working at ``t`` are then one vectorised
mask, their prices the last modification at or before ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ostdesk.engine import events as ev

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

NEVER = np.iinfo(np.int64).max
_FILL_TOLERANCE = 1e-9  # as the order book's


class WorkingOrder(NamedTuple):
    """An order working at the asked time, with its prices and quantity as modified by then."""

    strategy_id: str
    order_id: int
    symbol: str
    side: ev.Side
    order_type: ev.OrderType
    quantity: float
    limit_price: float | None
    stop_price: float | None

    @property
    def chart_price(self) -> float | None:
        """The price a chart line shows: the limit if there is one, else the stop."""
        return self.limit_price if self.limit_price is not None else self.stop_price


def _nan(value: float | None) -> float:
    return np.nan if value is None else value


def _none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


@dataclass(frozen=True, slots=True)
class WorkingOrders:
    """Order lives and modifications as columns; build with :meth:`from_events`."""

    requests: list[ev.OrderSubmissionRequest]
    start: Ints
    end: Ints  # NEVER while still working at the end of the run
    change_ts: Ints
    change_order: Ints
    change_quantity: Floats
    change_limit: Floats
    change_stop: Floats

    @classmethod
    def from_events(cls, events: Sequence[ev.EventBase]) -> WorkingOrders:
        requests: list[ev.OrderSubmissionRequest] = []
        start: list[int] = []
        end: list[int] = []
        quantity: list[float] = []
        filled: list[float] = []
        by_id: dict[tuple[str, int], int] = {}
        duplicates: dict[tuple[str, int], int] = {}
        changes: list[tuple[int, int, float, float, float]] = []

        def finish(i: int, ts: int) -> None:
            if end[i] == NEVER:
                end[i] = ts

        for e in events:
            if isinstance(e, ev.OrderSubmissionRequest):
                key = (e.strategy_id, e.order_id)
                if key in by_id:
                    duplicates[key] = duplicates.get(key, 0) + 1
                    continue
                by_id[key] = len(requests)
                requests.append(e)
                start.append(e.ts_event_ns)
                end.append(NEVER)
                quantity.append(e.quantity)
                filled.append(0.0)
            elif isinstance(e, ev.OrderRejected):
                key = (e.strategy_id, e.order_id)
                if e.reason is ev.RejectionReason.DUPLICATE_ORDER_ID and duplicates.get(key):
                    duplicates[key] -= 1
                elif key in by_id:
                    finish(by_id[key], e.ts_event_ns)
            elif isinstance(e, ev.FillEvent):
                i = by_id.get((e.strategy_id, e.order_id))
                if i is not None:
                    filled[i] += e.quantity
                    if filled[i] >= quantity[i] - _FILL_TOLERANCE:
                        finish(i, e.ts_event_ns)
            elif isinstance(e, ev.ModificationAccepted):
                i = by_id.get((e.strategy_id, e.order_id))
                if i is not None:
                    quantity[i] = e.quantity
                    changes.append(
                        (e.ts_event_ns, i, e.quantity, _nan(e.limit_price), _nan(e.stop_price))
                    )
            elif isinstance(e, ev.CancellationAccepted | ev.OrderExpired):
                i = by_id.get((e.strategy_id, e.order_id))
                if i is not None:
                    finish(i, e.ts_event_ns)
        ch = list(zip(*changes, strict=True)) if changes else [()] * 5
        return cls(
            requests=requests,
            start=np.asarray(start, dtype=np.int64),
            end=np.asarray(end, dtype=np.int64),
            change_ts=np.asarray(ch[0], dtype=np.int64),
            change_order=np.asarray(ch[1], dtype=np.int64),
            change_quantity=np.asarray(ch[2], dtype=np.float64),
            change_limit=np.asarray(ch[3], dtype=np.float64),
            change_stop=np.asarray(ch[4], dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.requests)

    def indices_at(self, ts_ns: int) -> Ints:
        """Indices (submission order) of the orders working once every event of ``ts_ns``
        has happened."""
        return np.flatnonzero((self.start <= ts_ns) & (self.end > ts_ns)).astype(np.int64)

    def at(self, ts_ns: int) -> list[WorkingOrder]:
        """The orders working at ``ts_ns``, in submission order, with their prices then."""
        idx = self.indices_at(ts_ns)
        latest: dict[int, int] = {}
        n = int(np.searchsorted(self.change_ts, ts_ns, side="right"))
        if n:
            mine = np.isin(self.change_order[:n], idx)
            for j in np.flatnonzero(mine).tolist():  # later changes overwrite earlier ones
                latest[int(self.change_order[j])] = j
        out = []
        for i in idx.tolist():
            r = self.requests[i]
            qty, limit, stop = r.quantity, r.limit_price, r.stop_price
            change = latest.get(i)
            if change is not None:
                qty = float(self.change_quantity[change])
                limit, stop = _none(self.change_limit[change]), _none(self.change_stop[change])
            out.append(
                WorkingOrder(
                    r.strategy_id, r.order_id, r.symbol, r.side, r.order_type, qty, limit, stop
                )
            )
        return out
