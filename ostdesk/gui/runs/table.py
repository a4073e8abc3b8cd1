"""The run list as numpy columns, with search, filters and sorting done in numpy.

Built once per refresh (off the GUI thread, by the worker) from ``list_runs``; a keystroke
in the search box is then one vectorised substring test per search word over a precomputed
lowercase haystack, and a sort is one cached ``argsort`` per column, so 10,000 runs filter
and sort in milliseconds. Qt-free, so it is tested and benchmarked without a window.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.gui.runs.format import params_from_json, params_text
from ostdesk.store.run_schema import HEADLINE_STATS

Array = npt.NDArray[Any]
Indices = npt.NDArray[np.intp]


@dataclasses.dataclass(frozen=True)
class RunColumn:
    key: str
    header: str
    numeric: bool
    tooltip: str = ""


COLUMNS = (
    RunColumn("run_id", "ID", True),
    RunColumn("name", "Name", False),
    RunColumn("strategy", "Strategy", False),
    RunColumn("params_text", "Parameters", False),
    RunColumn("symbols_text", "Symbols", False),
    RunColumn("period", "Period", False),
    RunColumn("range_start", "Date range", True, "First and last bar of the run (UTC)"),
    RunColumn("status", "Status", False),
    RunColumn("started", "Started", True, "Wall-clock start of the run (UTC)"),
    RunColumn("wall", "Wall", True, "Wall-clock duration of the run"),
    RunColumn("return_pct", "Return %", True, "Final equity over starting equity, minus 1"),
    RunColumn("cagr_pct", "CAGR %", True, "Compound annual growth rate of equity"),
    RunColumn("sharpe", "Sharpe", True, "Annual return over annual volatility"),
    RunColumn("max_drawdown_pct", "Max DD %", True, "Deepest fall of equity below its peak"),
    RunColumn("trades", "# Trades", True, "Number of closed round trips"),
    RunColumn("win_rate_pct", "Win %", True, "Share of trades with positive P&L"),
    RunColumn("profit_factor", "PF", True, "Profit factor: winning over losing trade returns"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_STAT_KEYS = ("capital", *HEADLINE_STATS, "bars")


@dataclasses.dataclass(frozen=True)
class RunQuery:
    """What the browser shows: every search word must occur (in the name, strategy, symbols,
    parameters, tags or notes); an empty ``statuses`` means any status; ``started_*`` bound
    the wall-clock start in µs since the epoch, UTC."""

    text: str = ""
    statuses: frozenset[str] = frozenset()
    strategy: str | None = None
    started_from_us: int | None = None
    started_to_us: int | None = None


class RunTable:
    """Every run of the database as columns (index = position in ``list_runs``, newest first)."""

    def __init__(self, columns: dict[str, Array]) -> None:
        self.columns = columns
        self.run_id: npt.NDArray[np.int64] = columns["run_id"]
        self.haystack: Array = columns["haystack"]
        self._orders: dict[tuple[str, bool], Indices] = {}

    def __len__(self) -> int:
        return len(self.run_id)

    @classmethod
    def empty(cls) -> RunTable:
        return cls.from_listing({})

    @classmethod
    def from_listing(cls, listing: dict[str, Array]) -> RunTable:
        """Normalise ``list_runs`` output: NULLs become NaN / NaT / '' (never masked arrays),
        and the derived text columns and the search haystack are computed once."""
        n = len(listing.get("run_id", ()))
        col = {k: _plain(v) for k, v in listing.items()}
        cols: dict[str, Array] = {"run_id": np.asarray(col.get("run_id", []), dtype=np.int64)}
        for key in ("name", "strategy", "period", "status", "notes", "params", "commission"):
            cols[key] = _text(col.get(key), n)
        cols["error"] = np.array([error_summary(e) for e in _text(col.get("error"), n)], object)
        for key in _STAT_KEYS:
            cols[key] = _floats(col.get(key), n)
        for key in ("start_ns", "end_ns", "first_bar_ns", "last_bar_ns"):
            cols[key] = _floats(col.get(key), n)
        cols["range_start"] = np.where(
            np.isnan(cols["first_bar_ns"]), cols["start_ns"], cols["first_bar_ns"]
        )
        cols["range_end"] = np.where(
            np.isnan(cols["last_bar_ns"]), cols["end_ns"], cols["last_bar_ns"]
        )
        cols["started"] = _micros(col.get("started_at"), n)
        cols["ended"] = _micros(col.get("ended_at"), n)
        cols["wall"] = (cols["ended"] - cols["started"]) / 1e6
        texts = {p: params_text(params_from_json(p)) for p in set(cols["params"])}  # once each
        shown = [texts[p] for p in cols["params"]] if n else []
        cols["params_text"] = np.array(shown, dtype=object)
        cols["symbols_text"] = _joined(col.get("symbols"), n)
        cols["tags_text"] = _joined(col.get("tags"), n)
        parts = zip(
            cols["name"],
            cols["strategy"],
            cols["symbols_text"],
            cols["params_text"],
            cols["tags_text"],
            cols["notes"],
            strict=True,
        )
        cols["haystack"] = np.array(["\t".join(p).lower() for p in parts] if n else [], dtype=str)
        return cls(cols)

    def strategies(self) -> list[str]:
        return sorted({str(s) for s in self.columns["strategy"]})

    def positions_of(self, run_ids: npt.ArrayLike) -> Indices:
        """Indices of the given runs that are in the table."""
        return np.flatnonzero(np.isin(self.run_id, np.asarray(run_ids, dtype=np.int64)))

    def matches(self, query: RunQuery) -> npt.NDArray[np.bool_]:
        mask = np.ones(len(self), dtype=bool)
        for word in query.text.lower().split():
            mask &= np.strings.find(self.haystack, word) >= 0
        if query.statuses:
            mask &= np.isin(self.columns["status"], list(query.statuses))
        if query.strategy:
            mask &= self.columns["strategy"] == query.strategy
        started = self.columns["started"]
        if query.started_from_us is not None:
            mask &= started >= query.started_from_us
        if query.started_to_us is not None:
            mask &= started < query.started_to_us
        return mask

    def order(self, key: str, descending: bool) -> Indices:
        """All rows sorted by one column (stable; missing values last either way); cached."""
        cached = self._orders.get((key, descending))
        if cached is not None:
            return cached
        values = self.columns[key]
        if values.dtype.kind == "f":
            sort_key = -values if descending else values  # NaN stays NaN: sorted last
        else:
            if values.dtype == object:
                values = np.array([str(v).lower() for v in values], dtype=str)
            ranks = np.unique(values, return_inverse=True)[1].astype(np.int64)
            sort_key = -ranks if descending else ranks
        order = np.argsort(sort_key, kind="stable")
        self._orders[(key, descending)] = order
        return order

    def view(self, query: RunQuery, key: str, descending: bool) -> Indices:
        """Row indices to show, in display order."""
        order = self.order(key, descending)
        return order[self.matches(query)[order]]


def _plain(values: Any) -> Any:
    """DuckDB returns a nullable column as a masked array; give its NULLs a plain value."""
    if np.ma.isMaskedArray(values):
        if values.dtype.kind in "iuf":
            return values.astype(np.float64).filled(np.nan)
        if values.dtype.kind == "M":
            return values.filled(np.datetime64("NaT"))
        plain = values.data.astype(object)
        plain[values.mask] = None
        return plain
    return values


def error_summary(text: str) -> str:
    """What went wrong, in the one line a tooltip shows: a traceback's last line (the
    exception), else the first line (the recorder's sentence leads a longer text)."""
    lines = [line for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1].strip() if lines[0].startswith("Traceback") else lines[0].strip()


def _text(values: Any, n: int) -> Array:
    if values is None:
        return np.full(n, "", dtype=object)
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def _floats(values: Any, n: int) -> npt.NDArray[np.float64]:
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(values, dtype=np.float64)


def _micros(values: Any, n: int) -> npt.NDArray[np.float64]:
    """Wall-clock times as float µs since the epoch (NaN for none)."""
    if values is None:
        return np.full(n, np.nan)
    stamps = np.asarray(values).astype("datetime64[us]")
    out = stamps.astype(np.int64).astype(np.float64)
    out[np.isnat(stamps)] = np.nan
    return out


def _joined(values: Any, n: int) -> Array:
    if values is None:
        return np.full(n, "", dtype=object)
    return np.array([", ".join(map(str, v)) if v is not None else "" for v in values], dtype=object)
