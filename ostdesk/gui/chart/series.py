"""Qt-free chart data: growable numpy columns per symbol, appended in batches in O(batch).

The chart items read views of these arrays at paint time, so an append never copies what is
already stored (except the amortised doubling of a column's capacity).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PLACEMENTS = ("price", "pane")
#: Pane names an indicator cannot take ("price" and "volume" overlay those panes instead).
RESERVED_PANES = ("equity", "drawdown")


class GrowableArray:
    """A 1-D numpy column with amortised O(1) append; ``view`` is a view, not a copy.

    A view taken before an append that grows the capacity keeps the old buffer: take a fresh
    ``view`` after appending. ``resize`` hides values without dropping them and shows them again
    until an append writes over them (a replay moving back and forth).
    """

    def __init__(self, dtype: npt.DTypeLike, capacity: int = 1024) -> None:
        self._data: np.ndarray = np.empty(max(capacity, 16), dtype=dtype)
        self._size = 0
        self._filled = 0  # values [0, _filled) are valid: shown, then hidden by resize

    def __len__(self) -> int:
        return self._size

    @property
    def view(self) -> np.ndarray:
        return self._data[: self._size]

    def extend(self, values: np.ndarray) -> None:
        """Append; the capacity doubles, or grows to 1.25x a batch larger than that (a history
        load is usually followed by live appends, which then do not start with a copy)."""
        n = len(values)
        need = self._size + n
        if need > len(self._data):
            grown = np.empty(max(need + need // 4, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : need] = values
        self._size = self._filled = need

    def replace(self, values: np.ndarray) -> None:
        self._size = 0
        self.extend(values)

    def resize(self, n: int) -> None:
        """Show the first ``n`` values: fewer hides the rest without dropping it, more shows
        hidden ones again (until an append writes over them). No copy either way."""
        if not 0 <= n <= self._filled:
            hidden = self._filled - self._size
            raise ValueError(f"cannot reveal {n} values: {self._size} shown, {hidden} hidden")
        self._size = n


def _column(name: str, values: object, dtype: npt.DTypeLike, where: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{where}: {name} must be a 1-D array, got shape {arr.shape}")
    if arr.size and not np.can_cast(arr.dtype, dtype, casting="same_kind"):
        raise ValueError(f"{where}: {name} has dtype {arr.dtype}, expected {np.dtype(dtype)}")
    return arr.astype(dtype, copy=False)


def _same_length(where: str, **columns: np.ndarray) -> int:
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{where}: columns differ in length: {lengths}")
    return next(iter(lengths.values()))


def _check_increasing(where: str, ts: IntArray, last: int | None, strict: bool) -> None:
    """Timestamps must not go back (bars: strictly forward), within the batch and after ``last``."""
    bad = np.flatnonzero(np.diff(ts) <= 0) if strict else np.flatnonzero(np.diff(ts) < 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise ValueError(f"{where}: ts_ns[{i}]={ts[i]} does not follow ts_ns[{i - 1}]={ts[i - 1]}")
    if last is not None and ts.size and (ts[0] <= last if strict else ts[0] < last):
        raise ValueError(f"{where}: ts_ns[0]={ts[0]} does not follow the stored last ts {last}")


class BarSeries:
    """OHLCV bars of one symbol; the bar index is the chart's x coordinate."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.ts = GrowableArray(np.int64)
        self.open = GrowableArray(np.float64)
        self.high = GrowableArray(np.float64)
        self.low = GrowableArray(np.float64)
        self.close = GrowableArray(np.float64)
        self.volume = GrowableArray(np.float64)
        self.price_min = np.inf
        self.price_max = -np.inf
        self.volume_total = 0.0

    def __len__(self) -> int:
        return len(self.ts)

    def append(
        self,
        ts_ns: object,
        open: object,
        high: object,
        low: object,
        close: object,
        volume: object,
        *,
        replace: bool = False,
    ) -> None:
        """Validate the batch completely, then store it: bad input leaves the series unchanged."""
        where = f"bars for {self.symbol!r}"
        ts = _column("ts_ns", ts_ns, np.int64, where)
        cols = {
            name: _column(name, values, np.float64, where)
            for name, values in (
                ("open", open),
                ("high", high),
                ("low", low),
                ("close", close),
                ("volume", volume),
            )
        }
        _same_length(where, ts_ns=ts, **cols)
        for name, col in cols.items():
            bad = np.flatnonzero(~np.isfinite(col))
            if bad.size:
                raise ValueError(f"{where}: {name}[{bad[0]}] is not finite ({col[bad[0]]})")
        _check_increasing(where, ts, None if replace or not len(self) else self.last_ts, True)
        if not ts.size and not replace:
            return
        start = 0 if replace else len(self)
        for column, name in (
            (self.open, "open"),
            (self.high, "high"),
            (self.low, "low"),
            (self.close, "close"),
            (self.volume, "volume"),
        ):
            (column.replace if replace else column.extend)(cols[name])
        (self.ts.replace if replace else self.ts.extend)(ts)
        self._fold_stats(start)

    def resize(self, n: int) -> None:
        """Show the first ``n`` bars (see ``GrowableArray.resize``): a replay's moves, with no
        copy and no check (the bars were checked when first appended)."""
        start = len(self)
        for column in (self.ts, self.open, self.high, self.low, self.close, self.volume):
            column.resize(n)
        self._fold_stats(start if n >= start else 0)

    def _fold_stats(self, start: int) -> None:
        """Fold bars ``[start:]`` into the price range and volume (from scratch at 0)."""
        if start == 0:
            self.price_min, self.price_max, self.volume_total = np.inf, -np.inf, 0.0
        if len(self) > start:
            self.price_min = min(self.price_min, float(self.low.view[start:].min()))
            self.price_max = max(self.price_max, float(self.high.view[start:].max()))
            self.volume_total += float(self.volume.view[start:].sum())

    @property
    def last_ts(self) -> int:
        return int(self.ts.view[-1])

    def index_at(self, ts_ns: np.ndarray) -> IntArray:
        """Index of the last bar whose ts <= each given ts (-1 before the first bar)."""
        return np.searchsorted(self.ts.view, ts_ns, side="right").astype(np.int64) - 1


