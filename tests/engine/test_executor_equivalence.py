"""Both executors record the same run: for the built-in strategies (the recorder's rows) and for
random order flows drawn by Hypothesis (every event published, its creation time aside)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ostdesk import Strategy
from ostdesk.engine.bar_tape import BarTape
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import (
    ALL_EVENT_TYPES,
    BarBlock,
    BarPeriod,
    BarReceived,
    EventBase,
    FillEvent,
    IndicatorBlock,
)
from ostdesk.engine.runner import EXECUTORS, BacktestConfig, BacktestRun, RunStatus
from ostdesk.engine.sink import BufferedSink
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.run_schema import EVENT_TABLES, HEADLINE_STATS
from ostdesk.strategies.bollinger_breakout import BollingerBreakout
from ostdesk.strategies.pairs_momentum import RelativeMomentum
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk

# -- the built-in strategies, through the recorder ----------------------------------------------


def _recorded(db: Database, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a run, table by table in the order written, without its run id."""
    con = db.connection
    rows = {
        table: con.execute(
            f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ? ORDER BY rowid", [run_id]
        ).fetchall()
        for table in EVENT_TABLES
    }
    rows["runs"] = con.execute(
        f"SELECT status, bars, {', '.join(HEADLINE_STATS)} FROM runs WHERE run_id = ?", [run_id]
    ).fetchall()
    return rows


FIRST_WEEK_END_NS = int(np.datetime64("2024-01-13", "ns").astype(np.int64))
"""The demo data's first week (of four): five sessions of 390 minute bars a symbol."""


@pytest.mark.parametrize(
    "strategy", [SmaCross, RsiReversion, BollingerBreakout, RelativeMomentum], ids=lambda s: s.name
)
def test_a_built_in_strategy_records_the_same_rows_under_both_executors(
    db: Database, strategy: type[Strategy]
) -> None:
    symbols = tuple(install_demo_data(db)[:3])
    records = []
    for executor in EXECUTORS:
        config = BacktestConfig(
            strategy=strategy,
            symbols=symbols,
            period=BarPeriod.MINUTE,
            end_ns=FIRST_WEEK_END_NS,
            executor=executor,
        )
        run = prepare_backtest(db, config)
        run.run()
        assert run.status is RunStatus.COMPLETED
        records.append(_recorded(db, run.recording.run_id))
    threaded, sync = records
    assert len(threaded["run_fills"]) > 10  # the strategy traded: there was something to differ
    assert sync == threaded
    assert db.connection.execute("SELECT list(executor ORDER BY run_id) FROM runs").fetchone() == (
        list(EXECUTORS),
    )


# -- random order flows, every event ------------------------------------------------------------

SYMBOLS = ("A", "B", "C")
BARS = 30  # per symbol, an hour apart: DAY orders expire within a run


@dataclasses.dataclass(frozen=True)
class Submit:
    symbol: str
    buy: bool
    quantity: float
    kind: str  # market | limit | stop | stop_limit
    offset: float  # of the limit/stop from the last close, as a fraction
    tif: str  # gtc | day | gtd
    expire_bars: int


@dataclasses.dataclass(frozen=True)
class Modify:
    which: int  # counted back from the latest order submitted
    quantity: float | None
    offset: float | None


@dataclasses.dataclass(frozen=True)
class Cancel:
    which: int


Action = Submit | Modify | Cancel

submits = st.builds(
    Submit,
    symbol=st.sampled_from(SYMBOLS),
    buy=st.booleans(),
    quantity=st.sampled_from([1.0, 7.0, 25.5, 3.0, 0.0]),  # 0: rejected
    kind=st.sampled_from(["market", "limit", "stop", "stop_limit"]),
    offset=st.floats(-0.006, 0.006),
    tif=st.sampled_from(["gtc", "day", "gtd"]),
    expire_bars=st.integers(-1, 4),  # <= 0: an expiry GTD refuses
)
modifies = st.builds(
    Modify,
    which=st.integers(0, 5),
    quantity=st.none() | st.sampled_from([2.0, 11.0, -1.0]),  # -1: rejected
    offset=st.none() | st.floats(-0.006, 0.006),
)
actions: st.SearchStrategy[Action] = submits | modifies | st.builds(Cancel, which=st.integers(0, 5))
scripts = st.dictionaries(
    st.integers(1, BARS * len(SYMBOLS)),
    st.lists(actions, min_size=1, max_size=4),
    min_size=12,
    max_size=40,
)


