"""The stitched out-of-sample run of a walk-forward: one recorded run over every
out-of-sample window, whose strategy switches to each window's chosen parameters at the
window's start, so the whole out-of-sample record opens in the chart, blotters and replay as
one run (its equity continuous, its statistics computed as any run's).

:func:`scheduled_strategy` builds the switching strategy: a ``Strategy`` holding one
instance of the walked strategy per window, all set up before the first bar on the run's one
host. Each instance sees only the bars of its own window, as a separate out-of-sample run
would; at a window's first bar the previous window's working orders are cancelled and its
positions closed (market orders, trading from the next bar), so every window starts flat, as
its own run does: until those closing orders fill, the new window's instance sees the position
they leave (flat) and only its own working orders, so it trades at its first bar as its own run
would, and a ``close_position`` of its there sends nothing (the position is not sold twice).
Indicators two instances declare alike (``SMA(10)`` for both) are declared
once and shared: their values are the same. Fills and broker answers reach the instance whose
order they are about; those of the closing orders reach none. Unlike separate out-of-sample
runs, an instance's indicators have seen every bar of the run (they are warm at its window's
start). ``line_spans`` tells, per indicator line, the windows whose instance declared it: a
recorded stitched run keeps each line's values there only (``walkforward.record_stitched``),
so its chart draws each window's indicators over that window.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ostdesk.engine.events import BarReceived, EventBase, FillEvent, TimeInForce
from ostdesk.engine.indicators import Indicator
from ostdesk.engine.portfolio import Portfolio, Position
from ostdesk.engine.strategy import IndicatorHandle, Strategy
from ostdesk.engine.strategy_host import StrategyHost
from ostdesk.engine.strategy_state import OrderState, SymbolState

SUFFIX = " (walk-forward)"
"""Ends the name of every strategy :func:`scheduled_strategy` makes: a stitched run's
``strategy`` in the runs table."""


def rerun_refusal(run: Mapping[str, Any]) -> str | None:
    """Why the recorded ``run`` (a ``get_run`` row) cannot run again as one backtest, in a
    sentence for the window (None: it can). A stitched run's strategy switches parameters at
    each window's start, with legs no stored configuration holds: it is the walk-forward that
    runs again."""
    if not str(run["strategy"]).endswith(SUFFIX):
        return None
    return (
        f"Run {run['run_id']} is the stitched out-of-sample run of a walk-forward: each window "
        "traded the parameters its own in-sample study chose (the run's notes list them), so "
        "it does not run again as one backtest. To run it again, walk the study forward "
        "again with the same window lengths (Run > Walk-forward… in the window, ostdesk "
        "walkforward STUDY on the command line)."
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Leg:
    """Trade ``params`` on ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int
    params: Mapping[str, Any]


def _net(position: Position, closing: float) -> Position:
    """``position`` as it will be once orders closing ``closing`` of it have filled."""
    if not closing:
        return position
    net = Position(position.symbol)
    net.quantity = position.quantity - closing
    net.avg_price = position.avg_price if net.quantity else 0.0
    net.last_price = position.last_price
    return net


class _NetPortfolio:
    """The run's portfolio with its positions net of the pending closing orders."""

    def __init__(self, portfolio: Portfolio, closing: Mapping[str, float]) -> None:
        self._portfolio = portfolio
        self.positions = {
            symbol: _net(position, closing.get(symbol, 0.0))
            for symbol, position in portfolio.positions.items()
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self._portfolio, name)

    def position(self, symbol: str) -> Position:
        held = self.positions.get(symbol)
        return self._portfolio.position(symbol) if held is None else held


class _NetState:
    """The bar's symbol state with its position net of the pending closing orders."""

    def __init__(self, state: SymbolState, position: Position) -> None:
        self._state = state
        self.position = position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._state, name)


