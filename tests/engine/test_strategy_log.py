"""``self.log(...)`` is a fact on the bus: stamped with the bar it was said at, and printable."""

from __future__ import annotations

import io
from typing import Any

from ostdesk import Strategy
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import BarPeriod, BarReceived, StrategyLogged
from ostdesk.engine.events.logs import MAX_MESSAGE_CHARS, strategy_logged_factory
from ostdesk.engine.log_echo import LogEcho, bar_time_text, log_line
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from tests.engine.data import random_walk_chunk
from tests.engine.helpers import Recorder


class Talks(Strategy):
    """Logs in setup, on every third bar (text, a number, a huge text) and at the end."""

    def setup(self) -> None:
        self.log("ready")

    def on_bar(self, bar: BarReceived) -> None:
        n = len(self.close)
        if n % 3 == 0:
            self.log(f"bar {n} close {bar.close:.2f}")
        if n == 4:
            self.log(12.5)
        if n == 5:
            self.log("x" * (MAX_MESSAGE_CHARS + 123))

    def on_stop(self) -> None:
        self.log("done")


def _run(n_bars: int, *factories: Any) -> BacktestRun:
    chunk = random_walk_chunk(1, n_bars)
    config = BacktestConfig(strategy=Talks, symbols=("S0",), period=BarPeriod.MINUTE)
    return BacktestRun(config, [chunk], len(chunk), subscribers=list(factories)).run()


def _logged(n_bars: int) -> list[StrategyLogged]:
    """What a run of ``n_bars`` published, from a subscriber of the bus."""
    taps: list[Recorder] = []

    def tap(bus: EventBus) -> Recorder:
        taps.append(Recorder(bus, StrategyLogged))
        return taps[0]

    run = _run(n_bars, tap)
    assert run.status is RunStatus.COMPLETED, run.error
    return [e for e in taps[0].seen if isinstance(e, StrategyLogged)]


def test_each_log_is_published_with_the_bar_time_symbol_and_strategy() -> None:
    logged = _logged(9)
    chunk = random_walk_chunk(1, 9)
    ts = chunk.ts.tolist()
    short = [(e.ts_event_ns, e.message) for e in logged if len(e.message) < 100]
    assert short == [
        (0, "ready"),  # setup: before any bar
        (ts[2], f"bar 3 close {chunk.close[2]:.2f}"),
        (ts[3], "12.5"),  # not a str: str() of it
        (ts[5], f"bar 6 close {chunk.close[5]:.2f}"),
        (ts[8], f"bar 9 close {chunk.close[8]:.2f}"),
        (ts[8], "done"),  # on_stop: the last bar's time
    ]
    assert [e.ts_event_ns for e in logged if len(e.message) >= 100] == [ts[4]]
    assert [(e.strategy_id, e.symbol) for e in logged[:2]] == [("Talks", ""), ("Talks", "S0")]
    assert {(e.strategy_id, e.symbol) for e in logged[1:]} == {("Talks", "S0")}


def test_a_huge_message_is_cut_with_a_marker_saying_how_much() -> None:
    huge = next(e.message for e in _logged(6) if e.message.startswith("x"))
    assert huge.startswith("x" * MAX_MESSAGE_CHARS)
    assert huge.endswith("… [123 more characters cut]")
    assert len(huge) < MAX_MESSAGE_CHARS + 40


def test_echo_writes_every_message_as_a_line_with_the_bar_time_before_the_run_ends() -> None:
    stream = io.StringIO()
    run = _run(3, lambda bus: LogEcho(bus, stream))
    assert run.status is RunStatus.COMPLETED, run.error
    first = bar_time_text(int(random_walk_chunk(1, 3).ts[2]))
    close = random_walk_chunk(1, 3).close[2]
    assert stream.getvalue().splitlines() == [
        "setup Talks: ready",
        f"{first} Talks: bar 3 close {close:.2f}",
        f"{first} Talks: done",
    ]


def test_echo_writes_a_message_of_several_lines_as_one_line_with_its_breaks_marked() -> None:
    bus, stream = EventBus(), io.StringIO()
    echo = LogEcho(bus, stream)
    said = ["two\nlines", "windows\r\nstyle\r\n", "old\rmac", "para\u2029graph", "a\ttab"]
    for message in said:
        bus.publish(StrategyLogged(ts_event_ns=0, strategy_id="S", symbol="", message=message))
    echo.shutdown()
    assert stream.getvalue().split("\n") == [
        "setup S: two ⏎ lines",
        "setup S: windows ⏎ style",  # a trailing break: dropped
        "setup S: old ⏎ mac",
        "setup S: para ⏎ graph",
        "setup S: a\ttab",  # a tab breaks no line
        "",
    ]


def test_bar_time_shows_minutes_and_seconds_only_when_present() -> None:
    day = 1_092_873_600_000_000_000  # 2004-08-19 00:00 UTC
    assert bar_time_text(day) == "2004-08-19 00:00"
    assert bar_time_text(day + 90 * 10**9) == "2004-08-19 00:01:30"
    event = StrategyLogged(ts_event_ns=day, strategy_id="SmaCross", symbol="GOOG", message="hi")
    assert log_line(event) == "2004-08-19 00:00 SmaCross: hi"
    assert log_line(event, with_symbol=True) == "2004-08-19 00:00 SmaCross [GOOG]: hi"


def test_the_fast_factory_makes_an_event_equal_to_the_normal_one() -> None:
    made = strategy_logged_factory()(5, "S", "AAA", "hi")
    normal = StrategyLogged(
        ts_event_ns=5, ts_created_ns=made.ts_created_ns, strategy_id="S", symbol="AAA", message="hi"
    )
    assert made == normal
