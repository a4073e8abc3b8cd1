"""Position and account accounting shared by strategies, the broker and the GUI's blotters.

One implementation, so a strategy's ``self.position``, the broker's buying-power check and the
positions blotter can never disagree. Average-cost convention (as NinjaTrader and vnpy show
positions): adding to a position moves the average price; reducing it realises P&L against the
average; crossing zero realises the whole old position and opens the rest at the fill price.
Round trips for statistics are matched FIFO separately (see ``ostdesk.store.roundtrips``).
"""

from __future__ import annotations

import math


class Position:
    """One symbol's signed quantity, average entry price and realised P&L."""

    __slots__ = ("avg_price", "commission", "last_price", "quantity", "realized_pnl", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.quantity = 0.0
        self.avg_price = 0.0
        self.realized_pnl = 0.0
        self.commission = 0.0
        self.last_price = math.nan

    def apply_fill(self, signed_qty: float, price: float, commission: float = 0.0) -> float:
        """Book a fill (positive quantity buys, negative sells); return the P&L it realised."""
        realized = 0.0
        old = self.quantity
        new = old + signed_qty
        if old == 0.0 or (old > 0) == (signed_qty > 0):
            self.avg_price = (old * self.avg_price + signed_qty * price) / new
        else:
            closed = min(abs(signed_qty), abs(old))
            direction = 1.0 if old > 0 else -1.0
            realized = closed * (price - self.avg_price) * direction
            if abs(new) < 1e-12:
                new = 0.0
                self.avg_price = 0.0
            elif (new > 0) != (old > 0):
                self.avg_price = price
        self.quantity = new
        self.realized_pnl += realized
        self.commission += commission
        self.last_price = price if math.isnan(self.last_price) else self.last_price
        return realized

    def __bool__(self) -> bool:
        """True while a position is open, so ``if not self.position:`` reads naturally."""
        return self.quantity != 0.0

    @property
    def is_long(self) -> bool:
        return self.quantity > 0.0

    @property
    def is_short(self) -> bool:
        return self.quantity < 0.0

    def unrealized_pnl(self, price: float | None = None) -> float:
        mark = self.last_price if price is None else price
        if self.quantity == 0.0 or math.isnan(mark):
            return 0.0
        return self.quantity * (mark - self.avg_price)

    def market_value(self) -> float:
        return 0.0 if self.quantity == 0.0 else self.quantity * self.last_price


class Portfolio:
    """Cash and positions of one account: equity = cash + sum of positions marked to market."""

    __slots__ = ("cash", "commission", "initial_capital", "positions")

    def __init__(self, initial_capital: float) -> None:
        self.initial_capital = initial_capital
        self.cash = initial_capital
        self.commission = 0.0
        self.positions: dict[str, Position] = {}

    def position(self, symbol: str) -> Position:
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(symbol)
        return pos

    def apply_fill(self, symbol: str, signed_qty: float, price: float, commission: float) -> float:
        """Book a fill in cash and position; return the P&L it realised (before commission)."""
        self.cash -= signed_qty * price + commission
        self.commission += commission
        return self.position(symbol).apply_fill(signed_qty, price, commission)

    def mark(self, symbol: str, price: float) -> None:
        self.position(symbol).last_price = price

    @property
    def market_value(self) -> float:
        return sum(p.market_value() for p in self.positions.values())

    @property
    def equity(self) -> float:
        return self.cash + self.market_value

    @property
    def realized_pnl(self) -> float:
        return sum(p.realized_pnl for p in self.positions.values())

    @property
    def unrealized_pnl(self) -> float:
        return sum(p.unrealized_pnl() for p in self.positions.values())