@dataclasses.dataclass
class IndicatorSeries:
    """One indicator line, aligned with its symbol's bars (value i belongs to bar i)."""

    name: str
    placement: str
    pane: str
    values: GrowableArray = dataclasses.field(default_factory=lambda: GrowableArray(np.float64))
    vmin: float = np.inf
    vmax: float = -np.inf

    def __len__(self) -> int:
        return len(self.values)

    def extend(self, values: FloatArray, *, replace: bool = False) -> None:
        start = 0 if replace else len(self)
        (self.values.replace if replace else self.values.extend)(values)
        self._fold_stats(start)

    def resize(self, n: int) -> None:
        start = len(self)
        self.values.resize(n)
        self._fold_stats(start if n >= start else 0)

    def _fold_stats(self, start: int) -> None:
        if start == 0:
            self.vmin, self.vmax = np.inf, -np.inf
        new = self.values.view[start:]
        finite = new[np.isfinite(new)]
        if finite.size:
            self.vmin = min(self.vmin, float(finite.min()))
            self.vmax = max(self.vmax, float(finite.max()))


class FillSeries:
    """Executions of one symbol in time order; mapped to bars at draw time (bars may lag)."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.ts = GrowableArray(np.int64, 64)
        self.side = GrowableArray(np.int8, 64)
        self.qty = GrowableArray(np.float64, 64)
        self.price = GrowableArray(np.float64, 64)
        self.order_id = GrowableArray(np.int64, 64)
        self.price_min, self.price_max = np.inf, -np.inf

    def __len__(self) -> int:
        return len(self.ts)

    def append(
        self, ts_ns: object, side: object, qty: object, price: object, order_id: object
    ) -> None:
        where = f"fills for {self.symbol!r}"
        ts = _column("ts_ns", ts_ns, np.int64, where)
        sides = _column("side", side, np.int64, where)
        q = _column("qty", qty, np.float64, where)
        p = _column("price", price, np.float64, where)
        ids = _column("order_id", order_id, np.int64, where)
        _same_length(where, ts_ns=ts, side=sides, qty=q, price=p, order_id=ids)
        bad = np.flatnonzero((sides != 1) & (sides != -1))
        if bad.size:
            raise ValueError(f"{where}: side[{bad[0]}]={sides[bad[0]]}, expected +1 or -1")
        bad = np.flatnonzero(~np.isfinite(p) | ~np.isfinite(q))
        if bad.size:
            raise ValueError(f"{where}: price or qty [{bad[0]}] is not finite")
        _check_increasing(where, ts, int(self.ts.view[-1]) if len(self) else None, False)
        start = len(self)
        self.ts.extend(ts)
        self.side.extend(sides.astype(np.int8))
        self.qty.extend(q)
        self.price.extend(p)
        self.order_id.extend(ids)
        self._fold_stats(start)

    def resize(self, n: int) -> None:
        """Show the first ``n`` fills (see ``GrowableArray.resize``)."""
        start = len(self)
        for column in (self.ts, self.side, self.qty, self.price, self.order_id):
            column.resize(n)
        self._fold_stats(start if n >= start else 0)

    def _fold_stats(self, start: int) -> None:
        if start == 0:
            self.price_min, self.price_max = np.inf, -np.inf
        new = self.price.view[start:]
        if new.size:
            self.price_min = min(self.price_min, float(new.min()))
            self.price_max = max(self.price_max, float(new.max()))


@dataclasses.dataclass(frozen=True)
class RoundTrips:
    """Closed trades of one symbol, replaced wholesale."""

    entry_ts: IntArray
    entry_price: FloatArray
    exit_ts: IntArray
    exit_price: FloatArray
    pnl: FloatArray

    @classmethod
    def build(
        cls,
        symbol: str,
        entry_ts: object,
        entry_price: object,
        exit_ts: object,
        exit_price: object,
        pnl: object,
    ) -> RoundTrips:
        where = f"round trips for {symbol!r}"
        trips = cls(
            _column("entry_ts", entry_ts, np.int64, where),
            _column("entry_price", entry_price, np.float64, where),
            _column("exit_ts", exit_ts, np.int64, where),
            _column("exit_price", exit_price, np.float64, where),
            _column("pnl", pnl, np.float64, where),
        )
        _same_length(where, **dataclasses.asdict(trips))
        bad = np.flatnonzero(trips.exit_ts < trips.entry_ts)
        if bad.size:
            raise ValueError(f"{where}: trip {bad[0]} exits before it enters")
        return trips

    @classmethod
    def empty(cls) -> RoundTrips:
        return cls.build("", *([np.empty(0)] * 5))


@dataclasses.dataclass(frozen=True)
class WorkingOrder:
    order_id: int
    kind: str
    price: float


class EquitySeries:
    """Account equity over time with its drawdown from the running peak (as a fraction <= 0)."""

    def __init__(self) -> None:
        self.ts = GrowableArray(np.int64)
        self.equity = GrowableArray(np.float64)
        self.drawdown = GrowableArray(np.float64)
        self._peak = -np.inf
        self.vmin, self.vmax, self.dd_min = np.inf, -np.inf, 0.0

    def __len__(self) -> int:
        return len(self.ts)

    def append(self, ts_ns: object, equity: object, *, replace: bool = False) -> None:
        where = "equity"
        ts = _column("ts_ns", ts_ns, np.int64, where)
        eq = _column("equity", equity, np.float64, where)
        _same_length(where, ts_ns=ts, equity=eq)
        bad = np.flatnonzero(~np.isfinite(eq))
        if bad.size:
            raise ValueError(f"{where}: equity[{bad[0]}] is not finite")
        last = None if replace or not len(self) else int(self.ts.view[-1])
        _check_increasing(where, ts, last, False)
        start = 0 if replace else len(self)
        peak = np.maximum.accumulate(np.concatenate(([-np.inf if replace else self._peak], eq)))
        with np.errstate(divide="ignore", invalid="ignore"):
            dd = np.where(peak[1:] > 0, eq / peak[1:] - 1.0, 0.0)
        for column, values in ((self.ts, ts), (self.equity, eq), (self.drawdown, dd)):
            (column.replace if replace else column.extend)(values)
        self._fold_stats(start)

    def resize(self, n: int) -> None:
        """Show the first ``n`` points; their drawdowns stand (the peak is a running one)."""
        start = len(self)
        for column in (self.ts, self.equity, self.drawdown):
            column.resize(n)
        self._fold_stats(start if n >= start else 0)

    def _fold_stats(self, start: int) -> None:
        if start == 0:
            self._peak, self.vmin, self.vmax, self.dd_min = -np.inf, np.inf, -np.inf, 0.0
        eq, dd = self.equity.view[start:], self.drawdown.view[start:]
        if eq.size:
            self._peak = max(self._peak, float(eq.max()))
            self.vmin, self.vmax = min(self.vmin, float(eq.min())), max(self.vmax, float(eq.max()))
            self.dd_min = min(self.dd_min, float(dd.min()))


class SymbolData:
    """Everything the chart shows for one symbol."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bars = BarSeries(symbol)
        self.indicators: dict[str, IndicatorSeries] = {}
        self.fills = FillSeries(symbol)
        self.round_trips = RoundTrips.empty()
        self.working_orders: tuple[WorkingOrder, ...] = ()

    def add_indicator(self, name: str, placement: str, pane: str | None) -> IndicatorSeries:
        if placement not in PLACEMENTS:
            raise ValueError(
                f"indicator {name!r} for {self.symbol!r}: placement {placement!r} "
                f"is not one of {PLACEMENTS}"
            )
        if name in self.indicators:
            raise ValueError(f"indicator {name!r} for {self.symbol!r} is already declared")
        if placement == "pane" and pane in RESERVED_PANES:
            raise ValueError(
                f"indicator {name!r} for {self.symbol!r}: pane {pane!r} is the chart's own"
            )
        series = IndicatorSeries(name, placement, pane or name)
        self.indicators[name] = series
        return series

    def indicator_values(self, name: str, values: object, *, replace: bool) -> FloatArray:
        """Check a batch of indicator values against the bars; returns them as float64."""
        where = f"indicator {name!r} for {self.symbol!r}"
        series = self.indicators.get(name)
        if series is None:
            raise KeyError(f"{where} was not declared with add_indicator")
        arr = _column("values", values, np.float64, where)
        total = len(arr) + (0 if replace else len(series.values))
        if total > len(self.bars):
            raise ValueError(
                f"{where}: {total} values but only {len(self.bars)} bars; append the bars first"
            )
        return arr

    def set_working_orders(self, orders: Sequence[tuple[int, str, float]]) -> None:
        checked = []
        for i, order in enumerate(orders):
            order_id, kind, price = order
            if not np.isfinite(price):
                raise ValueError(f"working order {i} for {self.symbol!r}: price {price} not finite")
            checked.append(WorkingOrder(int(order_id), str(kind), float(price)))
        self.working_orders = tuple(checked)
