"""The Qt-free order book the blotters show: orders with their lifecycle, and fills.

The GUI bridge hands over lists of engine events in publication order. ``OrderBook.apply`` folds
one batch and says what changed, so each Qt model can emit one insert and one ``dataChanged`` per
batch instead of a reset. A recorded run is shown by folding its events through the same book.

Records are slotted and share the event's own objects (symbol strings, prices), and the lifecycle
history lives in three flat arrays rather than a list per order, so 100k orders stay well within
twice the size of the events they came from.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from array import array
from collections.abc import Callable, Sequence, Sized
from typing import Any

from ostdesk.engine import events as ev
from ostdesk.engine.portfolio import Portfolio

_FILL_TOLERANCE = 1e-9


class OrderStatus(enum.Enum):
    """Where an order is in its life; the value is the label the blotters show."""

    SUBMITTED = "Submitted"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    MODIFIED = "Modified"
    CANCEL_REQUESTED = "Cancel requested"
    CANCELLED = "Cancelled"
    PARTIALLY_FILLED = "Partially filled"
    FILLED = "Filled"
    EXPIRED = "Expired"

    is_final: bool
    """Whether the order's life is over. A plain attribute of each member (set below): the
    book reads it several times per event, and an enum property or a set lookup (enums hash
    in Python) costs ~0.2 µs a read."""


for _status in OrderStatus:
    _status.is_final = _status in (
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.FILLED,
        OrderStatus.EXPIRED,
    )
del _status

# History steps: every status, plus requests and refusals that leave the status as it was.
_STEPS: tuple[str, ...] = (
    *(s.value for s in OrderStatus),
    "Modify requested",
    "Modify rejected",
    "Cancel rejected",
)
_STEP = {label: code for code, label in enumerate(_STEPS)}
# step codes: the handlers log these ints, not labels to look up (``.value`` is slow, above)
_SUBMITTED = _STEP[OrderStatus.SUBMITTED.value]
_ACCEPTED = _STEP[OrderStatus.ACCEPTED.value]
_REJECTED = _STEP[OrderStatus.REJECTED.value]
_MODIFIED = _STEP[OrderStatus.MODIFIED.value]
_CANCEL_REQUESTED = _STEP[OrderStatus.CANCEL_REQUESTED.value]
_CANCELLED = _STEP[OrderStatus.CANCELLED.value]
_PARTIALLY_FILLED = _STEP[OrderStatus.PARTIALLY_FILLED.value]
_FILLED = _STEP[OrderStatus.FILLED.value]
_EXPIRED = _STEP[OrderStatus.EXPIRED.value]
_MODIFY_REQUESTED = _STEP["Modify requested"]
_MODIFY_REJECTED = _STEP["Modify rejected"]
_CANCEL_REJECTED = _STEP["Cancel rejected"]


class OrderRecord:
    """One order as the blotters show it. ``index`` is its position in ``OrderBook.orders``."""

    __slots__ = (
        "avg_fill_price",
        "expire_ns",
        "filled_qty",
        "index",
        "last_step",
        "limit_price",
        "order_id",
        "order_type",
        "quantity",
        "reason",
        "resume_status",
        "side",
        "status",
        "stop_price",
        "strategy_id",
        "submitted_ns",
        "symbol",
        "time_in_force",
        "updated_ns",
    )

    def __init__(self, index: int, request: ev.OrderSubmissionRequest) -> None:
        self.index = index
        self.order_id = request.order_id
        self.strategy_id = request.strategy_id
        # a malformed request (``invalid``) may lack these: shown blank, never fills
        self.symbol = request.symbol or ""
        self.side = request.side
        self.order_type = request.order_type
        self.quantity = math.nan if request.quantity is None else request.quantity
        self.limit_price = request.limit_price
        self.stop_price = request.stop_price
        self.time_in_force = request.time_in_force
        self.expire_ns = request.expire_ns
        self.submitted_ns = request.ts_event_ns
        self.updated_ns = request.ts_event_ns
        self.status = OrderStatus.SUBMITTED
        # The status to return to when a cancel request is refused.
        self.resume_status = OrderStatus.SUBMITTED
        self.filled_qty = 0.0
        self.avg_fill_price: float | None = None
        self.reason = ""
        self.last_step = -1

    def __repr__(self) -> str:
        return (
            f"OrderRecord({self.strategy_id}/{self.order_id} {self.symbol} {self.side.name} "
            f"{self.quantity} {self.status.value})"
        )


class FillRecord:
    """One execution as a row: the engine's ``FillEvent`` and the P&L it realised (average cost).

    Made on demand by ``OrderBook.fill``; the book itself keeps only the events and a float
    array, so 100k fills add no objects for the garbage collector to walk.
    """

    __slots__ = ("fill", "index", "realized_pnl")

    def __init__(self, index: int, fill: ev.FillEvent, realized_pnl: float) -> None:
        self.index = index
        self.fill = fill
        self.realized_pnl = realized_pnl


@dataclasses.dataclass(slots=True)
class BookChanges:
    """What one batch changed, as indices into ``OrderBook.orders`` / ``OrderBook.fills``.

    ``updated`` holds orders that existed before the batch; an order born in the batch is only in
    ``inserted``. The ``working_*`` lists are net over the batch: an order submitted and filled in
    the same batch never appears in them.
    """

    inserted: range
    updated: list[int]
    working_added: list[int]
    working_updated: list[int]
    working_ended: list[int]
    fills: range


class OrderBook:
    """All orders of a run and all their fills, folded from engine events.

    Orders are keyed by (strategy id, order id). Events about an order the book never saw (a
    broker refusing to modify an unknown id) change nothing; a fill is listed even without one.
    """

    def __init__(self) -> None:
        self.orders: list[OrderRecord] = []
        self.fills: list[ev.FillEvent] = []
        self.realized_pnl = array("d")  # per fill, average cost, before commission
        self.submitted_ns = array("q")  # per order and per fill: their times as one column,
        self.fill_ns = array("q")  # so the blotters sort by time without a call per row
        self._by_id: dict[str, dict[int, OrderRecord]] = {}
        self._duplicates: dict[tuple[str, int], int] = {}
        self._pnl = Portfolio(0.0)
        self._log_ns = array("q")
        self._log_step = array("B")
        self._log_prev = array("l")
        self._touched: dict[int, bool] = {}

    def apply(self, events: Sequence[ev.EventBase]) -> BookChanges:
        """Fold one batch of events (in publication order) and report what changed."""
        first_order, first_fill = len(self.orders), len(self.fills)
        self._touched = touched = dict[int, bool]()
        handlers = _HANDLERS
        for event in events:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(self, event)
        changes = BookChanges(
            inserted=range(first_order, len(self.orders)),
            updated=[],
            working_added=[],
            working_updated=[],
            working_ended=[],
            fills=range(first_fill, len(self.fills)),
        )
        orders = self.orders
        for index, was_working in touched.items():
            working = not orders[index].status.is_final
            if index < first_order:
                changes.updated.append(index)
            if was_working:
                (changes.working_updated if working else changes.working_ended).append(index)
            elif working:
                changes.working_added.append(index)
        self._touched = {}
        return changes

    def handle(self, event: ev.EventBase) -> None:
        """Fold one event without reporting changes (for building a book, not for showing)."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    @property
    def log_steps(self) -> Sized:
        """The lifecycle log (one step per event that touched a known order); it grows in
        place, so a fold can take its ``len`` as it goes."""
        return self._log_ns

    @property
    def had_duplicates(self) -> bool:
        """Whether any order id was submitted twice (the rewind then folds from the start)."""
        return bool(self._duplicates)

    def steps_of(self, order: OrderRecord) -> list[int]:
        """Indices of ``order``'s lifecycle steps in the book's log, oldest first."""
        steps: list[int] = []
        at = order.last_step
        while at >= 0:
            steps.append(at)
            at = self._log_prev[at]
        steps.reverse()
        return steps

    def prefix(
        self,
        orders: list[OrderRecord],
        n_fills: int,
        n_steps: int,
        pnl: Portfolio,
    ) -> OrderBook:
        """A new book holding this book's first ``n_fills`` fills and ``n_steps`` lifecycle
        steps, the given ``orders`` (records whose steps all lie in that prefix) and the
        realised-P&L account ``pnl`` after those fills. The two books must not both be
        folded afterwards if they share a record that later events change."""
        book = OrderBook()
        book.orders = orders
        book.fills = self.fills[:n_fills]
        book.realized_pnl = self.realized_pnl[:n_fills]
        book.submitted_ns = self.submitted_ns[: len(orders)]
        book.fill_ns = self.fill_ns[:n_fills]
        book._log_ns = self._log_ns[:n_steps]
        book._log_step = self._log_step[:n_steps]
        book._log_prev = self._log_prev[:n_steps]
        book._pnl = pnl
        for order in orders:
            book._by_id.setdefault(order.strategy_id, {})[order.order_id] = order
        return book

    def find(self, strategy_id: str, order_id: int) -> OrderRecord | None:
        per_strategy = self._by_id.get(strategy_id)
        return None if per_strategy is None else per_strategy.get(order_id)

    def fill(self, index: int) -> FillRecord:
        return FillRecord(index, self.fills[index], self.realized_pnl[index])

    def working(self) -> list[int]:
        """Indices of the orders still live, oldest first."""
        return [o.index for o in self.orders if not o.status.is_final]

    def history(self, order: OrderRecord) -> list[tuple[int, str]]:
        """The order's lifecycle as (ts_event_ns, step label), oldest first."""
        return [(self._log_ns[s], _STEPS[self._log_step[s]]) for s in self.steps_of(order)]

    def _touch(self, order: OrderRecord, ts_ns: int, step: int) -> None:
        if order.index not in self._touched:
            self._touched[order.index] = not order.status.is_final
        order.updated_ns = ts_ns
        self._log_ns.append(ts_ns)
        self._log_step.append(step)
        self._log_prev.append(order.last_step)
        order.last_step = len(self._log_ns) - 1

    @staticmethod
    def _set_status(order: OrderRecord, status: OrderStatus) -> None:
        """Move to ``status``, except that a pending cancel stays shown until it is answered."""
        if order.status is OrderStatus.CANCEL_REQUESTED and not status.is_final:
            order.resume_status = status
        else:
            order.status = status

    def _on_submission(self, e: ev.OrderSubmissionRequest) -> None:
        per_strategy = self._by_id.setdefault(e.strategy_id, {})
        if e.order_id in per_strategy:
            # The broker will reject it as a duplicate; that rejection must not hit the original.
            key = (e.strategy_id, e.order_id)
            self._duplicates[key] = self._duplicates.get(key, 0) + 1
            return
        order = OrderRecord(len(self.orders), e)
        self.orders.append(order)
        self.submitted_ns.append(e.ts_event_ns)
        per_strategy[e.order_id] = order
        self._touched[order.index] = False
        self._touch(order, e.ts_event_ns, _SUBMITTED)

    def _on_modification_request(self, e: ev.OrderModificationRequest) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _MODIFY_REQUESTED)

    def _on_cancellation_request(self, e: ev.OrderCancellationRequest) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is None:
            return
        self._touch(order, e.ts_event_ns, _CANCEL_REQUESTED)
        if not order.status.is_final and order.status is not OrderStatus.CANCEL_REQUESTED:
            order.resume_status = order.status
            order.status = OrderStatus.CANCEL_REQUESTED

    def _on_order_accepted(self, e: ev.OrderAccepted) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _ACCEPTED)
            self._set_status(order, OrderStatus.ACCEPTED)

    def _on_order_rejected(self, e: ev.OrderRejected) -> None:
        key = (e.strategy_id, e.order_id)
        if e.reason is ev.RejectionReason.DUPLICATE_ORDER_ID and self._duplicates.get(key):
            self._duplicates[key] -= 1
            return
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _REJECTED)
            order.status = OrderStatus.REJECTED
            order.reason = _reason_text(e.reason, e.message)

    def _on_modification_accepted(self, e: ev.ModificationAccepted) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _MODIFIED)
            order.quantity = e.quantity
            order.limit_price = e.limit_price
            order.stop_price = e.stop_price
            self._set_status(order, OrderStatus.MODIFIED)

    def _on_modification_rejected(self, e: ev.ModificationRejected) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _MODIFY_REJECTED)
            order.reason = f"Modify rejected: {_reason_text(e.reason, e.message)}"

    def _on_cancellation_accepted(self, e: ev.CancellationAccepted) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _CANCELLED)
            order.status = OrderStatus.CANCELLED
            order.reason = "Cancelled on request"

    def _on_cancellation_rejected(self, e: ev.CancellationRejected) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _CANCEL_REJECTED)
            if order.status is OrderStatus.CANCEL_REQUESTED:
                order.status = order.resume_status
            order.reason = f"Cancel rejected: {_reason_text(e.reason, e.message)}"

    def _on_fill(self, e: ev.FillEvent) -> None:
        signed = e.quantity * e.side.sign
        realized = self._pnl.apply_fill(e.symbol, signed, e.price, e.commission)
        self.fills.append(e)
        self.realized_pnl.append(realized)
        self.fill_ns.append(e.ts_event_ns)
        order = self.find(e.strategy_id, e.order_id)
        if order is None:
            return
        done = order.filled_qty + e.quantity
        before = order.avg_fill_price or 0.0
        order.avg_fill_price = (before * order.filled_qty + e.price * e.quantity) / done
        order.filled_qty = done
        full = done >= order.quantity - _FILL_TOLERANCE
        status = OrderStatus.FILLED if full else OrderStatus.PARTIALLY_FILLED
        self._touch(order, e.ts_event_ns, _FILLED if full else _PARTIALLY_FILLED)
        self._set_status(order, status)

    def _on_order_expired(self, e: ev.OrderExpired) -> None:
        order = self.find(e.strategy_id, e.order_id)
        if order is not None:
            self._touch(order, e.ts_event_ns, _EXPIRED)
            order.status = OrderStatus.EXPIRED
            order.reason = f"Time in force {order.time_in_force.name} ended"


