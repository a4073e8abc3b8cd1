"""Indicator update cost (issue 4): microseconds per ``update`` call, per indicator.

Feeds a random-walk OHLCV series bar by bar, as a strategy does. ``net`` subtracts the cost of
the bare loop that unpacks each bar (measured the same way), leaving the indicator's own cost.

Run: python bench/indicators.py [--bars N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from ostdesk.engine.indicators import (
    ADX,
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    WMA,
    Bollinger,
    Highest,
    Indicator,
    Lowest,
    Stochastic,
)

Bar = tuple[float, float, float, float, float]

FACTORIES: list[Callable[[], Indicator]] = [
    lambda: SMA(20),
    lambda: SMA(200),
    lambda: SMA(20, source="hlc3"),
    lambda: EMA(20),
    lambda: WMA(20),
    lambda: RSI(14),
    lambda: MACD(12, 26, 9),
    lambda: Stochastic(14, 3, 3),
    lambda: ATR(14),
    lambda: Bollinger(20, 2),
    lambda: ADX(14),
    lambda: Highest(20),
    lambda: Lowest(20),
]


def make_bars(n: int) -> list[Bar]:
    rng = random.Random(42)
    close, bars = 100.0, []
    for _ in range(n):
        open_ = close
        close = max(1.0, close + rng.gauss(0.0, 1.0))
        high = max(open_, close) + rng.random()
        low = min(open_, close) - rng.random()
        bars.append((open_, high, low, close, rng.randrange(1_000, 100_000) * 1.0))
    return bars


def time_loop(bars: list[Bar]) -> float:
    t0 = time.perf_counter()
    for _o, _h, _lo, _c, _v in bars:
        pass
    return (time.perf_counter() - t0) / len(bars) * 1e6


def time_indicator(factory: Callable[[], Indicator], bars: list[Bar]) -> float:
    update = factory().update
    t0 = time.perf_counter()
    for o, h, lo, c, v in bars:
        update(o, h, lo, c, v)
    return (time.perf_counter() - t0) / len(bars) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bars", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    bars = make_bars(args.bars)
    loop = statistics.median(time_loop(bars) for _ in range(args.repeat))
    print(f"{args.bars:,} bars, median of {args.repeat} runs; bare loop {loop:.3f} us/bar")
    print(f"{'indicator':<22}{'median us':>11}{'min us':>9}{'max us':>9}{'net us':>9}")
    for factory in FACTORIES:
        runs = [time_indicator(factory, bars) for _ in range(args.repeat)]
        med = statistics.median(runs)
        print(
            f"{factory().label:<22}{med:>11.3f}{min(runs):>9.3f}{max(runs):>9.3f}{med - loop:>9.3f}"
        )


if __name__ == "__main__":
    main()
