"""A real bus with a real SimulatedBroker, driven one timestamp at a time like the datafeed."""

from __future__ import annotations

from typing import Any

from ostdesk.engine.broker import SimulatedBroker
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    BarsComplete,
    CancellationAccepted,
    CancellationRejected,
    EventBase,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderCancellationRequest,
    OrderExpired,
    OrderModificationRequest,
    OrderRejected,
    OrdersMatched,
    OrderSubmissionRequest,
    OrderType,
    Side,
)
from tests.engine.helpers import Recorder

ANSWERS = (
    OrderAccepted,
    OrderRejected,
    ModificationAccepted,
    ModificationRejected,
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    OrderExpired,
    OrdersMatched,
)


class BrokerHarness:
    period = BarPeriod.MINUTE
    """The period of the bars ``bar`` publishes."""

    def __init__(self, **broker_kwargs: Any) -> None:
        self.bus = EventBus()
        self.broker = SimulatedBroker(self.bus, **broker_kwargs)
        self.out = Recorder(self.bus, *ANSWERS, name="answers")
        self._next_id = 0

    def submit(
        self,
        ts: int,
        side: Side = Side.BUY,
        order_type: OrderType = OrderType.MARKET,
        quantity: float = 1,
        symbol: str = "X",
        **fields: Any,
    ) -> int:
        self._next_id += 1
        self.bus.publish(
            OrderSubmissionRequest(
                ts_event_ns=ts,
                order_id=fields.pop("order_id", self._next_id),
                strategy_id="t",
                symbol=symbol,
                side=side,
                order_type=order_type,
                quantity=quantity,
                **fields,
            )
        )
        self.bus.wait_until_system_idle()
        return self._next_id

    def modify(self, ts: int, order_id: int, **fields: Any) -> None:
        self.bus.publish(
            OrderModificationRequest(ts_event_ns=ts, order_id=order_id, strategy_id="t", **fields)
        )
        self.bus.wait_until_system_idle()

    def cancel(self, ts: int, order_id: int) -> None:
        self.bus.publish(
            OrderCancellationRequest(ts_event_ns=ts, order_id=order_id, strategy_id="t")
        )
        self.bus.wait_until_system_idle()

    def bar(self, ts: int, o: float, h: float, lo: float, c: float, symbol: str = "X") -> None:
        """Publish one timestamp's bar and its BarsComplete, then wait, like the datafeed."""
        self.bus.publish(
            BarReceived(
                ts_event_ns=ts,
                symbol=symbol,
                period=self.period,
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=100,
            )
        )
        self.bus.publish(BarsComplete(ts_event_ns=ts, count=1))
        self.bus.wait_until_system_idle()

    def of(self, kind: type[EventBase]) -> list[Any]:
        return [e for e in self.out.seen if type(e) is kind]

    def fills(self) -> list[tuple[int, float, float]]:
        return [(f.ts_event_ns, f.price, f.quantity) for f in self.of(FillEvent)]

    def close(self) -> None:
        self.broker.shutdown()
        self.out.shutdown()
