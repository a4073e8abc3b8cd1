"""A recorded run whose strategy sends malformed orders: it completes, and the record holds each
attempt and its rejection with the broker's sentence."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived, TimeInForce
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest

FIRST_BAR_NS = int(np.datetime64("2024-01-08T14:30", "ns").astype(np.int64))  # the demo's
HOUR_NS = 3_600_000_000_000

# (keywords of buy, the rejection's reason and message after "order N: ")
MALFORMED: list[tuple[dict[str, Any], str, str]] = [
    ({"quantity": "abc"}, "invalid_quantity", "quantity 'abc' is not a number"),
    ({"quantity": None}, "invalid_quantity", "quantity is missing (None)"),
    ({"quantity": 0}, "invalid_quantity", "quantity must be a positive number, got 0"),
    ({"quantity": -5}, "invalid_quantity", "quantity must be a positive number, got -5"),
    ({"quantity": math.nan}, "invalid_quantity", "quantity must be a positive number, got nan"),
    ({"quantity": math.inf}, "invalid_quantity", "quantity must be a positive number, got inf"),
    ({"quantity": True}, "invalid_quantity", "quantity True is a bool, not a number"),
    ({"limit": "99.5"}, "invalid_price", "limit price '99.5' is not a number"),
    (
        {"limit": math.nan},
        "invalid_price",
        "limit price must be a positive finite number, got nan",
    ),
    (
        {"tif": TimeInForce.GTD, "expire_ns": "x"},
        "invalid_expiry",
        "expire_ns 'x' is not an integer time in ns",
    ),
    (
        {"tif": "GTD"},
        "invalid_expiry",
        "a GTD order needs an expiry time after its submission time",
    ),
    (
        {"quantity": 1e300},
        "order_too_large",
        "quantity 1e+300 exceeds 9,007,199,254,740,992 units (2**53, past which a float does "
        "not count units one by one)",
    ),
]
UNKNOWN_TIF = (
    {"tif": "FOO"},
    "invalid_time_in_force",
    "time in force 'FOO' is not one of GTC, DAY, GTD",
)


class SendsMalformedOrders(Strategy):
    """One malformed order a bar from the second bar on; then a working limit order far below
    the market, and a modify of it to a NaN limit."""

    ORDERS: ClassVar[list[dict[str, Any]]] = []

    def setup(self) -> None:
        self.working = 0

    def on_bar(self, bar: BarReceived) -> None:
        n = len(self.close) - 2
        if 0 <= n < len(self.ORDERS):
            self.buy(**self.ORDERS[n])
        elif n == len(self.ORDERS):
            self.working = self.buy(1, limit=1.0)
        elif n == len(self.ORDERS) + 1:
            self.modify(self.working, limit=math.nan)


def _record(db: Database, cases: list[tuple[dict[str, Any], str, str]]) -> list[tuple[Any, ...]]:
    """Run the strategy over an hour of demo bars; the run must complete without an error.
    Returns the stored rejections (order id, kind, reason, message) in order."""
    symbol = install_demo_data(db)[0]
    strategy = type("Sends", (SendsMalformedOrders,), {"ORDERS": [c[0] for c in cases]})
    config = BacktestConfig(
        strategy=strategy,
        symbols=(symbol,),
        period=BarPeriod.MINUTE,
        start_ns=FIRST_BAR_NS,
        end_ns=FIRST_BAR_NS + HOUR_NS,
    )
    run = prepare_backtest(db, config).run()
    assert run.status is RunStatus.COMPLETED
    assert run.bus.errors.errors == []
    run_id = run.recording.run_id
    stored = db.connection.execute(
        "SELECT count(*) FROM run_orders WHERE run_id = ?", [run_id]
    ).fetchone()
    assert stored == (len(cases) + 1,)  # every attempt is in the record
    return db.connection.execute(
        "SELECT order_id, kind, reason, message FROM run_responses "
        "WHERE run_id = ? AND kind IN ('rejected', 'modify_rejected') ORDER BY ts, order_id, kind",
        [run_id],
    ).fetchall()


def test_a_run_of_malformed_orders_completes_and_records_each_rejection(db: Database) -> None:
    rows = _record(db, MALFORMED)
    expected = [
        (i, "rejected", reason, f"order {i}: {message}")
        for i, (_, reason, message) in enumerate(MALFORMED, start=1)
    ]
    working = len(MALFORMED) + 1
    expected.append(
        (
            working,
            "modify_rejected",
            "invalid_price",
            f"order {working}: limit price must be a positive finite number, got nan",
        )
    )
    assert rows == expected


def test_an_order_with_an_unknown_time_in_force_is_recorded_with_its_rejection(
    db: Database,
) -> None:
    rows = _record(db, [UNKNOWN_TIF])
    _, reason, message = UNKNOWN_TIF
    assert rows[0] == (1, "rejected", reason, f"order 1: {message}")
    stored = db.connection.execute(
        "SELECT time_in_force, invalid FROM run_orders WHERE order_id = 1"
    ).fetchall()
    assert stored == [(None, message)]
