"""The recorder's order tables hold every field of the events, as text where they are enums."""

from __future__ import annotations

import pytest

from ostdesk import Strategy
from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    CancellationAccepted,
    CancellationRejected,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderRejected,
    OrderSubmissionRequest,
    OrderType,
    RejectionReason,
    Side,
    StrategyLogged,
    TimeInForce,
)
from ostdesk.engine.runner import BacktestConfig, BacktestRun, RunStatus
from ostdesk.store import Database
from ostdesk.store.recorder import RunRecorder
from ostdesk.strategies.sma_cross import SmaCross
from tests.engine.data import random_walk_chunk

RUN = 41


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    return db.connection.execute(sql, [RUN]).fetchall()


def test_order_events_are_recorded_field_by_field(db: Database) -> None:
    bus = EventBus()
    recorder = RunRecorder(bus, db, RUN)
    orders = [
        OrderSubmissionRequest(
            ts_event_ns=10,
            order_id=1,
            strategy_id="S",
            symbol="AAA",
            side=Side.BUY,
            order_type=OrderType.MARKET,
            quantity=2.0,
        ),
        OrderSubmissionRequest(
            ts_event_ns=11,
            order_id=2,
            strategy_id="S",
            symbol="BBB",
            side=Side.SELL,
            order_type=OrderType.STOP_LIMIT,
            quantity=1.5,
            limit_price=99.5,
            stop_price=100.0,
            time_in_force=TimeInForce.GTD,
            expire_ns=999,
        ),
    ]
    responses = [
        OrderAccepted(ts_event_ns=10, order_id=1, strategy_id="S"),
        OrderRejected(
            ts_event_ns=11,
            order_id=2,
            strategy_id="S",
            reason=RejectionReason.INVALID_QUANTITY,
            message="quantity must be > 0",
        ),
        ModificationAccepted(
            ts_event_ns=12,
            order_id=1,
            strategy_id="S",
            quantity=3.0,
            limit_price=None,
            stop_price=98.0,
        ),
        ModificationRejected(
            ts_event_ns=13,
            order_id=2,
            strategy_id="S",
            reason=RejectionReason.UNKNOWN_ORDER,
            message="no working order 2",
        ),
        CancellationAccepted(ts_event_ns=14, order_id=1, strategy_id="S"),
        CancellationRejected(
            ts_event_ns=15,
            order_id=2,
            strategy_id="S",
            reason=RejectionReason.UNKNOWN_ORDER,
            message="no working order 2",
        ),
    ]
    fill = FillEvent(
        ts_event_ns=12,
        fill_id=7,
        order_id=1,
        strategy_id="S",
        symbol="AAA",
        side=Side.BUY,
        quantity=2.0,
        price=101.25,
        commission=0.5,
    )
    for event in (*orders, *responses, fill):
        bus.publish(event)
    recorder.shutdown()

    assert _rows(db, "SELECT * EXCLUDE (run_id) FROM run_orders WHERE run_id = ? ORDER BY ts") == [
        (10, 1, "S", "AAA", "BUY", OrderType.MARKET.value, 2.0, None, None, "GTC", None, None),
        (11, 2, "S", "BBB", "SELL", OrderType.STOP_LIMIT.value, 1.5, 99.5, 100.0, "GTD", 999, None),
    ]
    assert _rows(
        db, "SELECT * EXCLUDE (run_id) FROM run_responses WHERE run_id = ? ORDER BY ts"
    ) == [
        (10, 1, "S", "accepted", None, None, None, None, None),
        (
            11,
            2,
            "S",
            "rejected",
            RejectionReason.INVALID_QUANTITY.value,
            "quantity must be > 0",
            None,
            None,
            None,
        ),
        (12, 1, "S", "modified", None, None, 3.0, None, 98.0),
        (
            13,
            2,
            "S",
            "modify_rejected",
            RejectionReason.UNKNOWN_ORDER.value,
            "no working order 2",
            None,
            None,
            None,
        ),
        (14, 1, "S", "cancelled", None, None, None, None, None),
        (
            15,
            2,
            "S",
            "cancel_rejected",
            RejectionReason.UNKNOWN_ORDER.value,
            "no working order 2",
            None,
            None,
            None,
        ),
    ]
    assert _rows(db, "SELECT * EXCLUDE (run_id) FROM run_fills WHERE run_id = ?") == [
        (12, 7, 1, "S", "AAA", "BUY", 2.0, 101.25, 0.5)
    ]


