"""A recorded run's order events rebuilt as engine event objects, once, in one canonical order.

The recorder writes each event family to its own table, so the interleaving across tables is
not stored; it is rebuilt from what the simulated broker guarantees. Every event at market time
T carries ``ts_event_ns == T``. At T the broker first matches the orders it held against T's
bars (fills and expiries), then applies T's requests in arrival order, answering each at once.
So within one timestamp: fills and expiries (in recorded order), then each request followed by
its own answer. Requests of different orders commute for everything the GUI folds, so
submissions come before modifications and cancellations of the same timestamp (an order is
always submitted before it can be changed). An answer is paired with its request by
(ts, strategy, order id, family) and rank among equals, which is how the broker answered them.

Qt-free: the blotters fold these objects through the same ``OrderBook`` a live run feeds.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ostdesk.engine import events as ev

Ints = npt.NDArray[np.int64]

_FILLS = (
    "SELECT ts, fill_id, order_id, strategy_id, symbol, side, quantity, price, commission"
    " FROM run_fills WHERE run_id = ? ORDER BY ts, rowid"
)
_EXPIRATIONS = (
    "SELECT ts, order_id, strategy_id FROM run_expirations WHERE run_id = ? ORDER BY ts, rowid"
)
_ORDERS = (
    "SELECT ts, order_id, strategy_id, symbol, side, order_type, quantity, limit_price,"
    " stop_price, time_in_force, expire_ns FROM run_orders WHERE run_id = ? ORDER BY ts, rowid"
)
_CHANGES = (
    "SELECT ts, order_id, strategy_id, kind, quantity, limit_price, stop_price"
    " FROM run_order_changes WHERE run_id = ? ORDER BY ts, rowid"
)
_RESPONSES = (
    "SELECT ts, order_id, strategy_id, kind, reason, message, quantity, limit_price, stop_price"
    " FROM run_responses WHERE run_id = ? ORDER BY ts, rowid"
)

# which request family each answer belongs to
_FAMILY = {
    "accepted": "submit",
    "rejected": "submit",
    "modified": "modify",
    "modify_rejected": "modify",
    "cancelled": "cancel",
    "cancel_rejected": "cancel",
}


class RecordError(ValueError):
    """A recorded row the replay cannot turn back into an event (says which and why)."""


@dataclass(frozen=True, slots=True)
class RecordedEvents:
    """The run's order events in canonical order and their market times (sorted)."""

    events: list[ev.EventBase]
    ts: Ints

    def __len__(self) -> int:
        return len(self.events)


