"""Strategy code cannot hang, exit or corrupt a run: whatever it raises ends the run ``failed``,
a cancel interrupts code that never returns, a bad strategy file fails alone, and an essential
subscriber's error fails its run."""

from __future__ import annotations

import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk import Strategy
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    EventBase,
    FillEvent,
    OrderSubmissionRequest,
)
from ostdesk.engine.events.base import slot_setters
from ostdesk.engine.interrupt import Interrupted, UserCodeGuard
from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus, SubscriberFactory
from ostdesk.engine.sink import BufferedSink
from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.engine.subscriber import Subscriber
from tests.engine.data import random_walk_chunk

RUN_TIMEOUT_S = 10.0
CANCEL_BUDGET_S = 2.0


def _run(
    strategy: type[Strategy],
    n_bars: int = 500,
    subscribers: tuple[SubscriberFactory, ...] = (),
) -> BacktestRun:
    chunk = random_walk_chunk(1, n_bars)
    config = BacktestConfig(strategy=strategy, symbols=("S0",), period=BarPeriod.MINUTE)
    return BacktestRun(config, [chunk], len(chunk), subscribers=subscribers)


def _engine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ostdesk-")]


# -- strategy code that raises BaseException ------------------------------------------------------
def _exits(code: int) -> None:
    sys.exit(code)


def _interrupts() -> None:
    raise KeyboardInterrupt


class _Raises(Strategy):
    """Buys on its first bar (so that fills and order answers come), raises in ``hook``."""

    hook = ""
    raise_it = staticmethod(_interrupts)

    def setup(self) -> None:
        self._call("setup")

    def on_bar(self, bar: BarReceived) -> None:
        if not self.position and not self.orders:
            self.buy(1)
        self._call("on_bar")

    def on_fill(self, fill: FillEvent) -> None:
        self._call("on_fill")

    def on_order(self, event: EventBase) -> None:
        self._call("on_order")

    def on_stop(self) -> None:
        self._call("on_stop")

    def _call(self, hook: str) -> None:
        if hook == self.hook:
            self.raise_it()


def _raising(hook: str, raise_it: object) -> type[Strategy]:
    return type(f"Raises_{hook}", (_Raises,), {"hook": hook, "raise_it": staticmethod(raise_it)})


HOOKS = ["setup", "on_bar", "on_fill", "on_order", "on_stop"]


@pytest.mark.parametrize("hook", HOOKS)
def test_sys_exit_in_any_strategy_hook_fails_the_run_with_its_message(hook: str) -> None:
    run = _run(_raising(hook, lambda: _exits(3)))
    run.start()
    assert run.wait(RUN_TIMEOUT_S), "the run hung"
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.message == "SystemExit: 3"
    assert _engine_threads() == []


@pytest.mark.parametrize("hook", HOOKS)
def test_keyboard_interrupt_raised_by_any_strategy_hook_fails_the_run(hook: str) -> None:
    run = _run(_raising(hook, _interrupts))
    run.start()
    assert run.wait(RUN_TIMEOUT_S), "the run hung"
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.message == "KeyboardInterrupt: "
    assert _engine_threads() == []


def test_sys_exit_in_on_bar_ends_the_headless_run_instead_of_the_process() -> None:
    run = _run(_raising("on_bar", lambda: _exits(0))).run()
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.message == "SystemExit: 0"


# -- cancelling strategy code that never returns -----------------------------------------------
class _Endless(Strategy):
    """Never returns from its third bar."""

    entered = threading.Event()

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) >= 3:
            self.entered.set()
            while True:
                pass


class _EndlessOrders(Strategy):
    """Places orders forever from its third bar: the engine's order path runs all the time,
    and an interrupt must not land in it (the bus's pending count would be lost)."""

    entered = threading.Event()

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) >= 3:
            self.entered.set()
            while True:
                self.buy(1)
                self.cancel(self.buy(1, limit=1.0))


class _EndlessStop(Strategy):
    """Never returns from ``on_stop``: the run's end itself needs the interrupt."""

    entered = threading.Event()

    def on_stop(self) -> None:
        self.entered.set()
        while True:
            pass


@pytest.fixture(params=[_Endless, _EndlessOrders, _EndlessStop], ids=lambda s: s.__name__)
def endless(request: pytest.FixtureRequest) -> Iterator[type[Strategy]]:
    strategy: type[Strategy] = request.param
    strategy.entered.clear()  # type: ignore[attr-defined]
    yield strategy


def test_cancel_interrupts_strategy_code_that_never_returns(endless: type[Strategy]) -> None:
    run = _run(endless)
    run.start()
    assert endless.entered.wait(RUN_TIMEOUT_S)  # type: ignore[attr-defined]
    cancelled_at = time.monotonic()
    run.cancel()
    assert run.wait(CANCEL_BUDGET_S), "the cancel did not stop the strategy"
    assert time.monotonic() - cancelled_at < CANCEL_BUDGET_S
    assert run.status is RunStatus.CANCELLED
    assert run.error is None, "an interrupt is a cancel, not a failure"
    assert run.host is not None and run.host.interrupted
    assert _engine_threads() == []


def test_an_interrupted_strategy_gets_no_more_calls() -> None:
    calls: list[str] = []

    class Counts(_Endless):
        entered = threading.Event()

        def on_bar(self, bar: BarReceived) -> None:
            calls.append("on_bar")
            super().on_bar(bar)

        def on_stop(self) -> None:
            calls.append("on_stop")

    run = _run(Counts)
    run.start()
    assert Counts.entered.wait(RUN_TIMEOUT_S)
    run.cancel()
    assert run.wait(CANCEL_BUDGET_S)
    assert calls == ["on_bar"] * 3


