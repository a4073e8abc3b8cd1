"""Round-trip trades matched FIFO from fills, for the trade list and the run statistics.

A round trip is one lot's journey from the fill that opened it to the fill that closed it. Fills are
matched first-in-first-out per symbol; a close smaller than the oldest lot splits that lot into a
closed round trip and a smaller open lot; a fill that crosses zero closes every old lot and opens a
new lot with the rest. Commissions are apportioned pro rata by quantity on both legs, so a lot
split in two carries the same total commission as the lot it came from.

Per round trip (``side`` is +1 long, -1 short, ``size`` > 0):

* ``pnl = side * size * (exit_price - entry_price) - commission`` (entry + exit legs' share);
* ``return_pct = 100 * (side * (exit / entry - 1) - commission / (size * entry))`` with entry and
  exit prices, in percent (backtesting.py's ``ReturnPct`` is the same number as a fraction);
  a zero ``pnl`` or ``return_pct`` is 0.0, never -0.0;
* ``duration_ns = exit_ts - entry_ts``;
* with ``bars``: ``entry_bar``/``exit_bar`` index the symbol's bars (the bar holding the fill: the
  last bar whose ``ts`` <= the fill's ``ts``), ``duration_bars = exit_bar - entry_bar``, and the
  excursions over the bars from entry to exit bar *inclusive*, gross of commission, side-signed,
  relative to the entry price: ``mfe_pct`` is the best unrealised return the bars allowed
  (long: ``max(high) / entry - 1``, short: ``1 - min(low) / entry``), ``mae_pct`` the worst
  (long: ``min(low) / entry - 1``, short: ``1 - max(high) / entry``), both x 100. The whole entry
  and exit bars count because the order of prices inside a bar is unknown. Without ``bars`` these
  are -1 (bars) and NaN (excursions).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]

_FILL_COLUMNS = ("ts", "symbol", "side", "quantity", "price", "commission")
_EPS = 1e-9  # relative quantity tolerance: a lot this close to zero is closed


@dataclass(frozen=True, slots=True)
class Fills:
    """Validated fill columns, sorted by time (stable: equal times keep their given order)."""

    ts: IntArray
    symbol: ObjArray
    side: npt.NDArray[np.int8]
    quantity: FloatArray
    price: FloatArray
    commission: FloatArray

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def from_mapping(cls, fills: Mapping[str, Any]) -> Fills:
        """Check the columns (clear error naming the column and row) and sort them by time."""
        missing = [c for c in _FILL_COLUMNS if c not in fills]
        if missing:
            raise ValueError(f"fills: missing column(s) {missing}")
        cols = {c: np.asarray(fills[c]) for c in _FILL_COLUMNS}
        n = len(cols["ts"])
        for name, col in cols.items():
            if col.ndim != 1 or len(col) != n:
                raise ValueError(f"fills[{name!r}]: expected a 1-d array of length {n}")
        if not np.issubdtype(cols["ts"].dtype, np.integer):
            raise ValueError(f"fills['ts']: expected int64 nanoseconds, got {cols['ts'].dtype}")
        side = cols["side"].astype(np.int8)
        _check(side, np.isin(side, (1, -1)), "side", "must be +1 (buy) or -1 (sell)")
        quantity = cols["quantity"].astype(np.float64)
        _check(quantity, np.isfinite(quantity) & (quantity > 0), "quantity", "must be > 0")
        price = cols["price"].astype(np.float64)
        _check(price, np.isfinite(price) & (price > 0), "price", "must be finite and > 0")
        commission = cols["commission"].astype(np.float64)
        _check(commission, np.isfinite(commission), "commission", "must be finite")
        ts = cols["ts"].astype(np.int64)
        order = np.argsort(ts, kind="stable")
        return cls(
            ts=ts[order],
            symbol=cols["symbol"].astype(object)[order],
            side=side[order],
            quantity=quantity[order],
            price=price[order],
            commission=commission[order],
        )


def _check(values: npt.NDArray[Any], ok: npt.NDArray[np.bool_], name: str, rule: str) -> None:
    if not ok.all():
        row = int(np.argmin(ok))
        raise ValueError(f"fills[{name!r}] row {row}: {values[row]!r} {rule}")


@dataclass(frozen=True, slots=True)
class RoundTrips:
    """Closed round trips, columnar, in the order they were closed (FIFO within a fill)."""

    symbol: ObjArray
    side: npt.NDArray[np.int8]
    size: FloatArray
    entry_ts: IntArray
    exit_ts: IntArray
    entry_price: FloatArray
    exit_price: FloatArray
    pnl: FloatArray
    return_pct: FloatArray
    commission: FloatArray
    duration_ns: IntArray
    duration_bars: IntArray
    mae_pct: FloatArray
    mfe_pct: FloatArray
    entry_bar: IntArray
    exit_bar: IntArray

    def __len__(self) -> int:
        return len(self.size)

    @classmethod
    def empty(cls) -> RoundTrips:
        """No round trips, with every column's dtype right."""
        return _round_trips_from_rows([], None)


