"""Who waits for whom: a strategy host without an ``on_order`` hook leaves the broker's answers
out of the idle barrier (``Subscriber.uncounted``), so the broker goes on to the next
timestamp's bars without handing over to the host first. What a strategy sees and how its
orders fill must not change."""

from __future__ import annotations

from ostdesk import Strategy
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, EventBase, OrderAccepted
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.strategy_host import StrategyHost
from tests.engine.data import random_walk_chunk

SYMBOLS = ("S0", "S1")


class OrderFlow(Strategy):
    """Market, limit and stop orders (a buy stop placed while flat among them), cancels; notes
    what it sees on every bar: its position and its orders' statuses."""

    def setup(self) -> None:
        self.trace: list[tuple[int, str, float, tuple[tuple[int, str], ...]]] = []
        self.placed: dict[int, tuple[int, str]] = {}  # order id -> (decided at ts, kind)

    def on_bar(self, bar: BarReceived) -> None:
        orders = tuple(sorted((o.order_id, o.status) for o in self.orders.values()))
        self.trace.append((bar.ts_event_ns, bar.symbol, self.position.quantity, orders))
        cycle, step = divmod(len(self.close), 9)
        close = self.close[-1]
        if step == 1 and cycle % 2 == 0 and not self.position:
            oid, kind = self.buy(1), "market"
        elif step == 3 and cycle % 2 == 1 and not self.position:
            oid, kind = self.buy(1, stop=close * 1.001), "stop while flat"
        elif step == 5 and self.position:
            oid, kind = self.sell(self.position.quantity, limit=close * 1.0005), "limit"
        elif step == 7:
            for order in list(self.orders.values()):
                self.cancel(order.order_id)
            return
        elif step == 8 and self.position:
            oid, kind = self.close_position() or 0, "market"
        else:
            return
        self.placed[oid] = (bar.ts_event_ns, kind)


class OrderFlowWithHook(OrderFlow):
    """The same decisions, with an ``on_order`` hook: the answers are counted again."""

    def on_order(self, event: EventBase) -> None:
        pass


def _run(strategy: type[Strategy]) -> BacktestRun:
    chunk = random_walk_chunk(len(SYMBOLS), 400, seed=7)
    config = BacktestConfig(strategy=strategy, symbols=SYMBOLS, period=BarPeriod.MINUTE)
    run = BacktestRun(config, [chunk], len(chunk)).run()
    assert run.status is RunStatus.COMPLETED, run.error
    return run


def test_only_a_host_without_an_on_order_hook_leaves_the_answers_out_of_the_barrier() -> None:
    bus = EventBus()
    without, with_hook = (
        StrategyHost(bus, cls(), symbols=SYMBOLS, strategy_id=cls.__name__)
        for cls in (OrderFlow, OrderFlowWithHook)
    )
    try:
        assert OrderAccepted in without.uncounted and not with_hook.uncounted
        bus.publish(OrderAccepted(ts_event_ns=1, order_id=1, strategy_id="OrderFlow"))
        assert bus.idle.pending == 1  # counted for the host with the hook only
        assert bus.wait_until_system_idle(5)
    finally:
        without.shutdown()
        with_hook.shutdown()


def test_answers_out_of_the_barrier_change_nothing_a_strategy_sees_or_how_orders_fill() -> None:
    plain, hooked = _run(OrderFlow), _run(OrderFlowWithHook)
    assert isinstance(plain.strategy, OrderFlow) and isinstance(hooked.strategy, OrderFlow)
    assert plain.strategy.trace == hooked.strategy.trace
    assert plain.broker is not None and hooked.broker is not None
    fills = [(f.ts_event_ns, f.order_id, f.price) for f in plain.broker.fills]
    assert fills == [(f.ts_event_ns, f.order_id, f.price) for f in hooked.broker.fills]
    # a market order decided on bar t fills at t+1's open, a stop placed while flat triggers
    bars = random_walk_chunk(len(SYMBOLS), 400, seed=7)
    opens = {
        (int(t), SYMBOLS[s]): o
        for t, s, o in zip(bars.ts, bars.symbol_index, bars.open, strict=True)
    }
    minute = 60_000_000_000
    kinds = []
    for fill in plain.broker.fills:
        decided, kind = plain.strategy.placed[fill.order_id]
        kinds.append(kind)
        assert fill.ts_event_ns > decided
        if kind == "market":
            assert fill.ts_event_ns == decided + minute
            assert fill.price == opens[(fill.ts_event_ns, fill.symbol)]
    assert kinds.count("market") > 10 and kinds.count("stop while flat") > 0