def test_a_strategy_that_returns_in_time_is_not_interrupted_by_a_cancel() -> None:
    run = _run(_Raises, n_bars=200_000)  # raises nowhere: a plain, quick strategy
    run.start()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while run.bars_processed < 100 and time.monotonic() < deadline:
        run.bars_processed  # noqa: B018 (polls the feed's counter)
    run.cancel()
    assert run.wait(RUN_TIMEOUT_S)
    assert run.status is RunStatus.CANCELLED
    assert run.host is not None and not run.host.interrupted


def test_an_interrupt_lands_only_inside_strategy_code() -> None:
    """Hammer the guard from another thread while a thread goes in and out of "strategy code",
    which calls back into "engine code" (as an order does): every interrupt must be caught
    where strategy code is called, none in the engine's code."""
    guard = UserCodeGuard()
    stop = threading.Event()
    caught: list[BaseException] = []
    escaped: list[BaseException] = []

    def engine_code() -> None:
        try:
            for _ in range(100):
                pass
        except BaseException as exc:  # an interrupt in the engine's work: the bug
            escaped.append(exc)

    def strategy_code() -> None:
        for _ in range(30):
            pass
        outer = guard.pause()
        try:
            engine_code()
        finally:
            guard.resume(outer)
        for _ in range(30):
            pass

    def host() -> None:
        try:
            while not stop.is_set():
                try:
                    try:
                        guard.inside = threading.get_ident()
                        strategy_code()
                    finally:
                        guard.leave()
                except Interrupted as exc:
                    guard.leave()
                    caught.append(exc)
                engine_code()
        except BaseException as exc:  # an interrupt outside strategy code: the bug
            escaped.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # as many interleavings as possible
    thread = threading.Thread(target=host, name="test-host")
    try:
        thread.start()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and thread.is_alive():
            guard.interrupt()
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(switch)
    assert escaped == []
    assert len(caught) > 20


# -- strategy files -----------------------------------------------------------------------------
GOOD_FILE = """
from ostdesk import Strategy

class StillLoads(Strategy):
    pass
"""


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("import sys\nsys.exit(4)\n", 4, "SystemExit: 4"),
        ("raise KeyboardInterrupt\n", 3, "KeyboardInterrupt: "),
        ("raise SystemExit\n", 3, "SystemExit: "),
    ],
)
def test_a_strategy_file_that_exits_at_import_fails_alone(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "a_quits.py").write_text("from ostdesk import Strategy\n\n" + body)
    (folder / "b_good.py").write_text(textwrap.dedent(GOOD_FILE))

    catalog = load_strategies([folder])

    assert [(e.path.name, e.line) for e in catalog.errors] == [("a_quits.py", line)]
    assert catalog.errors[0].message == message
    assert "StillLoads" in catalog.strategies
    assert "SmaCross" in catalog.strategies  # the built-ins too


# -- essential subscribers ----------------------------------------------------------------------
class _FailingSink(BufferedSink):
    """A sink its run cannot go without (as the recorder is), whose writes fail."""

    def __init__(self, bus: EventBus, *, essential: bool) -> None:
        super().__init__(bus, name="failing-sink", interval=0.01)
        self.essential = essential
        self._subscribe(BarReceived)

    def _on_batch(self, events: list[EventBase]) -> None:
        raise OSError("disk full")


def test_an_error_in_an_essential_subscriber_cancels_the_run_and_fails_it() -> None:
    run = _run(
        _Raises, n_bars=500_000, subscribers=(lambda bus: _FailingSink(bus, essential=True),)
    )
    run.start()
    assert run.wait(RUN_TIMEOUT_S)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error.component == "failing-sink" and run.error.message == "OSError: disk full"
    assert run.bars_processed < 500_000, "cancelled promptly, not run to the end"


def test_an_error_in_a_non_essential_subscriber_is_reported_and_the_run_completes() -> None:
    run = _run(_Raises, subscribers=(lambda bus: _FailingSink(bus, essential=False),))
    run.run()
    assert run.status is RunStatus.COMPLETED
    assert run.error is not None and run.error.component == "failing-sink"


class _BrokenRequest(Subscriber):
    """A buggy component: at its first bar it publishes a submission request missing every
    field but its time, which the broker fails to answer."""

    def __init__(self, bus: EventBus) -> None:
        self._handlers = {BarReceived: self._on_bar}
        self.sent = False
        super().__init__(bus, name="broken-requests")
        self._subscribe(BarReceived)

    def _on_bar(self, bar: BarReceived) -> None:
        if not self.sent:
            self.sent = True
            request = object.__new__(OrderSubmissionRequest)
            (set_ts,) = slot_setters(OrderSubmissionRequest, "ts_event_ns")
            set_ts(request, bar.ts_event_ns)
            self._publish(request)


def test_an_error_in_the_broker_fails_the_run_not_completes_it() -> None:
    run = _run(_Raises, n_bars=200_000, subscribers=(_BrokenRequest,))
    run.start()
    assert run.wait(RUN_TIMEOUT_S)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.component == run.broker.name
    assert run.bars_processed < 200_000, "cancelled promptly, not run to the end"


class _ExitsInValidate(Strategy):
    def validate(self) -> None:
        sys.exit(3)


class _ExitsInInit(Strategy):
    def __init__(self, **params: object) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize("cls", [_ExitsInValidate, _ExitsInInit])
def test_a_strategy_that_exits_while_being_built_is_refused_as_a_parameter_error(
    cls: type[Strategy],
) -> None:
    config = BacktestConfig(strategy=cls, symbols=("S0",), period=BarPeriod.MINUTE)
    with pytest.raises(
        ParamError, match=f"{cls.__name__} raised (SystemExit: 3|KeyboardInterrupt)"
    ):
        config.make_strategy()
    [error] = cls.check_params({})
    assert error.field == "validate"
