"""A run of a million bars gives a report of a reasonable size: its charts are drawn from
per-pixel-column envelopes and its trade list is capped, whatever the run's length."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from ostdesk.report import render_report
from ostdesk.report.charts import MAX_FULL_MARKERS, price_chart
from ostdesk.report.data import ReportData
from ostdesk.report.sections import MAX_TRADE_ROWS
from ostdesk.report.svg import PLOT_COLUMNS
from ostdesk.store.roundtrips import open_lots

MINUTE_NS = 60_000_000_000


def million_bar_run(n: int = 1_000_000, trips: int = 5_000) -> ReportData:
    rng = np.random.default_rng(1)
    ts = np.datetime64("2020-01-01", "ns").astype(np.int64) + np.arange(n) * MINUTE_NS
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    bars = {"ts": ts, "open": close, "high": close * 1.001, "low": close * 0.999,
            "close": close, "volume": np.ones(n)}  # fmt: skip
    equity = 100_000 * np.exp(np.cumsum(rng.normal(0, 0.0005, n)))
    drawdown = 100 * (1 - equity / np.maximum.accumulate(equity))
    entry = np.sort(rng.choice(n - 100, trips, replace=False))
    exit_ = entry + 50
    trades = {
        "symbol": np.full(trips, "SYN", dtype=object),
        "side": np.where(rng.random(trips) < 0.5, "LONG", "SHORT").astype(object),
        "size": np.full(trips, 10.0),
        "entry_ts": ts[entry], "exit_ts": ts[exit_],
        "entry_price": close[entry], "exit_price": close[exit_],
        "pnl": 10 * (close[exit_] - close[entry]), "return_pct": rng.normal(0, 1, trips),
        "commission": np.zeros(trips), "duration_ns": ts[exit_] - ts[entry],
        "duration_bars": np.full(trips, 50), "mae_pct": -rng.random(trips),
        "mfe_pct": rng.random(trips),
    }  # fmt: skip
    run = {
        "run_id": 7, "name": "", "strategy": "Synthetic", "params": {}, "symbols": ["SYN"],
        "period": "minute", "start_ns": None, "end_ns": None, "first_bar_ns": int(ts[0]),
        "last_bar_ns": int(ts[-1]), "bars": n, "capital": 100_000.0, "commission": "none",
        "slippage_ticks": 0.0, "status": "completed", "error": None, "app_version": "test",
        "data_fingerprint": "x", "started_at": dt.datetime(2024, 1, 1),
        "ended_at": dt.datetime(2024, 1, 1), "notes": "", "tags": [],
    }  # fmt: skip
    no_fills = {"ts": np.empty(0, np.int64), "symbol": np.empty(0, object),
                "side": np.empty(0, np.int8), "quantity": np.empty(0),
                "price": np.empty(0), "commission": np.empty(0)}  # fmt: skip
    return ReportData(
        run=run,
        stats={"Return [%]": float(100 * (equity[-1] / equity[0] - 1)), "# Trades": trips},
        equity={"ts": ts, "equity": equity, "drawdown_pct": drawdown},
        trades=trades,
        open_lots=open_lots(no_fills),
        bars={"SYN": bars},
        traded=["SYN"],
    )


def test_a_million_bar_reports_size_is_set_by_the_pixels_not_the_bars() -> None:
    page = render_report(million_bar_run())
    assert len(page.encode()) < 2_500_000
    for points in re.findall(r'<polyline class="(?:equity|close)" points="([^"]*)"', page):
        assert len(points.split()) <= 4 * PLOT_COLUMNS
    assert len(re.findall(r"<tr><td data-sort=", page)) == MAX_TRADE_ROWS
    assert f"The first {MAX_TRADE_ROWS:,} of 5,000 round trips" in page
    markers = len(re.findall(r'<polygon class="(?:long|short) crowded"', page))
    assert 0 < markers <= 2 * PLOT_COLUMNS  # one per kind every few pixels at most


def exit_dot_radius(trips: int) -> float:
    """The exit markers' radius on the price chart of a run of ``trips`` round trips."""
    data = million_bar_run(n=20_000, trips=trips)
    trades = {**data.trades, "open_ts": np.empty(0, np.int64), "open_price": np.empty(0),
              "open_side": np.empty(0, np.int8)}  # fmt: skip
    svg = price_chart("SYN", "p0", data.bars["SYN"], trades)
    radii = {float(r) for r in re.findall(r'<circle class="exit[^"]*"[^>]* r="([^"]+)"', svg)}
    assert len(radii) == 1
    return radii.pop()


def test_trade_markers_shrink_gradually_as_trades_crowd_the_chart() -> None:
    full = exit_dot_radius(MAX_FULL_MARKERS - 3)
    assert exit_dot_radius(MAX_FULL_MARKERS + 3) >= 0.95 * full  # no step at the threshold
    assert exit_dot_radius(5 * MAX_FULL_MARKERS) < 0.6 * full  # many: small, prices show
