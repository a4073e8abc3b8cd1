"""The columns of each blotter: header, sort key, cell text and colour tone, Qt-free.

Sort keys are plain numbers or strings that numpy can sort in one call; a missing price sorts
as -inf so empty cells group together. Tones are names the Qt model maps to the chart's colours.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from ostdesk.engine.events import OrderType, Side, TimeInForce
from ostdesk.engine.portfolio import Position
from ostdesk.gui.blotter.book import FillRecord, OrderRecord, OrderStatus
from ostdesk.gui.blotter.format import PricePrecision, money_text, qty_text, time_text

R = TypeVar("R")
Tone = Literal["buy", "sell", "up", "down", "muted", "filled", "alert"]
SortKey = int | float | str

_NO_PRICE = -math.inf

_TYPE_TEXT = {
    OrderType.MARKET: "Market",
    OrderType.LIMIT: "Limit",
    OrderType.STOP: "Stop",
    OrderType.STOP_LIMIT: "Stop limit",
}
_SIDE_TEXT = {Side.BUY: "Buy", Side.SELL: "Sell"}
_SIDE_TONE: dict[Side, Tone] = {Side.BUY: "buy", Side.SELL: "sell"}
_STATUS_TONE: dict[OrderStatus, Tone] = {
    OrderStatus.SUBMITTED: "muted",
    OrderStatus.CANCEL_REQUESTED: "muted",
    OrderStatus.CANCELLED: "muted",
    OrderStatus.EXPIRED: "muted",
    OrderStatus.REJECTED: "alert",
    OrderStatus.PARTIALLY_FILLED: "filled",
    OrderStatus.FILLED: "filled",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    name: str
    key: Callable[[R], SortKey]
    text: Callable[[R], str]
    numeric: bool = False
    tone: Callable[[R], Tone | None] | None = None
    tip: Callable[[R], str | None] | None = None
    visible: bool = True  # shown until the user changes it


def _price_key(price: float | None) -> float:
    return _NO_PRICE if price is None else price


def _pnl_tone(value: float) -> Tone | None:
    return "up" if value > 0 else "down" if value < 0 else None


def _tif_tip(order: OrderRecord) -> str | None:
    if order.time_in_force is TimeInForce.GTD and order.expire_ns is not None:
        return f"Good till {time_text(order.expire_ns)} UTC"
    return None


def order_columns(prices: PricePrecision, *, history: bool) -> list[Column[OrderRecord]]:
    """Working orders (``history=False``) or every order with fill and reason columns."""
    columns: list[Column[OrderRecord]] = [
        Column("Time", lambda o: o.submitted_ns, lambda o: time_text(o.submitted_ns)),
        Column("Order ID", lambda o: o.order_id, lambda o: str(o.order_id), numeric=True),
        Column("Symbol", lambda o: o.symbol, lambda o: o.symbol),
        Column(
            "Side",
            lambda o: o.side.name,
            lambda o: _SIDE_TEXT[o.side],
            tone=lambda o: _SIDE_TONE[o.side],
        ),
        Column("Type", lambda o: o.order_type.value, lambda o: _TYPE_TEXT[o.order_type]),
        Column("Qty", lambda o: o.quantity, lambda o: qty_text(o.quantity), numeric=True),
        Column(
            "Limit",
            lambda o: _price_key(o.limit_price),
            lambda o: prices.text(o.symbol, o.limit_price),
            numeric=True,
        ),
        Column(
            "Stop",
            lambda o: _price_key(o.stop_price),
            lambda o: prices.text(o.symbol, o.stop_price),
            numeric=True,
        ),
        Column(
            "TIF",
            lambda o: o.time_in_force.value if o.time_in_force else "",
            lambda o: o.time_in_force.name if o.time_in_force else "",
            tip=_tif_tip,
        ),
        Column(
            "Status",
            lambda o: o.status.value,
            lambda o: o.status.value,
            tone=lambda o: _STATUS_TONE.get(o.status),
        ),
        Column("Filled", lambda o: o.filled_qty, lambda o: qty_text(o.filled_qty), numeric=True),
    ]
    if history:
        columns += [
            Column(
                "Avg price",
                lambda o: _price_key(o.avg_fill_price),
                lambda o: prices.text(o.symbol, o.avg_fill_price),
                numeric=True,
            ),
            Column("Reason", lambda o: o.reason, lambda o: o.reason, tip=lambda o: o.reason),
            Column("Updated", lambda o: o.updated_ns, lambda o: time_text(o.updated_ns)),
        ]
    columns.append(
        Column("Strategy", lambda o: o.strategy_id, lambda o: o.strategy_id, visible=False)
    )
    return columns


def fill_columns(prices: PricePrecision) -> list[Column[FillRecord]]:
    return [
        Column("Time", lambda f: f.fill.ts_event_ns, lambda f: time_text(f.fill.ts_event_ns)),
        Column("Fill ID", lambda f: f.fill.fill_id, lambda f: str(f.fill.fill_id), numeric=True),
        Column("Order ID", lambda f: f.fill.order_id, lambda f: str(f.fill.order_id), numeric=True),
        Column("Symbol", lambda f: f.fill.symbol, lambda f: f.fill.symbol),
        Column(
            "Side",
            lambda f: f.fill.side.name,
            lambda f: _SIDE_TEXT[f.fill.side],
            tone=lambda f: _SIDE_TONE[f.fill.side],
        ),
        Column("Qty", lambda f: f.fill.quantity, lambda f: qty_text(f.fill.quantity), numeric=True),
        Column(
            "Price",
            lambda f: f.fill.price,
            lambda f: prices.text(f.fill.symbol, f.fill.price),
            numeric=True,
        ),
        Column(
            "Commission",
            lambda f: f.fill.commission,
            lambda f: money_text(f.fill.commission),
            numeric=True,
        ),
        Column(
            "Realised P&L",
            lambda f: f.realized_pnl,
            lambda f: money_text(f.realized_pnl),
            numeric=True,
            tone=lambda f: _pnl_tone(f.realized_pnl),
        ),
        Column(
            "Strategy", lambda f: f.fill.strategy_id, lambda f: f.fill.strategy_id, visible=False
        ),
    ]


def position_columns(prices: PricePrecision) -> list[Column[Position]]:
    def side_tone(p: Position) -> Tone | None:
        return "buy" if p.quantity > 0 else "sell" if p.quantity < 0 else "muted"

    def unrealized(p: Position) -> float:
        return p.unrealized_pnl()

    return [
        Column("Symbol", lambda p: p.symbol, lambda p: p.symbol),
        Column(
            "Qty",
            lambda p: p.quantity,
            lambda p: qty_text(p.quantity),
            numeric=True,
            tone=side_tone,
        ),
        Column(
            "Avg price",
            lambda p: p.avg_price,
            lambda p: prices.text(p.symbol, p.avg_price) if p.quantity else "",
            numeric=True,
        ),
        Column(
            "Last",
            lambda p: p.last_price,
            lambda p: prices.text(p.symbol, p.last_price),
            numeric=True,
        ),
        Column(
            "Unrealised P&L",
            unrealized,
            lambda p: money_text(unrealized(p)),
            numeric=True,
            tone=lambda p: _pnl_tone(unrealized(p)),
        ),
        Column(
            "Realised P&L",
            lambda p: p.realized_pnl,
            lambda p: money_text(p.realized_pnl),
            numeric=True,
            tone=lambda p: _pnl_tone(p.realized_pnl),
        ),
        Column(
            "Market value",
            lambda p: p.market_value(),
            lambda p: money_text(p.market_value()),
            numeric=True,
        ),
        Column(
            "Commission",
            lambda p: p.commission,
            lambda p: money_text(p.commission),
            numeric=True,
            visible=False,
        ),
    ]