class Scripted(Strategy):
    """Carries out a drawn script: at its n-th bar, the actions listed under n; it closes the
    position of a fill's symbol when ``react`` (orders placed from a hook), and logs answers."""

    script: dict[int, list[Action]] = {}
    react = False

    def setup(self) -> None:
        self.ids: list[int] = []

    def on_bar(self, bar: BarReceived) -> None:
        for action in self.script.get(self.host.bars_seen, ()):
            self._do(action, bar)

    def _do(self, action: Action, bar: BarReceived) -> None:
        close = self.close.of(bar.symbol)[-1] if self.close.of(bar.symbol) else bar.close
        hour = BarPeriod.HOUR.value
        if isinstance(action, Submit):
            price = round(close * (1 + action.offset), 2)
            other = round(close * (1 - action.offset), 2)
            limit = {"limit": price, "stop_limit": other}.get(action.kind)
            stop = {"stop": price, "stop_limit": price}.get(action.kind)
            expire = bar.ts_event_ns + action.expire_bars * hour if action.tif == "gtd" else None
            send = self.buy if action.buy else self.sell
            self.ids.append(
                send(
                    action.quantity,
                    limit=limit,
                    stop=stop,
                    tif=action.tif,
                    expire_ns=expire,
                    symbol=action.symbol,
                )
            )
        elif self.ids:
            order_id = self.ids[-1 - action.which % len(self.ids)]
            if isinstance(action, Cancel):
                self.cancel(order_id)
            else:
                price = None if action.offset is None else round(close * (1 + action.offset), 2)
                self.modify(order_id, quantity=action.quantity, limit=price)

    def on_fill(self, fill: FillEvent) -> None:
        if self.react:
            self.close_position(fill.symbol)

    def on_order(self, event: EventBase) -> None:
        self.log(f"{type(event).__name__} {getattr(event, 'order_id', '')}")


UNCOMPARED = (BarBlock, IndicatorBlock)
"""Column blocks are cut by the wall clock; every other event, the barrier's own
(``BarsComplete``, ``OrdersMatched``) included, is compared."""


class _Everything(BufferedSink):
    """Keeps every event published but the ``UNCOMPARED``."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[EventBase] = []
        super().__init__(bus, name="everything", interval=0.05)
        self._subscribe(*(t for t in ALL_EVENT_TYPES if t not in UNCOMPARED))

    def _on_batch(self, events: list[EventBase]) -> None:
        self.events.extend(events)


def _published(
    executor: str, script: dict[int, list[Action]], react: bool, tape: bool = False
) -> list[str]:
    """Each event type's events in publication order (each type has one publisher), as text:
    NaN equals NaN there, and creation times are left out. ``tape``: the bars replayed from a
    ``BarTape`` (as a study's trials replay them), not streamed from chunks."""
    chunk = random_walk_chunk(len(SYMBOLS), BARS, seed=11)
    base = int(chunk.ts[0])
    chunk = dataclasses.replace(chunk, ts=base + (chunk.ts - base) * 60)  # minutes -> hours
    strategy = type(
        "Scripted",
        (Scripted,),
        {"script": script, "react": react},
    )
    config = BacktestConfig(
        strategy=strategy, symbols=SYMBOLS, period=BarPeriod.HOUR, executor=executor
    )
    sinks: list[_Everything] = []

    def everything(bus: EventBus) -> _Everything:
        sinks.append(_Everything(bus))
        return sinks[-1]

    bars = BarTape(SYMBOLS, BarPeriod.HOUR, [chunk]) if tape else [chunk]
    run = BacktestRun(config, bars, len(chunk), subscribers=[everything])
    run.run()
    assert run.status is RunStatus.COMPLETED, run.error
    return sorted(_texts(sinks[0].events), key=lambda text: text.partition("(")[0])


def _texts(events: list[EventBase]) -> Iterator[str]:
    for event in events:
        fields = {
            f.name: getattr(event, f.name)
            for f in dataclasses.fields(event)
            if f.name != "ts_created_ns"
        }
        yield f"{type(event).__name__}({fields!r})"


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(script=scripts, react=st.booleans())
def test_a_random_order_flow_publishes_the_same_events_under_both_executors(
    script: dict[int, list[Action]], react: bool
) -> None:
    threaded = _published("threaded", script, react)
    sync = _published("sync", script, react)
    assert sync == threaded
    assert _published("sync", script, react, tape=True) == threaded  # as a study's trial runs


def test_the_random_order_flows_reach_every_kind_of_answer() -> None:
    """The equivalence above is only as strong as the flows it draws: one fixed flow shows the
    scripted strategy reaches fills, rejections, modifications, cancels and expiries."""
    script: dict[int, list[Action]] = {
        3: [Submit("A", True, 7.0, "limit", 0.004, "gtc", 0)],
        4: [Submit("B", False, 0.0, "market", 0.0, "gtc", 0)],
        5: [Submit("C", True, 1.0, "stop", 0.05, "day", 0)],
        6: [Submit("A", True, 1.0, "stop_limit", -0.05, "gtd", 2), Modify(0, 2.0, None)],
        9: [Submit("B", True, 1.0, "limit", -0.2, "gtc", 0)],
        12: [Cancel(0), Cancel(4)],
    }
    kinds = {text.partition("(")[0] for text in _published("sync", script, True)}
    assert {
        "FillEvent",
        "OrderRejected",
        "ModificationAccepted",
        "CancellationAccepted",
        "CancellationRejected",
        "OrderExpired",
        "StrategyLogged",
    } <= kinds


def test_events_are_compared_without_creation_times_but_with_every_other_field() -> None:
    bar = BarReceived(
        ts_event_ns=1,
        symbol="A",
        period=BarPeriod.HOUR,
        open=1.0,
        high=2.0,
        low=np.nan,
        close=1.5,
        volume=1.0,
    )
    later = dataclasses.replace(bar, ts_created_ns=bar.ts_created_ns + 5)
    assert list(_texts([bar])) == list(_texts([later]))
    assert list(_texts([bar])) != list(_texts([dataclasses.replace(bar, close=1.25)]))