class _InstanceHost:
    """The host as one instance sees it: everything is the run's host, but an indicator
    declared already is shared, the orders it submits are remembered as its own (and are
    the only ones it sees working), and positions are net of the closing orders sent at its
    window's start."""

    def __init__(self, owner: _Scheduled, instance: int) -> None:
        self._owner = owner
        self._instance = instance

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner.host, name)

    @property
    def working(self) -> dict[int, OrderState]:
        owners, instance = self._owner._orders, self._instance
        return {i: o for i, o in self._owner.host.working.items() if owners.get(i) == instance}

    @property
    def portfolio(self) -> Portfolio | _NetPortfolio:
        portfolio = self._owner.host.portfolio
        closing = self._owner._closing_quantities()
        return _NetPortfolio(portfolio, closing) if closing else portfolio

    @property
    def current(self) -> SymbolState | _NetState:
        host = self._owner.host
        current = host.current
        closing = self._owner._closing_quantities().get(current.symbol)
        if not closing:
            return current
        return _NetState(current, _net(host.portfolio.position(current.symbol), closing))

    def add_indicator(self, indicator: Indicator) -> IndicatorHandle:
        self._owner._lines[self._instance].update(indicator.line_labels())
        shared = self._owner._indicators
        if indicator.label not in shared:
            shared[indicator.label] = self._owner.host.add_indicator(indicator)
        return shared[indicator.label]

    def submit(self, *args: Any) -> int:
        order_id = self._owner.host.submit(*args)
        self._owner._orders[order_id] = self._instance
        return order_id

    def close_position(self, symbol: str | None) -> int | None:
        symbol = symbol or self._owner.host.current.symbol
        qty = self.portfolio.position(symbol).quantity
        if qty == 0.0:
            return None
        return self.submit(qty < 0, abs(qty), None, None, TimeInForce.GTC, None, symbol)


class _Scheduled(Strategy):
    """Base of the classes :func:`scheduled_strategy` makes (see the module docstring)."""

    walked: type[Strategy]
    legs: tuple[Leg, ...]

    def setup(self) -> None:
        self._indicators: dict[str, IndicatorHandle] = {}
        self._orders: dict[int, int] = {}  # order id -> instance that submitted it
        self._closing: dict[int, tuple[str, float]] = {}  # order id -> symbol, quantity closed
        self._starts = [leg.start_ns for leg in self.legs]
        self._lines: list[set[str]] = [set() for _ in self.legs]  # indicator lines per instance
        self._instances: list[Strategy] = []
        for k, leg in enumerate(self.legs):
            instance = self.walked.build(leg.params)
            instance._host = cast(StrategyHost, _InstanceHost(self, k))
            self._instances.append(instance)
            instance.setup()
        self._leg = -1

    def line_spans(self) -> dict[str, list[tuple[int, int]]]:
        """Per indicator line, the ``[start_ns, end_ns)`` ranges of the windows whose instance
        declared it: where the line is one the strategy traded on (elsewhere the run's
        indicators are computed too, but another window's parameters traded)."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for leg, lines in zip(self.legs, self._lines, strict=True):
            for line in sorted(lines):
                spans.setdefault(line, []).append((leg.start_ns, leg.end_ns))
        return spans

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
                closing = self.close_position(symbol)
                if closing is not None:
                    self._closing[closing] = (symbol, position.quantity)

    def _closing_quantities(self) -> dict[str, float]:
        """The quantity per symbol that closing orders still working will close (an order
        leaves the host's working orders, filled or refused, before strategy code runs)."""
        if not self._closing:
            return {}
        working = self.host.working
        for order_id in [i for i in self._closing if i not in working]:
            del self._closing[order_id]
        closing: dict[str, float] = {}
        for symbol, quantity in self._closing.values():
            closing[symbol] = closing.get(symbol, 0.0) + quantity
        return closing

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


def line_spans(strategy: Strategy) -> dict[str, list[tuple[int, int]]]:
    """:meth:`_Scheduled.line_spans` of a run's strategy made by :func:`scheduled_strategy`
    (empty for any other)."""
    return strategy.line_spans() if isinstance(strategy, _Scheduled) else {}


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
        "name": f"{walked.name}{SUFFIX}",
        "__doc__": f"{walked.name} with its walk-forward parameters per window.",
    }
    if walked.on_order is not Strategy.on_order:
        namespace["on_order"] = _on_order
    return type(f"WalkForward{walked.__name__}", (_Scheduled,), namespace)
