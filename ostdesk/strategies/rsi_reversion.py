"""Mean reversion on RSI extremes, with a limit entry and a protective stop."""

from __future__ import annotations

from ostdesk import BarReceived, FillEvent, Param, ParamError, Side, Strategy
from ostdesk.indicators import RSI


class RsiReversion(Strategy):
    """Buy a dip when RSI is oversold (limit order slightly below the close), exit when RSI
    recovers above the exit level or the protective stop is hit."""

    length = Param(14, min=2, max=100, help="RSI length (bars)")
    oversold = Param(30.0, min=1.0, max=50.0, step=1.0, help="enter below this RSI")
    exit_level = Param(55.0, min=30.0, max=99.0, step=1.0, help="exit above this RSI")
    entry_offset_pct = Param(
        0.1, min=0.0, max=5.0, step=0.05, help="limit entry this % below the close"
    )
    stop_pct = Param(2.0, min=0.1, max=20.0, step=0.1, help="protective stop % below entry")
    fraction = Param(
        0.95, min=0.01, max=1.0, step=0.05, help="share of equity traded, split between the symbols"
    )
    size = Param(0.0, min=0.0, max=1e9, help="fixed units per trade instead (0: use fraction)")

    def validate(self) -> None:
        if self.oversold >= self.exit_level:
            raise ParamError("oversold", "oversold must be below the exit level")

    def setup(self) -> None:
        self.rsi = self.indicator(RSI(self.length))
        self.entry_id: dict[str, int] = {}
        self.stop_id: dict[str, int] = {}

    def on_bar(self, bar: BarReceived) -> None:
        rsi = self.rsi[-1]
        symbol = bar.symbol
        if not self.position:
            if rsi < self.oversold and symbol not in self.entry_id:
                limit = round(bar.close * (1 - self.entry_offset_pct / 100), 4)
                units = self.size or self.size_for(self.fraction / len(self.symbols), price=limit)
                if units:
                    self.entry_id[symbol] = self.buy(units, limit=limit)
            elif rsi >= self.oversold and symbol in self.entry_id:
                self.cancel(self.entry_id.pop(symbol))  # the dip is over: drop the entry
        elif rsi > self.exit_level:
            stop = self.stop_id.pop(symbol, None)
            if stop is not None:
                self.cancel(stop)
            self.close_position()

    def on_fill(self, fill: FillEvent) -> None:
        if self.entry_id.get(fill.symbol) == fill.order_id:
            del self.entry_id[fill.symbol]
            stop = fill.price * (1 - self.stop_pct / 100)
            self.stop_id[fill.symbol] = self.sell(
                fill.quantity, stop=round(stop, 4), symbol=fill.symbol
            )
        elif self.stop_id.get(fill.symbol) == fill.order_id and fill.side is Side.SELL:
            del self.stop_id[fill.symbol]
