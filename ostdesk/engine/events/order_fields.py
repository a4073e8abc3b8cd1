"""What the fields of an order request may hold, and the sentence that says why a value may not.

Strategy code is user code, so anything can reach a request: ``self.buy("abc")``,
``limit=float("nan")``, ``tif="DAY"``, ``expire_ns=np.int64(...)``. Each request checks its own
fields as it is built (its ``__post_init__``), so an event on the bus only ever holds values of
its declared types, and can be recorded, whatever a strategy passed:

- a quantity or a price: a real number (``int``, ``numpy.float32``, ``Decimal``) becomes a
  ``float``; ``bool`` and anything else are refused;
- a time in force: a :class:`TimeInForce` member, or its name in any case (``"DAY"``, ``"gtc"``);
- ``expire_ns``, and the order id of a modify or cancel: an ``int`` (numpy integers too,
  ``bool`` not) within int64;
- a symbol: a ``str``.

A refused value is replaced by ``None`` and the request's ``invalid`` names the first one and
why ("quantity 'abc' is not a number"); the broker answers such a request with a rejection that
carries this sentence and the code :func:`reason` gives for it. Whether a value of the right type
makes sense (a positive quantity, a finite price, an expiry after the order) is the broker's
call: NaN is a float, and is recorded as one.
"""

from __future__ import annotations

import dataclasses
import decimal
import numbers
from collections.abc import Callable
from typing import Any

from ostdesk.engine.events.enums import RejectionReason, TimeInForce

INT64 = range(-(2**63), 2**63)
"""The integers a time or an order id may be: what the record's BIGINT columns hold."""

_set = object.__setattr__  # a request is frozen, but is still being built when checked


def _shown(value: object) -> str:
    """``repr(value)``, cut to a length a one-line message can carry."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _real(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("is a bool, not a number")
    if not isinstance(value, numbers.Real | decimal.Decimal):
        raise ValueError("is not a number")
    try:
        return float(value)
    except OverflowError:  # an int past 1.8e308
        raise ValueError("is too large for a float") from None


def _integer(what: str) -> Callable[[object], int]:
    def read(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"is not {what}")
        number = int(value)
        if number not in INT64:
            raise ValueError(f"is out of the range of {what} (int64)")
        return number

    return read


def _time_in_force(value: object) -> TimeInForce:
    if isinstance(value, TimeInForce):
        return value
    if isinstance(value, str):
        member = TimeInForce.__members__.get(value.strip().upper())
        if member is not None:
            return member
    raise ValueError(f"is not one of {', '.join(TimeInForce.__members__)}")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("is not a symbol name (a str)")
    return str(value)  # a str subclass (numpy.str_) as a plain str


@dataclasses.dataclass(frozen=True, slots=True)
class FieldCheck:
    """How one request field is read: ``read`` returns the stored value or raises ValueError
    with the end of the sentence ("is not a number")."""

    name: str
    label: str
    read: Callable[[Any], Any]
    reason: RejectionReason
    required: bool = False


_ORDER_ID = FieldCheck(
    "order_id", "order id", _integer("an integer"), RejectionReason.UNKNOWN_ORDER
)
_LIMIT = FieldCheck("limit_price", "limit price", _real, RejectionReason.INVALID_PRICE)
_STOP = FieldCheck("stop_price", "stop price", _real, RejectionReason.INVALID_PRICE)

SUBMISSION = (
    FieldCheck("symbol", "symbol", _text, RejectionReason.UNKNOWN_SYMBOL, required=True),
    FieldCheck("quantity", "quantity", _real, RejectionReason.INVALID_QUANTITY, required=True),
    _LIMIT,
    _STOP,
    FieldCheck(
        "time_in_force",
        "time in force",
        _time_in_force,
        RejectionReason.INVALID_TIME_IN_FORCE,
        required=True,
    ),
    FieldCheck(
        "expire_ns",
        "expire_ns",
        _integer("an integer time in ns"),
        RejectionReason.INVALID_EXPIRY,
    ),
)
MODIFICATION = (
    _ORDER_ID,
    FieldCheck("quantity", "quantity", _real, RejectionReason.INVALID_QUANTITY),
    _LIMIT,
    _STOP,
)
CANCELLATION = (_ORDER_ID,)

_REASONS = {check.label: check.reason for check in (*SUBMISSION, *MODIFICATION)}


def check_fields(request: Any, checks: tuple[FieldCheck, ...]) -> None:
    """Give each of ``request``'s checked fields its declared type, or ``None`` and a sentence
    in ``invalid`` (the first refused field's); called while the request is being built."""
    for check in checks:
        value = getattr(request, check.name)
        if value is None:
            if check.required and request.invalid is None:
                _set(request, "invalid", f"{check.label} is missing (None)")
            continue
        try:
            stored = check.read(value)
        except ValueError as exc:
            _set(request, check.name, None)
            if request.invalid is None:
                _set(request, "invalid", f"{check.label} {_shown(value)} {exc}")
            continue
        if stored is not value:
            _set(request, check.name, stored)


def reason(invalid: str) -> RejectionReason:
    """The rejection code of a request's ``invalid`` sentence (it starts with the field's
    label)."""
    label = next(label for label in _REASONS if invalid.startswith(label))
    return _REASONS[label]
