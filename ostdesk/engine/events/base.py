"""The root of every event: an immutable fact or request stamped with two clocks."""

from __future__ import annotations

import dataclasses
import time


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class EventBase:
    """Base of all events.

    ``ts_event_ns`` is when the fact happened in market time (a bar's open time, a simulated fill);
    ``ts_created_ns`` is the wall clock when the object was made. Events are frozen because one
    instance is delivered to several subscriber threads at once.
    """

    ts_event_ns: int
    ts_created_ns: int = dataclasses.field(default_factory=time.time_ns)
