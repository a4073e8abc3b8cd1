"""A message logged in ``on_fill`` or ``on_order`` is stamped at the bar the fill or expiry
happened on, with the order's symbol: they arrive before ``on_bar`` of that bar, and a replay
showing the message at the bar before would announce a fill that has not happened yet."""

from __future__ import annotations

from typing import Any

from ostdesk import FillEvent, OrderAccepted, OrderExpired, Strategy
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, StrategyLogged
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from tests.engine.data import random_walk_chunk
from tests.engine.helpers import Recorder

MINUTE_NS = 60_000_000_000


class TellsOfFills(Strategy):
    """Buys the second symbol at market and sends a limit far below that lives one bar (on the
    third bar of the first), and says what the broker did in its hooks."""

    def setup(self) -> None:
        self.fill_times: list[tuple[int, int]] = []

    def on_bar(self, bar: BarReceived) -> None:
        if bar.symbol == "S0" and len(self.close) == 3:
            self.buy(1, symbol="S1")
            expire = self.time_ns + MINUTE_NS + 1  # live for the next bar only
            self.buy(1, limit=1.0, tif="GTD", expire_ns=expire)

    def on_fill(self, fill: FillEvent) -> None:
        self.log(f"filled {fill.order_id}")
        self.fill_times.append((self.time_ns, fill.ts_event_ns))

    def on_order(self, event: Any) -> None:
        if isinstance(event, OrderAccepted | OrderExpired):
            self.log(f"{type(event).__name__} {event.order_id}")


def test_hook_messages_carry_the_bar_of_the_fill_or_expiry_they_answer() -> None:
    chunk = random_walk_chunk(2, 8)
    taps: list[Recorder] = []

    def tap(bus: EventBus) -> Recorder:
        taps.append(Recorder(bus, StrategyLogged))
        return taps[0]

    config = BacktestConfig(strategy=TellsOfFills, symbols=("S0", "S1"), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk), subscribers=[tap]).run()
    assert run.status is RunStatus.COMPLETED, run.error

    first = int(chunk.ts[0])
    said = {
        e.message: ((e.ts_event_ns - first) // MINUTE_NS, e.symbol)
        for e in taps[0].seen
        if isinstance(e, StrategyLogged)
    }
    assert said == {
        "OrderAccepted 1": (2, "S1"),  # answers carry the bar the order was decided on
        "OrderAccepted 2": (2, "S0"),
        "filled 1": (3, "S1"),  # the market order filled at the next bar's open, on S1
        "OrderExpired 2": (3, "S0"),
    }


def test_time_ns_in_on_fill_is_the_time_of_the_fills_bar_not_the_bar_before() -> None:
    chunk = random_walk_chunk(2, 8)
    config = BacktestConfig(strategy=TellsOfFills, symbols=("S0", "S1"), period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED, run.error
    strategy = run.strategy
    assert isinstance(strategy, TellsOfFills)
    first = int(chunk.ts[0])
    assert [((seen - first) // MINUTE_NS, fill - seen) for seen, fill in strategy.fill_times] == [
        (3, 0)
    ]
