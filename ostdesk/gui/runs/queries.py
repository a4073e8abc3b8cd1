"""What the run widgets read and change, as functions of one cursor run on the worker thread.

Each returns plain data (numpy columns, dicts, a ``RunTable``) that the GUI thread only shows;
all the building — normalising the list, aligning indicators on bars — happens here, off the
GUI thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ostdesk.gui.runs.table import RunTable
from ostdesk.store.database import Database
from ostdesk.store.export import export_run
from ostdesk.store.runs import (
    Columns,
    delete_run,
    get_run,
    list_runs,
    run_bars,
    run_equity,
    run_equity_points,
    run_fills,
    run_indicators,
    run_stats,
    run_trades,
)

Cursor = duckdb.DuckDBPyConnection


@dataclasses.dataclass(frozen=True)
class RunResults:
    """A run's stored row (``get_run``), statistics, equity curve and round trips."""

    run: dict[str, Any]
    stats: dict[str, object]
    equity: Columns
    trades: Columns

    @property
    def run_id(self) -> int:
        return int(self.run["run_id"])

    @property
    def label(self) -> str:
        name = self.run["name"] or self.run["strategy"]
        return f"#{self.run_id} {name}"


@dataclasses.dataclass(frozen=True)
class RunChartData:
    """Everything the chart shows of a recorded run: per symbol its bars, fills, round trips
    and indicator lines (aligned on its bars, with a guessed placement), and the equity
    (``ts`` and ``equity`` only)."""

    run: dict[str, Any]
    bars: dict[str, Columns]
    fills: Columns
    trades: Columns
    equity: Columns
    indicators: dict[str, dict[str, tuple[str, np.ndarray[Any, Any]]]]
    panes: dict[str, str | None] = dataclasses.field(default_factory=dict)
    """Indicator line -> the pane group of its indicator (from the recorded layout)."""


def load_table(cur: Cursor) -> RunTable:
    return RunTable.from_listing(list_runs(cur))


def load_results(cur: Cursor, run_id: int) -> RunResults:
    return RunResults(
        run=get_run(cur, run_id),
        stats=run_stats(cur, run_id),
        equity=run_equity(cur, run_id),
        trades=run_trades(cur, run_id),
    )


def load_many_results(cur: Cursor, run_ids: Sequence[int]) -> list[RunResults]:
    return [load_results(cur, run_id) for run_id in run_ids]


def load_chart_data(cur: Cursor, run_id: int) -> RunChartData:
    run = get_run(cur, run_id)
    bars = {symbol: run_bars(cur, run_id, symbol) for symbol in run["symbols"]}
    indicators = {
        symbol: _aligned_indicators(run_indicators(cur, run_id, symbol), bars[symbol])
        for symbol in run["symbols"]
    }
    layout = {name: (placement, group) for name, placement, group in run["indicators"]}
    for lines in indicators.values():  # the recorded layout beats the guess
        for name, (_guessed, values) in lines.items():
            if name in layout:
                lines[name] = (layout[name][0], values)
    # Colours follow declaration order, as live and in replay: the store lists lines by name.
    order = {name: i for i, name in enumerate(layout)}
    indicators = {
        symbol: dict(sorted(lines.items(), key=lambda kv: order.get(kv[0], len(order))))
        for symbol, lines in indicators.items()
    }
    panes: dict[str, str | None] = {
        name: (group if placement == "pane" else None)
        for name, (placement, group) in layout.items()
    }
    return RunChartData(
        run=run,
        bars=bars,
        fills=run_fills(cur, run_id),
        trades=run_trades(cur, run_id),
        equity=run_equity_points(cur, run_id),
        indicators=indicators,
        panes=panes,
    )


def _aligned_indicators(
    lines: dict[str, Columns], bars: Columns
) -> dict[str, tuple[str, np.ndarray[Any, Any]]]:
    """Each line as values per bar (NaN where it has none) and "price" when its values lie
    in the price range (a moving average) or "pane" otherwise (an oscillator)."""
    out: dict[str, tuple[str, np.ndarray[Any, Any]]] = {}
    ts = np.asarray(bars["ts"], dtype=np.int64)
    if len(ts) == 0:
        return out
    low, high = np.nanmin(bars["low"]), np.nanmax(bars["high"])
    for name, line in lines.items():
        values = np.full(len(ts), np.nan)
        pos = np.searchsorted(ts, line["ts"])
        found = (pos < len(ts)) & (ts[np.minimum(pos, len(ts) - 1)] == line["ts"])
        values[pos[found]] = np.asarray(line["value"], dtype=np.float64)[found]
        median = np.nanmedian(values) if np.isfinite(values).any() else np.nan
        span = high - low
        on_price = bool(low - span <= median <= high + span)
        out[name] = ("price" if on_price else "pane", values)
    return out


def delete_runs(db: Database, run_ids: Sequence[int]) -> list[int]:
    """Delete each run (one transaction each, every table); return those deleted."""
    for run_id in run_ids:
        delete_run(db, run_id)
    return list(run_ids)


def export_runs(
    cur: Cursor, run_ids: Sequence[int], whats: Sequence[str], folder: Path, fmt: str
) -> list[Path]:
    """Write ``run-<id>-<what>.<csv|parquet>`` files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run_id in run_ids:
        for what in whats:
            path = folder / f"run-{run_id}-{what}.{fmt}"
            export_run(cur, run_id, what, str(path), fmt)
            paths.append(path)
    return paths
