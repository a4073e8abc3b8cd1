"""The stitched out-of-sample run of a walk-forward: one recorded run over every
out-of-sample window, whose strategy switches to each window's chosen parameters at the
window's start, so the whole out-of-sample record opens in the chart, blotters and replay as
one run (its equity continuous, its statistics computed as any run's).

:func:`scheduled_strategy` builds the switching strategy: a ``Strategy`` holding one
instance of the walked strategy per window, all set up before the first bar on the run's one
host. Each instance sees only the bars of its own window, as a separate out-of-sample run
would; at a window's first bar the previous window's working orders are cancelled and its
positions closed (market orders, trading from the next bar), so every window starts flat, as
its own run does. Indicators two instances declare alike (``SMA(10)`` for both) are declared
once and shared: their values are the same. Fills and broker answers reach the instance whose
order they are about; those of the closing orders reach none. Unlike separate out-of-sample
runs, an instance's indicators have seen every bar of the run (they are warm at its window's
start).
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ostdesk.engine.events import BarReceived, EventBase, FillEvent
from ostdesk.engine.indicators import Indicator
from ostdesk.engine.strategy import IndicatorHandle, Strategy
from ostdesk.engine.strategy_host import StrategyHost


@dataclasses.dataclass(frozen=True, slots=True)
class Leg:
    """Trade ``params`` on ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int
    params: Mapping[str, Any]


class _InstanceHost:
    """The host as one instance sees it: everything is the run's host, but an indicator
    declared already is shared, and the orders it submits are remembered as its own."""

    def __init__(self, owner: _Scheduled, instance: int) -> None:
        self._owner = owner
        self._instance = instance

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner.host, name)

    def add_indicator(self, indicator: Indicator) -> IndicatorHandle:
        shared = self._owner._indicators
        if indicator.label not in shared:
            shared[indicator.label] = self._owner.host.add_indicator(indicator)
        return shared[indicator.label]

    def submit(self, *args: Any) -> int:
        order_id = self._owner.host.submit(*args)
        self._owner._orders[order_id] = self._instance
        return order_id

    def close_position(self, symbol: str | None) -> int | None:
        order_id = self._owner.host.close_position(symbol)
        if order_id is not None:
            self._owner._orders[order_id] = self._instance
        return order_id


class _Scheduled(Strategy):
    """Base of the classes :func:`scheduled_strategy` makes (see the module docstring)."""

    walked: type[Strategy]
    legs: tuple[Leg, ...]

    def setup(self) -> None:
        self._indicators: dict[str, IndicatorHandle] = {}
        self._orders: dict[int, int] = {}  # order id -> instance that submitted it
        self._starts = [leg.start_ns for leg in self.legs]
        self._instances: list[Strategy] = []
        for k, leg in enumerate(self.legs):
            instance = self.walked.build(leg.params)
            instance._host = cast(StrategyHost, _InstanceHost(self, k))
            self._instances.append(instance)
            instance.setup()
        self._leg = -1

    def _active(self, ts_ns: int) -> int:
        k = bisect.bisect_right(self._starts, ts_ns) - 1
        return k if k >= 0 and ts_ns < self.legs[k].end_ns else -1

    def on_bar(self, bar: BarReceived) -> None:
        k = self._active(bar.ts_event_ns)
        if k != self._leg:
            self._flatten()
            self._leg = k
        if k >= 0:
            self._instances[k].on_bar(bar)

    def _flatten(self) -> None:
        for order_id in list(self.orders):
            self.cancel(order_id)
        for symbol, position in self.positions.items():
            if position.quantity:
                self.close_position(symbol)

    def _owner_of(self, order_id: int) -> Strategy | None:
        instance = self._orders.get(order_id)
        return None if instance is None else self._instances[instance]

    def on_fill(self, fill: FillEvent) -> None:
        owner = self._owner_of(fill.order_id)
        if owner is not None:
            owner.on_fill(fill)

    def on_stop(self) -> None:
        if self._leg >= 0:
            self._instances[self._leg].on_stop()


def _on_order(self: _Scheduled, event: EventBase) -> None:
    owner = self._owner_of(getattr(event, "order_id", 0) or 0)
    if owner is not None:
        owner.on_order(event)


def scheduled_strategy(walked: type[Strategy], legs: Sequence[Leg]) -> type[Strategy]:
    """A strategy class that trades ``walked`` with each leg's parameters on its time range
    (legs sorted, not overlapping) and is flat outside them. Its hook for broker answers
    exists only if ``walked`` has one, so the run waits for the broker no more than a run
    of ``walked`` would."""
    ordered = tuple(sorted(legs, key=lambda leg: leg.start_ns))
    for before, after in itertools.pairwise(ordered):
        if before.end_ns > after.start_ns:
            raise ValueError("walk-forward legs overlap")
    namespace: dict[str, Any] = {
        "walked": walked,
        "legs": ordered,
        "name": f"{walked.name} (walk-forward)",
        "__doc__": f"{walked.name} with its walk-forward parameters per window.",
    }
    if walked.on_order is not Strategy.on_order:
        namespace["on_order"] = _on_order
    return type(f"WalkForward{walked.__name__}", (_Scheduled,), namespace)
