"""Order lifecycles through the blotters, and the signals each bridge batch emits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from ostdesk.engine.events import OrderType, RejectionReason, Side, TimeInForce
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.blotter.models import BlotterModel
from ostdesk.gui.colors import market_colors
from tests.gui.test_book import Script


@pytest.fixture
def blotters(qtbot, tmp_path: Path) -> Blotters:  # type: ignore[no-untyped-def]
    widget = Blotters(100_000.0, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.IniFormat))
    qtbot.addWidget(widget)
    return widget


def table(model: BlotterModel) -> list[dict[str, str]]:
    """Every row as {column name: display text}, top row first."""
    names = [c.name for c in model.columns]
    return [
        {name: model.data(model.index(r, c)) for c, name in enumerate(names)}
        for r in range(model.rowCount())
    ]


class Signals:
    """Counts the structural signals a model emits."""

    def __init__(self, model: BlotterModel) -> None:
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int]] = []
        self.resets = 0
        self.layouts = 0
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.dataChanged.connect(lambda tl, br, _r=(): self.changed.append((tl.row(), br.row())))
        model.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))
        model.layoutChanged.connect(lambda *_: setattr(self, "layouts", self.layouts + 1))


PRICES = {
    OrderType.MARKET: {},
    OrderType.LIMIT: {"limit": 101.5},
    OrderType.STOP: {"stop": 99.25},
    OrderType.STOP_LIMIT: {"limit": 99.0, "stop": 99.25},
}
ALL_TYPES = pytest.mark.parametrize("order_type", list(OrderType), ids=lambda t: t.value)


@ALL_TYPES
def test_accepted_modified_filled_order_moves_from_working_to_fills(
    blotters: Blotters, order_type: OrderType
) -> None:
    s = Script()
    limit = PRICES[order_type].get("limit")
    stop = PRICES[order_type].get("stop")
    blotters.apply([s.submit(1, "AAPL", Side.BUY, order_type, 10.0, limit=limit, stop=stop)])
    assert [r["Status"] for r in table(blotters.working_model)] == ["Submitted"]

    blotters.apply([s.accept(1), s.request_modify(1, quantity=20.0)])
    blotters.apply([s.modified(1, 20.0, limit=limit, stop=stop)])
    (working,) = table(blotters.working_model)
    assert (working["Status"], working["Qty"], working["Filled"]) == ("Modified", "20", "0")

    blotters.apply([s.fill(1, price=100.75, quantity=20.0)])
    assert table(blotters.working_model) == []
    (order,) = table(blotters.orders_model)
    assert (order["Type"], order["Status"], order["Filled"], order["Avg price"]) == (
        {"market": "Market", "limit": "Limit", "stop": "Stop", "stop_limit": "Stop limit"}[
            order_type.value
        ],
        "Filled",
        "20",
        "100.75",
    )
    assert order["Limit"] == ("" if limit is None else f"{limit:.2f}")
    assert order["Stop"] == ("" if stop is None else f"{stop:.2f}")
    (fill,) = table(blotters.fills_model)
    assert (fill["Order ID"], fill["Side"], fill["Qty"], fill["Price"]) == (
        "1",
        "Buy",
        "20",
        "100.75",
    )
    (position,) = table(blotters.positions_model)
    assert (position["Symbol"], position["Qty"], position["Avg price"]) == ("AAPL", "20", "100.75")


@ALL_TYPES
def test_rejected_order_shows_its_reason_and_never_works(
    blotters: Blotters, order_type: OrderType
) -> None:
    s = Script()
    s.submit(1, "MSFT", Side.SELL, order_type, 5.0, **PRICES[order_type])
    s.reject(1, RejectionReason.INSUFFICIENT_BUYING_POWER, "needs 5,000.00, has 10.00")
    blotters.apply(s.events)
    assert table(blotters.working_model) == []
    (order,) = table(blotters.orders_model)
    assert (order["Status"], order["Reason"], order["Side"]) == (
        "Rejected",
        "needs 5,000.00, has 10.00",
        "Sell",
    )


@ALL_TYPES
def test_cancelled_order_leaves_working_with_cancel_reason(
    blotters: Blotters, order_type: OrderType
) -> None:
    s = Script()
    blotters.apply(
        [s.submit(1, "ES", Side.BUY, order_type, 2.0, **PRICES[order_type]), s.accept(1)]
    )
    blotters.apply([s.request_cancel(1)])
    assert [r["Status"] for r in table(blotters.working_model)] == ["Cancel requested"]
    blotters.apply([s.cancelled(1)])
    assert table(blotters.working_model) == []
    (order,) = table(blotters.orders_model)
    assert (order["Status"], order["Reason"]) == ("Cancelled", "Cancelled on request")


@ALL_TYPES
def test_expired_day_order_leaves_working(blotters: Blotters, order_type: OrderType) -> None:
    s = Script()
    blotters.apply(
        [
            s.submit(
                1, "NVDA", Side.BUY, order_type, 3.0, tif=TimeInForce.DAY, **PRICES[order_type]
            ),
            s.accept(1),
        ]
    )
    assert [r["TIF"] for r in table(blotters.working_model)] == ["DAY"]
    blotters.apply([s.expire(1)])
    assert table(blotters.working_model) == []
    (order,) = table(blotters.orders_model)
    assert (order["Status"], order["Reason"]) == ("Expired", "Time in force DAY ended")


def test_a_batch_is_one_insert_per_model_and_never_a_reset(blotters: Blotters) -> None:
    s = Script()
    for oid in range(1, 51):
        s.submit(oid, order_type=OrderType.LIMIT, limit=100.0)
        s.accept(oid)
    blotters.apply(s.events)
    orders, working, fills = (
        Signals(blotters.orders_model),
        Signals(blotters.working_model),
        Signals(blotters.fills_model),
    )
    batch = [s.fill(oid, price=100.0) for oid in (3, 10, 11, 40)]
    for oid in range(51, 81):
        batch += [s.submit(oid, order_type=OrderType.LIMIT, limit=100.0), s.accept(oid)]
    blotters.apply(batch)

    assert orders.inserted == [(0, 29)]  # newest first: the new block lands on top
    assert fills.inserted == [(0, 3)]
    assert working.inserted == [(0, 29)]
    # Ended orders leave first, bottom run first: rows of orders 3, 11+10 and 40 (newest on top).
    assert working.removed == [(47, 47), (39, 40), (10, 10)]
    assert len(orders.changed) == 1
    top, bottom = orders.changed[0]
    rows_of_filled = [
        r for r, row in enumerate(table(blotters.orders_model)) if row["Status"] == "Filled"
    ]
    assert top <= min(rows_of_filled) and bottom >= max(rows_of_filled)
    assert (orders.resets, working.resets, fills.resets) == (0, 0, 0)
    assert (orders.layouts, working.layouts, fills.layouts) == (0, 0, 0)


def test_updating_working_orders_emits_data_changed_not_inserts(blotters: Blotters) -> None:
    s = Script()
    blotters.apply([s.submit(1, order_type=OrderType.LIMIT, limit=10.0), s.accept(1)])
    working = Signals(blotters.working_model)
    blotters.apply([s.fill(1, price=10.0, quantity=4.0)])
    assert working.inserted == [] and working.removed == []
    assert working.changed == [(0, 0)]
    assert table(blotters.working_model)[0]["Status"] == "Partially filled"


def test_recorded_run_loaded_in_one_go_shows_the_same_rows_as_the_live_batches(
    blotters: Blotters,
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    s = Script()
    for oid in range(1, 41):
        symbol = ("AAPL", "MSFT", "EURUSD")[oid % 3]
        side = Side.BUY if oid % 4 else Side.SELL
        s.submit(oid, symbol, side, OrderType.LIMIT, 10.0 + oid, limit=100.0 + oid / 8)
        if oid % 7 == 0:
            s.reject(oid, message=f"order {oid} refused")
            continue
        s.accept(oid)
        s.bar(symbol, 100.0 + oid / 5)
        if oid % 5 == 0:
            s.request_cancel(oid)
            s.cancelled(oid)
        elif oid % 3:
            s.fill(oid, price=100.0 + oid / 8, quantity=10.0 + oid, symbol=symbol, side=side)
    for start in range(0, len(s.events), 13):
        blotters.apply(s.events[start : start + 13])

    recorded = Blotters(100_000.0, settings=QSettings(str(tmp_path / "r.ini"), QSettings.IniFormat))
    qtbot.addWidget(recorded)
    recorded.load_events(s.events)
    for live, loaded in (
        (blotters.working_model, recorded.working_model),
        (blotters.orders_model, recorded.orders_model),
        (blotters.fills_model, recorded.fills_model),
        (blotters.positions_model, recorded.positions_model),
    ):
        assert table(live) == table(loaded)
        assert table(live)  # every blotter has rows, so the comparison means something
    assert {k: v.text() for k, v in blotters.account_bar.values.items()} == {
        k: v.text() for k, v in recorded.account_bar.values.items()
    }


def test_clear_and_reset_start_a_new_run(blotters: Blotters) -> None:
    s = Script()
    blotters.apply([s.submit(1), s.accept(1), s.fill(1, price=10.0)])
    blotters.reset(50_000.0)
    assert [m.rowCount() for m in (blotters.orders_model, blotters.fills_model)] == [0, 0]
    assert blotters.account_bar.values["Cash"].text() == "50,000.00"
    blotters.apply([s.submit(2), s.accept(2)])
    assert [r["Order ID"] for r in table(blotters.orders_model)] == ["2"]
    blotters.clear()
    assert blotters.orders_model.rowCount() == 0
    assert blotters.account.portfolio.initial_capital == 50_000.0


def test_positions_and_account_line_follow_fills_and_bars(blotters: Blotters) -> None:
    s = Script()
    s.submit(1, "AAPL", quantity=100.0)
    s.accept(1)
    s.fill(1, price=170.0, quantity=100.0, commission=1.0)
    s.bar("AAPL", 172.5)
    blotters.apply(s.events)
    (row,) = table(blotters.positions_model)
    assert (row["Last"], row["Unrealised P&L"], row["Market value"]) == (
        "172.50",
        "250.00",
        "17,250.00",
    )
    values = {k: v.text() for k, v in blotters.account_bar.values.items()}
    assert values["Cash"] == "82,999.00"
    assert values["Equity"] == "100,249.00"
    assert values["Total P&L"] == "249.00"
    blotters.apply([s.bar("AAPL", 169.0)])
    values = {k: v.text() for k, v in blotters.account_bar.values.items()}
    assert values["Drawdown"] == "350.00 (0.35%)"


def test_side_and_pnl_colours_follow_the_chart_setting(blotters: Blotters) -> None:
    s = Script()
    blotters.apply([s.submit(1, side=Side.BUY), s.accept(1)])
    model = blotters.orders_model
    side = [c.name for c in model.columns].index("Side")
    index = model.index(0, side)
    assert model.data(index, Qt.ItemDataRole.ForegroundRole) == market_colors(red_up=False).buy
    blotters.set_colors(market_colors(red_up=True))
    assert model.data(index, Qt.ItemDataRole.ForegroundRole) == market_colors(red_up=True).buy
    assert market_colors(red_up=True).buy != market_colors(red_up=False).buy


def test_numbers_are_right_aligned_and_prices_share_a_symbols_precision(blotters: Blotters) -> None:
    s = Script()
    s.submit(1, "EURUSD", order_type=OrderType.LIMIT, quantity=100_000.0, limit=1.08345)
    s.submit(2, "EURUSD", order_type=OrderType.LIMIT, quantity=50_000.0, limit=1.1)
    blotters.apply(s.events)
    model = blotters.orders_model
    rows = table(model)
    assert [r["Limit"] for r in rows] == ["1.10000", "1.08345"]
    assert [r["Qty"] for r in rows] == ["50,000", "100,000"]
    qty = [c.name for c in model.columns].index("Qty")
    align = model.data(model.index(0, qty), Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight


def test_status_tooltip_lists_the_order_lifecycle(blotters: Blotters) -> None:
    s = Script()
    blotters.apply([s.submit(1), s.accept(1), s.fill(1, price=5.0)])
    model = blotters.orders_model
    status = [c.name for c in model.columns].index("Status")
    tip = model.data(model.index(0, status), Qt.ItemDataRole.ToolTipRole)
    assert [line.split("   ")[1] for line in tip.splitlines()] == [
        "Submitted",
        "Accepted",
        "Filled",
    ]
