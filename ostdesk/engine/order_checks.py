"""Checks of an order's own fields, which need no account: quantity, prices, their fit to the
order type, and the fields a request could not read. Each answers a ``Problem`` (the
rejection's reason and sentence, naming the order) or None; the simulated broker adds the
checks that need its state (duplicate ids, symbols, size and buying power).
"""

from __future__ import annotations

import math

from ostdesk.engine.events import (
    OrderModificationRequest,
    OrderType,
    RejectionReason,
    order_fields,
)

MAX_QUANTITY = 2.0**53
"""No order is for more units: past 2**53 a float no longer counts units one by one."""


Problem = tuple[RejectionReason, str]


def quantity_problem(oid: str, quantity: float | None) -> Problem | None:
    if quantity is None or (math.isfinite(quantity) and 0 < quantity <= MAX_QUANTITY):
        return None
    if quantity > MAX_QUANTITY and math.isfinite(quantity):
        return (
            RejectionReason.ORDER_TOO_LARGE,
            f"{oid}: quantity {quantity:g} exceeds {MAX_QUANTITY:,.0f} units (2**53, past which "
            "a float does not count units one by one)",
        )
    return (
        RejectionReason.INVALID_QUANTITY,
        f"{oid}: quantity must be a positive number, got {quantity:g}",
    )


def invalid_problem(order_id: int | None, invalid: str) -> Problem:
    where = f"order {order_id}: " if order_id is not None else ""
    return order_fields.reason(invalid), f"{where}{invalid}"


def price_problem(oid: str, limit: float | None, stop: float | None) -> Problem | None:
    for label, value in (("limit", limit), ("stop", stop)):
        if value is not None and (not math.isfinite(value) or value <= 0):
            return (
                RejectionReason.INVALID_PRICE,
                f"{oid}: {label} price must be a positive finite number, got {value}",
            )
    return None


def kind_text(order_type: OrderType) -> str:
    return order_type.value.replace("_", "-")


def prices_problem(
    oid: str, order_type: OrderType, limit: float | None, stop: float | None
) -> Problem | None:
    needs_limit = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    kind = kind_text(order_type)
    if needs_limit and limit is None:
        return RejectionReason.MISSING_PRICE, f"{oid}: a {kind} order needs a limit price"
    if needs_stop and stop is None:
        return RejectionReason.MISSING_PRICE, f"{oid}: a {kind} order needs a stop price"
    if not needs_limit and limit is not None:
        return (
            RejectionReason.UNEXPECTED_PRICE,
            f"{oid}: a {kind} order takes no limit price (got {limit:g})",
        )
    if not needs_stop and stop is not None:
        return (
            RejectionReason.UNEXPECTED_PRICE,
            f"{oid}: a {kind} order takes no stop price (got {stop:g})",
        )
    return price_problem(oid, limit, stop)


def modification_problem(
    order_type: OrderType, triggered: bool, req: OrderModificationRequest
) -> Problem | None:
    """What is wrong with changing a working order of ``order_type`` as ``req`` asks,
    before its new size is judged against the account."""
    oid = f"order {req.order_id}"
    problem = quantity_problem(oid, req.quantity)
    if problem is not None:
        return problem
    kind = order_type
    if req.limit_price is not None and kind not in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return (
            RejectionReason.UNEXPECTED_PRICE,
            f"{oid}: a {kind_text(kind)} order has no limit price to change",
        )
    if req.stop_price is not None:
        if kind not in (OrderType.STOP, OrderType.STOP_LIMIT):
            return (
                RejectionReason.UNEXPECTED_PRICE,
                f"{oid}: a {kind_text(kind)} order has no stop price to change",
            )
        if triggered:
            return (
                RejectionReason.ORDER_NOT_WORKING,
                f"{oid}: the stop was already triggered; only the limit can change",
            )
    return price_problem(oid, req.limit_price, req.stop_price)