# Plain functions, not bound methods kept on each book: a book holding its own bound methods
# is a reference cycle, so every book thrown away (each replay seek, each new run) waited for
# the cycle collector, which then walked its tens of thousands of records: 100 ms stalls.
_HANDLERS: dict[type[ev.EventBase], Callable[[OrderBook, Any], None]] = {
    ev.OrderSubmissionRequest: OrderBook._on_submission,
    ev.OrderModificationRequest: OrderBook._on_modification_request,
    ev.OrderCancellationRequest: OrderBook._on_cancellation_request,
    ev.OrderAccepted: OrderBook._on_order_accepted,
    ev.OrderRejected: OrderBook._on_order_rejected,
    ev.ModificationAccepted: OrderBook._on_modification_accepted,
    ev.ModificationRejected: OrderBook._on_modification_rejected,
    ev.CancellationAccepted: OrderBook._on_cancellation_accepted,
    ev.CancellationRejected: OrderBook._on_cancellation_rejected,
    ev.FillEvent: OrderBook._on_fill,
    ev.OrderExpired: OrderBook._on_order_expired,
}


def _reason_text(reason: ev.RejectionReason, message: str) -> str:
    return message or reason.value.replace("_", " ").capitalize()


class AccountBook:
    """The account behind the positions blotter: the engine's ``Portfolio`` fed with fills and
    marked with bar closes, plus the equity peak the drawdown is measured from."""

    def __init__(self, initial_capital: float) -> None:
        self.portfolio = Portfolio(initial_capital)
        self.symbols: list[str] = []  # traded symbols, in order of first fill
        self.peak_equity = initial_capital
        self.max_drawdown = 0.0

    @property
    def equity(self) -> float:
        return self.portfolio.equity

    @property
    def total_pnl(self) -> float:
        return self.portfolio.equity - self.portfolio.initial_capital

    @property
    def drawdown(self) -> float:
        """Current distance below the equity peak, in money (0 at a new high)."""
        return max(0.0, self.peak_equity - self.portfolio.equity)

    def apply(self, events: Sequence[ev.EventBase]) -> set[str]:
        """Fold one batch; return the symbols whose position row changed.

        A fill marks its symbol at the fill price until the next bar close. Bars only mark
        symbols already traded, so the blotter lists positions, not the whole universe.
        """
        portfolio = self.portfolio
        positions = portfolio.positions
        changed: set[str] = set()
        for event in events:
            if isinstance(event, ev.BarReceived):
                position = positions.get(event.symbol)
                if position is None:
                    continue
                position.last_price = event.close
            elif isinstance(event, ev.FillEvent):
                if event.symbol not in positions:
                    self.symbols.append(event.symbol)
                signed = event.quantity * event.side.sign
                portfolio.apply_fill(event.symbol, signed, event.price, event.commission)
                positions[event.symbol].last_price = event.price
            else:
                continue
            changed.add(event.symbol)
            self._track_peak()
        return changed

    def _track_peak(self) -> None:
        equity = self.portfolio.equity
        if equity > self.peak_equity:
            self.peak_equity = equity
        elif self.peak_equity - equity > self.max_drawdown:
            self.max_drawdown = self.peak_equity - equity
