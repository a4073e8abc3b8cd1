"""Volatility breakout on Bollinger bands, long and short, entering at the next open."""

from __future__ import annotations

from ostdesk import BarReceived, Param, Strategy
from ostdesk.indicators import Bollinger


class BollingerBreakout(Strategy):
    """Enter on a close outside the Bollinger bands (long above, short below, if allowed);
    exit when price closes back across the middle band."""

    length = Param(20, min=5, max=400, help="band length (bars)")
    width = Param(2.0, min=0.5, max=5.0, step=0.1, help="band width in standard deviations")
    allow_short = Param(True, help="also trade breakouts to the downside")
    fraction = Param(
        0.95, min=0.01, max=1.0, step=0.05, help="share of equity traded, split between the symbols"
    )
    size = Param(0.0, min=0.0, max=1e9, help="fixed units per trade instead (0: use fraction)")

    def setup(self) -> None:
        self.bands = self.indicator(Bollinger(self.length, self.width))

    def on_bar(self, bar: BarReceived) -> None:
        bands = self.bands.of(bar.symbol)
        upper, lower = bands.line("upper")[-1], bands.line("lower")[-1]
        middle = bands[-1]
        if middle != middle:  # still warming up (NaN)
            return
        position = self.position
        if not position:
            units = self.size or self.size_for(self.fraction / len(self.symbols))
            if units and bar.close > upper:
                self.buy(units)
            elif units and bar.close < lower and self.allow_short:
                self.sell(units)
        elif (position.is_long and bar.close < middle) or (
            position.is_short and bar.close > middle
        ):
            self.close_position()
