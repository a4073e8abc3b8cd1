"""Positions and cash at any moment of a recorded run, precomputed once per fill.

The engine's ``Portfolio`` books the fills once, in order, at open; after each fill the touched
symbol's position and the account's cash are kept in columns. The state at a time is then a
``searchsorted`` per symbol plus that symbol's latest close as the mark, the same account the
positions blotter folds live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ostdesk.engine import events as ev
from ostdesk.engine.portfolio import Portfolio
from ostdesk.gui.batches import PositionSnapshot

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _SymbolFills:
    ts: Ints  # fills of one symbol, in booking order
    quantity: Floats  # position after each of them
    avg_price: Floats
    realized_pnl: Floats


@dataclass(frozen=True, slots=True)
class PositionHistory:
    """Account state after every fill; see the module docstring."""

    capital: float
    fill_ts: Ints
    cash: Floats  # after each fill
    symbols: dict[str, _SymbolFills]

    @classmethod
    def from_fills(cls, fills: Sequence[ev.FillEvent], capital: float) -> PositionHistory:
        portfolio = Portfolio(capital)
        cash = np.empty(len(fills))
        rows: dict[str, list[tuple[int, float, float, float]]] = {}
        for i, f in enumerate(fills):
            portfolio.apply_fill(f.symbol, f.quantity * f.side.sign, f.price, f.commission)
            p = portfolio.positions[f.symbol]
            rows.setdefault(f.symbol, []).append(
                (f.ts_event_ns, p.quantity, p.avg_price, p.realized_pnl)
            )
            cash[i] = portfolio.cash
        symbols = {}
        for symbol, r in rows.items():
            ts, qty, avg, pnl = zip(*r, strict=True)
            symbols[symbol] = _SymbolFills(
                np.asarray(ts, np.int64),
                np.asarray(qty, np.float64),
                np.asarray(avg, np.float64),
                np.asarray(pnl, np.float64),
            )
        fill_ts = np.fromiter((f.ts_event_ns for f in fills), np.int64, len(fills))
        return cls(capital, fill_ts, cash, symbols)

    def cash_at(self, ts_ns: int) -> float:
        n = int(np.searchsorted(self.fill_ts, ts_ns, side="right"))
        return float(self.cash[n - 1]) if n else self.capital

    def positions_at(self, ts_ns: int, marks: Mapping[str, float]) -> dict[str, PositionSnapshot]:
        """Every symbol traded by ``ts_ns`` (as the blotter lists them, flat ones included),
        marked at ``marks[symbol]`` (its latest close)."""
        out = {}
        for symbol, s in self.symbols.items():
            n = int(np.searchsorted(s.ts, ts_ns, side="right"))
            if not n:
                continue
            qty, avg = float(s.quantity[n - 1]), float(s.avg_price[n - 1])
            last = marks[symbol]
            out[symbol] = PositionSnapshot(
                symbol=symbol,
                quantity=qty,
                avg_price=avg,
                last_price=last,
                realized_pnl=float(s.realized_pnl[n - 1]),
                unrealized_pnl=0.0 if qty == 0.0 else qty * (last - avg),
            )
        return out
