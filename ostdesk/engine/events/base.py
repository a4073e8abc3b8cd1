"""The root of every event: an immutable fact or request stamped with two clocks."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, TypeVar

_E = TypeVar("_E", bound="EventBase")


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class EventBase:
    """Base of all events.

    ``ts_event_ns`` is when the fact happened in market time (a bar's open time, a simulated fill);
    ``ts_created_ns`` is the wall clock when the object was made. Events are frozen because one
    instance is delivered to several subscriber threads at once.
    """

    ts_event_ns: int
    ts_created_ns: int = dataclasses.field(default_factory=time.time_ns)


def slot_setters(cls: type, *names: str) -> tuple[Callable[[object, Any], None], ...]:
    """The ``__set__`` of each named slot descriptor of ``cls`` (bases included).

    Setting a frozen event's slots through them, after ``object.__new__``, is all the
    dataclass's generated ``__init__`` does besides argument handling, at about half the cost:
    the engine builds its per-bar events this way; the result equals a normal instance.
    """
    setters = []
    for name in names:
        for klass in cls.__mro__:
            if name in vars(klass):
                setters.append(vars(klass)[name].__set__)
                break
        else:
            raise AttributeError(f"{cls.__name__} has no slot {name!r}")
    return tuple(setters)


def event_factory(cls: type[_E], *names: str) -> Callable[..., _E]:
    """A builder of ``cls`` events from the values of ``names``, positionally: equal to
    ``cls(**dict(zip(names, values)))`` (``ts_created_ns`` the wall clock, fields not named at
    their defaults, ``__post_init__`` run), at about half the cost: one straight-line
    function of ``slot_setters`` calls, generated as ``dataclasses`` generates ``__init__``.
    For events made once an order or more (the order path made five through their
    ``__init__``, ~8 µs an order)."""
    named = set(names)
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "now": time.time_ns}
    lines = ["event = new(cls)", "set_ts_created_ns(event, now())"]
    for field in dataclasses.fields(cls):
        if field.name in named or field.name == "ts_created_ns":
            continue
        if field.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__} needs {field.name}: it has no default")
        scope[f"default_{field.name}"] = field.default
        lines.append(f"set_{field.name}(event, default_{field.name})")
    for name in (*names, "ts_created_ns", *(n[8:] for n in list(scope) if n[:8] == "default_")):
        scope[f"set_{name}"] = slot_setters(cls, name)[0]
    lines += [f"set_{name}(event, {name})" for name in names]
    if hasattr(cls, "__post_init__"):
        lines.append("event.__post_init__()")
    body = "".join(f"\n    {line}" for line in (*lines, "return event"))
    exec(f"def make({', '.join(names)}):{body}", scope)
    make: Callable[..., _E] = scope["make"]
    return make
