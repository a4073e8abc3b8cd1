"""Runs a backtest: wires the bus, broker, strategy, datafeed and any extra subscribers
(recorder, GUI bridge), in background threads, with progress, cancellation and a clean end.

Two executors run the same components and record the same events (``BacktestConfig.executor``):
``"threaded"`` (the default, what the window runs) gives every subscriber its own thread;
``"sync"`` (:mod:`ostdesk.engine.inline`, for sweeps and ``ostdesk backtest --fast``) delivers
every event on the run's one thread, several times faster. Both have the same API, status,
errors, progress and cancel (an endless strategy loop included).

The engine does not know the store: the caller passes the bar chunks (``ostdesk.store``'s
``bar_chunks``) and factories for extra subscribers. Every thread this starts is joined before
``wait()`` returns, whatever happened (a run started with ``hold`` first waits for ``release``
or ``cancel``); a ``start`` that raises joins what it had started.

Ending: a run ends ``failed`` when its strategy raised (anything, ``SystemExit`` included), its
datafeed failed, or an *essential* extra subscriber (``Subscriber.essential``: the recorder)
reported an error; each of these cancels the run at once. ``cancel`` ends it ``cancelled``
within about ``INTERRUPT_GRACE_S``, even when strategy code never returns: after that grace,
strategy code still running is interrupted (``ostdesk.engine.interrupt``). ``run`` turns a
Ctrl-C of the waiting thread into a cancel, waits for the run's end, and re-raises.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ostdesk.engine import gc_policy
from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.bar_tape import BarTape
from ostdesk.engine.broker import SimulatedBroker
from ostdesk.engine.bus import EventBus
from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.errors import ComponentError, ErrorSink
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.inline import InlineBus
from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_host import StrategyHost
from ostdesk.engine.subscriber import Subscriber

EXECUTORS = ("threaded", "sync")
"""How a run delivers its events: a thread per subscriber, or all on one thread (``inline``)."""


class RunStatus(enum.Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclasses.dataclass(frozen=True)
class BacktestConfig:
    """Everything that defines a backtest, and nothing about how it is shown or stored."""

    strategy: type[Strategy]
    symbols: tuple[str, ...]
    period: BarPeriod
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    start_ns: int | None = None
    end_ns: int | None = None
    capital: float = 100_000.0
    commission: CommissionModel = dataclasses.field(default_factory=CommissionModel)
    slippage_ticks: float = 0.0
    tick_sizes: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max_leverage: float | None = None
    name: str = ""
    executor: str = "threaded"
    """One of ``EXECUTORS``; the results do not depend on it, only the speed and threads."""

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(
                f"unknown executor {self.executor!r}; use one of {', '.join(EXECUTORS)}"
            )
        if not self.symbols:
            raise ValueError("a backtest needs at least one symbol")
        if not (self.capital > 0 and math.isfinite(self.capital)):
            raise ValueError(
                f"initial capital must be a positive finite amount, got {self.capital:g}"
            )
        if not (self.slippage_ticks >= 0 and math.isfinite(self.slippage_ticks)):
            raise ValueError(
                f"slippage must be a finite number of ticks, 0 or more, got {self.slippage_ticks:g}"
            )
        for symbol, tick in self.tick_sizes.items():
            if not (tick > 0 and math.isfinite(tick)):
                raise ValueError(f"the tick size of {symbol} must be a positive number, got {tick}")
        if self.max_leverage is not None and not (
            self.max_leverage > 0 and math.isfinite(self.max_leverage)
        ):
            raise ValueError(
                "maximum leverage must be a positive finite number (or none, for no limit), "
                f"got {self.max_leverage:g}"
            )
        if self.start_ns is not None and self.end_ns is not None and self.end_ns < self.start_ns:
            raise ValueError("the end of the date range is before its start")

    def make_strategy(self) -> Strategy:
        return self.strategy.build(self.params)


SubscriberFactory = Callable[[EventBus], Subscriber]

STOP_TIMEOUT_S = 2.0
"""How long ``run`` waits for a run it cancelled on Ctrl-C before giving up on it."""

INTERRUPT_GRACE_S = 0.25
"""After a cancel, how long strategy code may go on before it is interrupted (and again, every
this often, while the run has not ended)."""


class BacktestRun:
    """One backtest in background threads: ``start()`` (or ``start(hold=True)`` and, later,
    ``release()``), then ``wait()`` or ``cancel()``."""

    def __init__(
        self,
        config: BacktestConfig,
        chunks: Iterable[BarChunk] | BarTape,
        total_bars: int,
        *,
        subscribers: Sequence[SubscriberFactory] = (),
        errors: ErrorSink | None = None,
    ) -> None:
        self.config = config
        self.strategy = config.make_strategy()  # parameter errors surface here, before threads
        self.bus = InlineBus(errors) if config.executor == "sync" else EventBus(errors)
        self.status = RunStatus.RUNNING
        self.error: ComponentError | None = None
        self.started_at = 0.0
        self.ended_at = 0.0
        self._chunks = chunks
        self._total = total_bars
        self._factories = subscribers
        self._finished = threading.Event()
        self._released = threading.Event()
        self._held_at = 0.0
        self.held_for = 0.0
        """How long the run was held (``start(hold=True)`` to ``release``): not in ``elapsed``."""
        self._cancel_requested = False
        self._fatal = False  # an error that ends the run failed was reported
        self._watchdog: threading.Thread | None = None
        self._watchdog_lock = threading.Lock()
        self._listeners: list[Callable[[BacktestRun], None]] = []
        self._thread: threading.Thread | None = None
        self.broker: SimulatedBroker | None = None
        self.host: StrategyHost | None = None
        self.datafeed: HistoricalDatafeed | None = None
        self.extra: list[Subscriber] = []
        self.recording: Any = None  # set by whoever records the run (ostdesk.store)

    # -- control -------------------------------------------------------------------------------
    def start(self, *, hold: bool = False) -> None:
        """Build the run's components and start it. With ``hold``, everything is built and
        waiting, but the first bar is published only at :meth:`release` (or ``cancel``): a
        window prepares its widgets for the run in between, and that work then neither
        competes with the run nor counts in its ``elapsed``."""
        cfg = self.config
        bus = self.bus
        bus.errors.add_listener(self._on_error)
        self.started_at = time.perf_counter()
        gc_policy.run_started()
        try:
            for factory in self._factories:
                self.extra.append(factory(bus))
            self.broker = SimulatedBroker(
                bus,
                capital=cfg.capital,
                commission=cfg.commission,
                slippage_ticks=cfg.slippage_ticks,
                tick_size=dict(cfg.tick_sizes),
                symbols=cfg.symbols,
                max_leverage=cfg.max_leverage,
            )
            self.host = StrategyHost(bus, self.strategy, symbols=cfg.symbols, capital=cfg.capital)
            self.datafeed = HistoricalDatafeed(
                bus, cfg.symbols, cfg.period, self._chunks, self._total
            )
        except BaseException:
            built = [s for s in (self.host, self.broker) if s is not None]
            for sub in (*built, *self.extra):  # no thread may outlive a failed start
                sub.shutdown()
            bus.errors.remove_listener(self._on_error)
            gc_policy.run_ended()
            self.started_at = 0.0  # never started: no elapsed time
            raise
        if self.host.failed is not None:  # setup() raised
            self._cancel_requested = True
        self._thread = threading.Thread(target=self._supervise, name="ostdesk-runner", daemon=True)
        self._held_at = time.perf_counter() if hold else 0.0
        if not hold:
            self._released.set()
        self._thread.start()

    def release(self) -> None:
        """Let a run started with ``hold`` go (no-op otherwise, or if already released)."""
        if not self._released.is_set():
            if self._held_at:  # not a cancel before start
                self.held_for = time.perf_counter() - self._held_at
            self._released.set()

    def cancel(self) -> None:
        """Stop after the current timestamp; the run ends ``cancelled``. Strategy code that
        has not returned ``INTERRUPT_GRACE_S`` later is interrupted. Never blocks: callable
        from any thread, an error listener included."""
        self._cancel_requested = True
        if self.datafeed is not None:
            self.datafeed.cancel()
        self.release()
        with self._watchdog_lock:
            if self._watchdog is None and self._thread is not None and not self.done:
                self._watchdog = threading.Thread(
                    target=self._interrupt_stuck_strategy, name="ostdesk-cancel", daemon=True
                )
                self._watchdog.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ended and every thread is joined; False on timeout."""
        if not self._finished.wait(timeout):
            return False
        if self._thread is not None:
            self._thread.join()
        with self._watchdog_lock:
            watchdog = self._watchdog
        if watchdog is not None:
            watchdog.join()
        return True

    def run(self) -> BacktestRun:
        """Start and wait: the headless way. A ``KeyboardInterrupt`` while waiting (Ctrl-C)
        cancels the run, waits up to ``STOP_TIMEOUT_S`` for its end (recorded ``cancelled`` by
        the done listeners), and is raised again, whether the run ended or not (strategy code
        blocked in one long C call, such as ``time.sleep``, cannot be interrupted: ``done``
        then says so, and the caller marks the run); a second one while that lasts is not
        held back."""
        self.start()
        try:
            self.wait()
        except KeyboardInterrupt:
            self.cancel()
            self.wait(STOP_TIMEOUT_S)
            raise
        return self

    def add_done_listener(self, listener: Callable[[BacktestRun], None]) -> None:
        """Called on the runner thread once the run has ended and its threads are joined."""
        self._listeners.append(listener)

    # -- state ---------------------------------------------------------------------------------
    @property
    def progress(self) -> float:
        return self.datafeed.progress if self.datafeed is not None else 0.0

    @property
    def bars_processed(self) -> int:
        return self.datafeed.bars_published if self.datafeed is not None else 0

    @property
    def elapsed(self) -> float:
        if not self.started_at:
            return 0.0
        end = self.ended_at or time.perf_counter()
        if self._released.is_set():
            held = self.held_for
        elif self._held_at:  # held now
            held = end - self._held_at
        else:  # still being built
            held = 0.0
        return end - self.started_at - held

    @property
    def bars_per_second(self) -> float:
        elapsed = self.elapsed
        return self.bars_processed / elapsed if elapsed > 0 else 0.0

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    # -- internals -----------------------------------------------------------------------------
    def _on_error(self, error: ComponentError) -> None:
        if self.error is None:
            self.error = error
        essential = any(
            s is not None and s.essential and s.name == error.component
            for s in (self.broker, *self.extra)
        )
        if essential or error.component == "datafeed":
            self._fatal = True
        if essential or error.component.startswith("strategy") or error.component == "datafeed":
            self.cancel()  # documented policy: a failing strategy ends the run as failed

    def _interrupt_stuck_strategy(self) -> None:
        """After a cancel: interrupt strategy code that goes on past the grace period, until
        the run has ended (each stay in strategy code is interrupted once at most)."""
        while not self._finished.wait(INTERRUPT_GRACE_S):
            if self.host is not None:
                self.host.guard.interrupt()

    def _supervise(self) -> None:
        assert self.datafeed is not None and self.host is not None and self.broker is not None
        try:
            self._released.wait()
            if self._cancel_requested:
                pass
            elif self.bus.inline:  # this thread replays the bars and, waiting for idle, runs
                self.datafeed.replay_here()  # every handler: the run's one thread
            else:
                self.datafeed.start()
                self.datafeed.join()
            self.bus.wait_until_system_idle()
            self.host.finish()
            self.bus.wait_until_system_idle()
        finally:
            for sub in (self.host, self.broker, *self.extra):
                sub.shutdown()
            self.ended_at = time.perf_counter()
            if self.error is not None and (self.host.failed is not None or self._fatal):
                self.status = RunStatus.FAILED
            elif self._cancel_requested:
                self.status = RunStatus.CANCELLED
            else:
                self.status = RunStatus.COMPLETED
            self.bus.errors.remove_listener(self._on_error)
            gc_policy.run_ended()
            try:
                for listener in self._listeners:
                    try:
                        listener(self)
                    except Exception as exc:
                        self.bus.errors.report("runner", exc)
            finally:
                self._finished.set()  # whatever a listener did, wait() returns
