"""A multi-symbol example: hold the strongest of the traded symbols."""

from __future__ import annotations

from ostdesk import BarReceived, Param, Strategy
from ostdesk.indicators import EMA


class RelativeMomentum(Strategy):
    """Multi-symbol rotation: every ``rebalance`` bars, hold the symbol whose close is furthest
    above its EMA (if any is above), and nothing else."""

    length = Param(50, min=5, max=500, help="EMA length (bars)")
    rebalance = Param(60, min=1, max=10_000, help="bars between rebalances")
    fraction = Param(0.95, min=0.01, max=1.0, step=0.05, help="share of equity per holding")
    size = Param(0.0, min=0.0, max=1e9, help="fixed units per holding instead (0: use fraction)")

    def setup(self) -> None:
        self.ema = self.indicator(EMA(self.length))
        self.bars = 0

    def on_bar(self, bar: BarReceived) -> None:
        if bar.symbol != self.symbols[-1]:
            return  # decide once per timestamp, after every symbol's bar was seen
        self.bars += 1
        if self.bars % self.rebalance:
            return
        scores = {}
        for symbol in self.symbols:
            closes, ema = self.close.of(symbol), self.ema.of(symbol)
            if closes and ema.ready:
                scores[symbol] = closes[-1] / ema[-1] - 1
        best = max(scores, key=scores.__getitem__, default=None)
        if best is not None and scores[best] <= 0:
            best = None
        for symbol in self.symbols:
            held = self.positions.get(symbol)
            if held and symbol != best:
                self.close_position(symbol)
        if best is not None and not self.positions.get(best):
            units = self.size or self.size_for(self.fraction, symbol=best)
            if units:
                self.buy(units, symbol=best)