def _price(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


_SIDES = {s.name: s for s in ev.Side}
_TYPES = {t.value: t for t in ev.OrderType}
_TIFS = {t.name: t for t in ev.TimeInForce}
_REASONS = {r.value: r for r in ev.RejectionReason}


def _lookup(table: dict[Any, Any], value: Any, what: str, run_id: int, order_id: int) -> Any:
    found = table.get(value)
    if found is None:
        raise RecordError(f"run {run_id} order {order_id}: unexpected {what} {value!r}")
    return found


def load_recorded_events(con: duckdb.DuckDBPyConnection, run_id: int) -> RecordedEvents:
    """Read every order event of ``run_id`` and rebuild it; one query per table."""
    made = time.time_ns()
    events: list[ev.EventBase] = []
    ts: list[int] = []
    phase: list[int] = []
    seq: list[int] = []

    def add(event: ev.EventBase, at: int, ph: int, order: int) -> None:
        events.append(event)
        ts.append(at)
        phase.append(ph)
        seq.append(order)

    for i, (t, fid, oid, sid, sym, side, qty, price, fee) in enumerate(
        con.execute(_FILLS, [run_id]).fetchall()
    ):
        fill = ev.FillEvent(
            ts_event_ns=t,
            ts_created_ns=made,
            fill_id=fid,
            order_id=oid,
            strategy_id=sid,
            symbol=sym,
            side=_lookup(_SIDES, side, "fill side", run_id, oid),
            quantity=qty,
            price=price,
            commission=fee,
        )
        add(fill, t, 0, i)
    base = len(events)
    for i, (t, oid, sid) in enumerate(con.execute(_EXPIRATIONS, [run_id]).fetchall()):
        expiry = ev.OrderExpired(ts_event_ns=t, ts_created_ns=made, order_id=oid, strategy_id=sid)
        add(expiry, t, 0, base + i)

    # requests: seq 2*r; the answer to request r: 2*r + 1
    waiting: dict[tuple[int, str, int, str], deque[int]] = defaultdict(deque)
    r = 0
    for t, oid, sid, sym, side, kind, qty, limit, stop, tif, expire in con.execute(
        _ORDERS, [run_id]
    ).fetchall():
        request = ev.OrderSubmissionRequest(
            ts_event_ns=t,
            ts_created_ns=made,
            order_id=oid,
            strategy_id=sid,
            symbol=sym,
            side=_lookup(_SIDES, side, "side", run_id, oid),
            order_type=_lookup(_TYPES, kind, "order type", run_id, oid),
            quantity=qty,
            limit_price=_price(limit),
            stop_price=_price(stop),
            time_in_force=None
            if tif is None
            else _lookup(_TIFS, tif, "time in force", run_id, oid),
            expire_ns=expire,
        )
        add(request, t, 1, 2 * r)
        waiting[(t, sid, oid, "submit")].append(r)
        r += 1
    for t, oid, sid, kind, qty, limit, stop in con.execute(_CHANGES, [run_id]).fetchall():
        change: ev.EventBase
        if kind == "modify":
            change = ev.OrderModificationRequest(
                ts_event_ns=t,
                ts_created_ns=made,
                order_id=oid,
                strategy_id=sid,
                quantity=_price(qty),
                limit_price=_price(limit),
                stop_price=_price(stop),
            )
        else:
            change = ev.OrderCancellationRequest(
                ts_event_ns=t, ts_created_ns=made, order_id=oid, strategy_id=sid
            )
        add(change, t, 1, 2 * r)
        waiting[(t, sid, oid, kind)].append(r)
        r += 1

    for t, oid, sid, kind, reason, message, qty, limit, stop in con.execute(
        _RESPONSES, [run_id]
    ).fetchall():
        family = _FAMILY.get(kind)
        if family is None:
            raise RecordError(f"run {run_id} order {oid}: unknown response kind {kind!r}")
        answer = _response(run_id, made, t, oid, sid, kind, reason, message, qty, limit, stop)
        pending = waiting.get((t, sid, oid, family))
        if pending:
            add(answer, t, 1, 2 * pending.popleft() + 1)
        else:  # no matching request (cannot happen with this broker): after T's requests
            add(answer, t, 2, len(events))

    ts_arr = np.asarray(ts, dtype=np.int64)
    order = np.lexsort((np.asarray(seq, np.int64), np.asarray(phase, np.int8), ts_arr))
    return RecordedEvents([events[i] for i in order.tolist()], ts_arr[order])


def _response(
    run_id: int,
    made: int,
    t: int,
    oid: int,
    sid: str,
    kind: str,
    reason: str | None,
    message: str | None,
    qty: float | None,
    limit: float | None,
    stop: float | None,
) -> ev.EventBase:
    common: dict[str, Any] = {
        "ts_event_ns": t,
        "ts_created_ns": made,
        "order_id": oid,
        "strategy_id": sid,
    }
    if kind == "accepted":
        return ev.OrderAccepted(**common)
    if kind == "cancelled":
        return ev.CancellationAccepted(**common)
    if kind == "modified":
        if qty is None:
            raise RecordError(f"run {run_id} order {oid}: a modification without a quantity")
        return ev.ModificationAccepted(
            **common, quantity=qty, limit_price=_price(limit), stop_price=_price(stop)
        )
    why = _lookup(_REASONS, reason, "rejection reason", run_id, oid)
    refusal = {
        "rejected": ev.OrderRejected,
        "modify_rejected": ev.ModificationRejected,
        "cancel_rejected": ev.CancellationRejected,
    }[kind]
    return refusal(**common, reason=why, message=message or "")