@dataclass(frozen=True, slots=True)
class OpenLots:
    """Lots still open after the last fill, oldest first per symbol (not round trips)."""

    symbol: ObjArray
    side: npt.NDArray[np.int8]
    size: FloatArray
    entry_ts: IntArray
    entry_price: FloatArray
    commission: FloatArray  # the entry commission not yet charged to a round trip

    def __len__(self) -> int:
        return len(self.size)


class _Lot:
    __slots__ = ("commission", "price", "side", "size", "ts")

    def __init__(self, side: int, size: float, ts: int, price: float, commission: float) -> None:
        self.side = side
        self.size = size
        self.ts = ts
        self.price = price
        self.commission = commission


# One closed piece of a lot: symbol, side, size, entry_ts, exit_ts, entry/exit price, commission.
_Row = tuple[str, int, float, int, int, float, float, float]


def _match(fills: Fills) -> tuple[list[_Row], dict[str, deque[_Lot]]]:
    """FIFO-match the fills; return the closed pieces and the lots left open per symbol."""
    books: dict[str, deque[_Lot]] = {}
    rows: list[_Row] = []
    for i in range(len(fills)):
        symbol = str(fills.symbol[i])
        side = int(fills.side[i])
        fill_qty = float(fills.quantity[i])
        ts, price = int(fills.ts[i]), float(fills.price[i])
        comm_per_unit = float(fills.commission[i]) / fill_qty
        lots = books.setdefault(symbol, deque())
        left = fill_qty
        while lots and lots[0].side != side and left > _EPS * fill_qty:
            lot = lots[0]
            take = min(lot.size, left)
            if lot.size - take <= _EPS * lot.size:
                take = lot.size
            entry_comm = lot.commission * take / lot.size
            rows.append(
                (symbol, lot.side, take, lot.ts, ts, lot.price, price,
                 entry_comm + comm_per_unit * take)
            )  # fmt: skip
            lot.size -= take
            lot.commission -= entry_comm
            left -= take
            if lot.size == 0.0:
                lots.popleft()
        if left > _EPS * fill_qty:
            lots.append(_Lot(side, left, ts, price, comm_per_unit * left))
    return rows, books


def round_trips(
    fills: Mapping[str, Any], bars: Mapping[str, Mapping[str, Any]] | None = None
) -> RoundTrips:
    """Match ``fills`` FIFO into round trips; ``bars`` (symbol -> ts/high/low) adds MAE/MFE.

    ``fills`` maps ``ts`` (int64 ns), ``symbol``, ``side`` (+1 buy / -1 sell), ``quantity`` (> 0),
    ``price`` and ``commission`` to equal-length arrays. Lots still open at the end are not round
    trips: see :func:`open_lots`.
    """
    rows, _ = _match(Fills.from_mapping(fills))
    return _round_trips_from_rows(rows, bars)


def open_lots(fills: Mapping[str, Any]) -> OpenLots:
    """The lots the FIFO matching of ``fills`` leaves open, per symbol oldest first."""
    _, books = _match(Fills.from_mapping(fills))
    lots = [(symbol, lot) for symbol, book in books.items() for lot in book]
    return OpenLots(
        symbol=np.array([s for s, _ in lots], dtype=object),
        side=np.array([lot.side for _, lot in lots], dtype=np.int8),
        size=np.array([lot.size for _, lot in lots], dtype=np.float64),
        entry_ts=np.array([lot.ts for _, lot in lots], dtype=np.int64),
        entry_price=np.array([lot.price for _, lot in lots], dtype=np.float64),
        commission=np.array([lot.commission for _, lot in lots], dtype=np.float64),
    )


