"""The broker harness with bars of a chosen period and times written as text, for the tests of
time in force and of the examples in ``docs/orders.md``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ostdesk.engine.events import BarPeriod, OrderExpired
from tests.engine.broker_harness import BrokerHarness


def t(text: str) -> int:
    """A UTC time (``"2024-01-02"``, ``"2024-01-02T14:30"``) as the engine's nanoseconds."""
    return int(np.datetime64(text, "ns").astype(np.int64))


class PeriodHarness(BrokerHarness):
    """A real bus and broker fed bars of one period."""

    def __init__(self, period: BarPeriod, **broker_kwargs: Any) -> None:
        super().__init__(**broker_kwargs)
        self.period = period

    def expiries(self) -> list[int]:
        return [e.ts_event_ns for e in self.of(OrderExpired)]
