"""Small real subscribers used by the engine tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, EventBase
from ostdesk.engine.subscriber import Subscriber


def bar(ts: int, symbol: str = "X", close: float = 1.0) -> BarReceived:
    return BarReceived(
        ts_event_ns=ts,
        symbol=symbol,
        period=BarPeriod.MINUTE,
        open=close,
        high=close,
        low=close,
        close=close,
        volume=1.0,
    )


class Recorder(Subscriber):
    """Keeps every event it handles, optionally running a hook on each."""

    def __init__(
        self,
        bus: EventBus,
        *types: type[EventBase],
        hook: Callable[[Recorder, EventBase], None] | None = None,
        name: str | None = None,
    ) -> None:
        self.seen: list[EventBase] = []
        self.lock = threading.Lock()
        self.hook = hook
        super().__init__(bus, name=name)
        self._subscribe(*types)

    def _on_event(self, event: EventBase) -> None:
        with self.lock:
            self.seen.append(event)
        if self.hook is not None:
            self.hook(self, event)

    def publish(self, event: EventBase) -> None:
        self._publish(event)