def _round_trips_from_rows(
    rows: list[_Row], bars: Mapping[str, Mapping[str, Any]] | None
) -> RoundTrips:
    symbol = np.array([r[0] for r in rows], dtype=object)
    side = np.array([r[1] for r in rows], dtype=np.int8)
    size = np.array([r[2] for r in rows], dtype=np.float64)
    entry_ts = np.array([r[3] for r in rows], dtype=np.int64)
    exit_ts = np.array([r[4] for r in rows], dtype=np.int64)
    entry_price = np.array([r[5] for r in rows], dtype=np.float64)
    exit_price = np.array([r[6] for r in rows], dtype=np.float64)
    commission = np.array([r[7] for r in rows], dtype=np.float64)
    gross = side * (exit_price / entry_price - 1.0)
    n = len(rows)
    entry_bar = np.full(n, -1, dtype=np.int64)
    exit_bar = np.full(n, -1, dtype=np.int64)
    mae = np.full(n, np.nan)
    mfe = np.full(n, np.nan)
    if bars is not None:
        _place_on_bars(bars, symbol, side, entry_ts, exit_ts, entry_price,
                       (entry_bar, exit_bar, mae, mfe))  # fmt: skip
    return RoundTrips(
        symbol=symbol,
        side=side,
        size=size,
        entry_ts=entry_ts,
        exit_ts=exit_ts,
        entry_price=entry_price,
        exit_price=exit_price,
        # + 0.0: a short closed at its entry price, free, made 0, not -0.0
        pnl=side * size * (exit_price - entry_price) - commission + 0.0,
        return_pct=100.0 * (gross - commission / (size * entry_price)) + 0.0,
        commission=commission,
        duration_ns=exit_ts - entry_ts,
        duration_bars=np.where(entry_bar >= 0, exit_bar - entry_bar, -1),
        mae_pct=mae,
        mfe_pct=mfe,
        entry_bar=entry_bar,
        exit_bar=exit_bar,
    )


def _place_on_bars(
    bars: Mapping[str, Mapping[str, Any]],
    symbol: ObjArray,
    side: npt.NDArray[np.int8],
    entry_ts: IntArray,
    exit_ts: IntArray,
    entry_price: FloatArray,
    out: tuple[IntArray, IntArray, FloatArray, FloatArray],
) -> None:
    """Fill ``out`` (entry_bar, exit_bar, mae_pct, mfe_pct) in place from each symbol's bars."""
    entry_bar, exit_bar, mae, mfe = out
    for sym in np.unique(symbol):
        if sym not in bars:
            raise ValueError(f"bars: no bars for symbol {sym!r}, which has round trips")
        sym_bars = bars[sym]
        bar_ts = np.asarray(sym_bars["ts"], dtype=np.int64)
        high = np.asarray(sym_bars["high"], dtype=np.float64)
        low = np.asarray(sym_bars["low"], dtype=np.float64)
        if not len(bar_ts) == len(high) == len(low):
            raise ValueError(f"bars[{sym!r}]: ts, high and low differ in length")
        rows = np.flatnonzero(symbol == sym)
        first = np.searchsorted(bar_ts, entry_ts[rows], side="right") - 1
        last = np.searchsorted(bar_ts, exit_ts[rows], side="right") - 1
        if (first < 0).any():
            row = rows[int(np.argmin(first))]
            raise ValueError(
                f"bars[{sym!r}]: round trip entered at ts {entry_ts[row]} before the first bar"
            )
        entry_bar[rows], exit_bar[rows] = first, last
        hi = _range_reduce(np.maximum, high, first, last)
        lo = _range_reduce(np.minimum, low, first, last)
        price = entry_price[rows]
        is_long = side[rows] > 0
        mfe[rows] = 100.0 * np.where(is_long, hi / price - 1.0, 1.0 - lo / price)
        mae[rows] = 100.0 * np.where(is_long, lo / price - 1.0, 1.0 - hi / price)


def _range_reduce(
    ufunc: np.ufunc, values: FloatArray, first: IntArray, last: IntArray
) -> FloatArray:
    """``ufunc`` over ``values[first[i] : last[i] + 1]`` for every i (ranges may overlap), in
    one ``reduceat``: its even rows are exactly these ranges, the odd ones are discarded."""
    if not len(first):
        return np.empty(0)
    bounds = np.empty(2 * len(first), dtype=np.int64)
    bounds[0::2], bounds[1::2] = first, last + 1
    padded = np.append(values, values[-1])  # ``last + 1`` may be one past the end
    reduced: FloatArray = ufunc.reduceat(padded, bounds)[0::2]
    return reduced
