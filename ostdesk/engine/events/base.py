"""The root of every event: an immutable fact or request stamped with two clocks."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any


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
