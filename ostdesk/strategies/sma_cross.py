"""The classic moving-average crossover."""

from __future__ import annotations

from ostdesk import BarReceived, Param, ParamError, Strategy
from ostdesk.indicators import SMA


class SmaCross(Strategy):
    """Long when the fast SMA crosses above the slow one; flat when it crosses below."""

    fast = Param(10, min=2, max=200, help="fast SMA length (bars)")
    slow = Param(30, min=5, max=500, help="slow SMA length (bars)")
    fraction = Param(
        0.95, min=0.01, max=1.0, step=0.05, help="share of equity traded, split between the symbols"
    )
    size = Param(0.0, min=0.0, max=1e9, help="fixed units per entry instead (0: use fraction)")

    def validate(self) -> None:
        if self.fast >= self.slow:
            raise ParamError("fast", f"fast ({self.fast}) must be shorter than slow ({self.slow})")

    def setup(self) -> None:
        self.fast_ma = self.indicator(SMA(self.fast))
        self.slow_ma = self.indicator(SMA(self.slow))

    def on_bar(self, bar: BarReceived) -> None:
        fast, slow = self.fast_ma, self.slow_ma
        fast_before, slow_before, fast_now, slow_now = fast[-2], slow[-2], fast[-1], slow[-1]
        if fast_before <= slow_before and fast_now > slow_now:
            if not self.position:
                units = self.size or self.size_for(self.fraction / len(self.symbols))
                if units:
                    self.buy(units)
        elif fast_before >= slow_before and fast_now < slow_now:
            self.close_position()