def test_answers_of_different_kinds_keep_their_publication_order(db: Database) -> None:
    """A duplicated order id: the original is accepted, the copy rejected at the same
    timestamp. The replay pairs them with the submissions by rank, so the rows must keep
    the broker's order, whatever kind of answer came first in the batch."""
    bus = EventBus()
    recorder = RunRecorder(bus, db, RUN)
    answers = [
        OrderRejected(
            ts_event_ns=5,
            order_id=3,
            strategy_id="S",
            reason=RejectionReason.INVALID_QUANTITY,
            message="quantity must be > 0",
        ),
        OrderAccepted(ts_event_ns=7, order_id=4, strategy_id="S"),
        OrderRejected(
            ts_event_ns=7,
            order_id=4,
            strategy_id="S",
            reason=RejectionReason.DUPLICATE_ORDER_ID,
            message="order id 4 is already in use",
        ),
        CancellationAccepted(ts_event_ns=7, order_id=4, strategy_id="S"),
        OrderAccepted(ts_event_ns=8, order_id=5, strategy_id="S"),
    ]
    for event in answers:
        bus.publish(event)
    recorder.shutdown()

    rows = _rows(db, "SELECT ts, order_id, kind FROM run_responses WHERE run_id = ? ORDER BY rowid")
    assert rows == [
        (5, 3, "rejected"),
        (7, 4, "accepted"),
        (7, 4, "rejected"),
        (7, 4, "cancelled"),
        (8, 5, "accepted"),
    ]


def test_strategy_messages_are_recorded_exactly_in_the_order_logged(db: Database) -> None:
    bus = EventBus()
    recorder = RunRecorder(bus, db, RUN)
    said = [
        (0, "", "ready"),  # setup: no bar yet
        (10, "AAA", "it's 'quoted', \"twice\"\nand on two lines"),
        (10, "BBB", "ünïcödé ✓ €"),
        (11, "AAA", ""),
    ]
    for ts, symbol, message in said:
        bus.publish(StrategyLogged(ts_event_ns=ts, strategy_id="S", symbol=symbol, message=message))
    recorder.shutdown()

    assert _rows(db, "SELECT * EXCLUDE (run_id) FROM run_logs WHERE run_id = ? ORDER BY rowid") == [
        (ts, "S", symbol, message) for ts, symbol, message in said
    ]
    assert recorder.tally.handed["run_logs"] == recorder.tally.written["run_logs"] == 4


class LogsALoneSurrogate(Strategy):
    """Logs text UTF-8 cannot hold (a lone surrogate, as a bad decode leaves) on its 2nd bar."""

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) == 2:
            self.log("lone \ud800 beside ünïcödé 😀")


def test_a_lone_surrogate_in_a_message_is_stored_escaped_and_the_run_completes(
    db: Database,
) -> None:
    chunk = random_walk_chunk(1, 3)
    config = BacktestConfig(strategy=LogsALoneSurrogate, symbols=("S0",), period=BarPeriod.MINUTE)
    recorders: list[RunRecorder] = []

    def recorder(bus: EventBus) -> RunRecorder:
        recorders.append(RunRecorder(bus, db, RUN))
        return recorders[0]

    run = BacktestRun(config, [chunk], len(chunk), subscribers=[recorder]).run()

    assert run.status is RunStatus.COMPLETED, run.error
    assert _rows(db, "SELECT ts, message FROM run_logs WHERE run_id = ?") == [
        (int(chunk.ts[1]), "lone \\ud800 beside ünïcödé 😀")
    ]
    assert recorders[0].tally.written["run_bars"] == 3


@pytest.mark.parametrize("n_symbols", [1, 3])
def test_recorded_bars_and_indicator_values_name_their_own_symbol(
    db: Database, n_symbols: int
) -> None:
    """Each recorded bar and indicator value carries the symbol of its bar, whether the run
    has one symbol (written as a constant) or several (looked up per row)."""
    chunk = random_walk_chunk(n_symbols, 50)
    symbols = tuple(f"S{i}" for i in range(n_symbols))
    config = BacktestConfig(
        strategy=SmaCross, symbols=symbols, period=BarPeriod.MINUTE, params={"size": 1.0}
    )
    run = BacktestRun(
        config, [chunk], len(chunk), subscribers=[lambda bus: RunRecorder(bus, db, RUN)]
    ).run()
    assert run.status is RunStatus.COMPLETED, run.error
    fed = sorted((int(t), symbols[i]) for t, i in zip(chunk.ts, chunk.symbol_index, strict=True))
    assert _rows(db, "SELECT ts, symbol FROM run_bars WHERE run_id = ? ORDER BY ALL") == fed
    valued = "SELECT DISTINCT ts, symbol FROM run_indicators WHERE run_id = ? ORDER BY ALL"
    assert _rows(db, valued) == fed
