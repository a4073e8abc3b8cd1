"""Run browser figures (issue 9): populating the browser with 10,000 runs, a search
keystroke, a sort, and opening a run of 1,000,000 bars in the chart and the details panel.

Offscreen widgets on a temp DuckDB file. Every timing runs until the widget concerned has
painted (a paint-event counter on its viewport), so it covers the worker's query, the
hand-over to the GUI thread, the model reset and the repaint.

Run: python bench/runs.py [--runs N] [--bars N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

if not __package__:  # run as ``python bench/runs.py``: make its siblings importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.paints import PaintCounter
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.runs import RunBrowser, RunChartLoader, RunDetails, show_in_chart
from ostdesk.gui.runs.table import COLUMN_KEYS
from ostdesk.store import Database

MINUTE_NS = 60_000_000_000
T0_NS = 1_700_000_000_000_000_000


def until(app: QApplication, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        app.processEvents()


def insert_runs(db: Database, n: int) -> None:
    db.connection.execute(
        """
        INSERT INTO runs (name, strategy, params, symbols, period, capital, commission,
                          slippage_ticks, app_version, data_fingerprint, status, started_at,
                          ended_at, bars, first_bar_ns, last_bar_ns, equity_final, return_pct,
                          cagr_pct, sharpe, max_drawdown_pct, trades, win_rate_pct,
                          profit_factor, notes, tags)
        SELECT 'run ' || i, CASE WHEN i % 3 = 0 THEN 'Breakout' ELSE 'SmaCross' END,
               '{"fast": ' || (i % 50) || ', "slow": ' || (20 + i % 90) || ', "size": 1.0}',
               ['SYM' || (i % 40), 'SYM' || ((i + 1) % 40)], 'minute', 100000, 'none', 0,
               '0.1.0', 'x', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END,
               TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE,
               TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE + INTERVAL 3 SECOND,
               1000, 1704067200000000000, 1704153600000000000, 100000 + i,
               (i * 37 % 101) / 10.0 - 5, i / 200, (i * 53 % 97) / 10.0 - 3,
               -((i * 13) % 17) / 1.0, i % 300, (i * 7) % 100, 1 + (i % 9) / 10,
               'note ' || i, ['tag' || (i % 5)]
        FROM range(?) t(i)
        """,
        [n],
    )


def insert_big_run(db: Database, bars: int) -> int:
    """A completed run of ``bars`` minute bars of one symbol, its equity and 1,000 trades."""
    con = db.connection
    row = con.execute(
        "INSERT INTO runs (name, strategy, params, symbols, period, capital, commission,"
        " slippage_ticks, app_version, data_fingerprint, status, started_at, ended_at, bars)"
        " VALUES ('big', 'SmaCross', '{\"fast\": 10, \"slow\": 30}', ['BIG'], 'minute',"
        " 100000, 'none', 0, '0.1.0', 'x', 'completed', TIMESTAMP '2025-01-01',"
        " TIMESTAMP '2025-01-01 00:01', ?) RETURNING run_id",
        [bars],
    ).fetchone()
    assert row is not None
    run_id = int(row[0])
    args = {"run": run_id, "t0": T0_NS, "m": MINUTE_NS, "n": bars}
    con.execute(
        "INSERT INTO run_bars SELECT $run, $t0 + i * $m, 'BIG', 100 + sin(i / 500.0),"
        " 101 + sin(i / 500.0), 99 + sin(i / 500.0), 100.5 + sin(i / 500.0), 1000"
        " FROM range($n) t(i)",
        args,
    )
    con.execute(
        "INSERT INTO run_equity SELECT $run, $t0 + i * $m, 50000, 50000 + 100 * sin(i / 3000.0),"
        " 100000 + 100 * sin(i / 3000.0), 0.1 * (1 - cos(i / 3000.0)) FROM range($n) t(i)",
        args,
    )
    step = bars // 1000
    con.execute(
        "INSERT INTO run_trades SELECT $run, 'BIG', 'LONG', 1, $t0 + i * $s * $m,"
        " $t0 + (i * $s + $s // 2) * $m, 100, 100.5, 0.5, 0.5, 0, $s // 2 * $m, $s // 2, -0.1,"
        " 0.6 FROM range(1000) t(i)",
        {"run": run_id, "t0": T0_NS, "m": MINUTE_NS, "s": step},
    )
    con.execute(
        "INSERT INTO run_fills SELECT $run, $t0 + (i // 2 * $s + (i % 2) * ($s // 2)) * $m, i,"
        " i, 's', 'BIG', CASE WHEN i % 2 = 0 THEN 'BUY' ELSE 'SELL' END, 1, 100, 0"
        " FROM range(2000) t(i)",
        {"run": run_id, "t0": T0_NS, "m": MINUTE_NS, "s": step},
    )
    con.execute("CHECKPOINT")
    return run_id


def drawn(chart: ChartWidget, bars: int) -> bool:
    shown = chart.price_item.bars
    return shown is not None and len(shown) == bars


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:9.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "bench.duckdb")
        insert_runs(db, args.runs)
        big = insert_big_run(db, args.bars)

        browser = RunBrowser()
        browser.resize(1400, 700)
        browser.show()
        paints = PaintCounter()
        paints.watch(browser.table.viewport())
        populate = []
        for _ in range(args.repeat):
            browser.shutdown()
            app.processEvents()
            seen = paints.count
            t0 = time.perf_counter()
            browser.set_database(db)
            until(app, lambda s=seen: browser.model.rowCount() > 0 and paints.count > s)
            populate.append(time.perf_counter() - t0)
        assert browser.model.rowCount() == args.runs + 1
        rows.append((f"browser populated, {args.runs:,} runs", median_ms(populate), "300"))

        keys = []
        for _ in range(args.repeat):
            browser.search_box.clear()
            app.processEvents()
            for char in "fast=4 sym1":
                seen = paints.count
                t0 = time.perf_counter()
                QTest.keyClick(browser.search_box, char)
                until(app, lambda s=seen: paints.count > s)
                keys.append(time.perf_counter() - t0)
        rows.append(("search keystroke -> filtered", median_ms(keys), "50"))
        rows.append(("  slowest keystroke", f"{max(keys) * 1000:9.1f}", ""))
        browser.search_box.clear()
        app.processEvents()

        sorts = []
        for key in ("sharpe", "name", "return_pct", "symbols_text", "started"):
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                seen = paints.count
                t0 = time.perf_counter()
                browser.table.sortByColumn(COLUMN_KEYS.index(key), order)
                until(app, lambda s=seen: paints.count > s)
                sorts.append(time.perf_counter() - t0)
        rows.append(("header click -> sorted (first sort of a column)", median_ms(sorts), ""))

        chart = ChartWidget()
        chart.resize(1400, 800)
        chart.show()
        chart_paints = PaintCounter()
        chart_paints.watch(chart.findChild(pg.GraphicsLayoutWidget).viewport())
        loader = RunChartLoader(browser.worker)
        loader.loaded.connect(lambda data: show_in_chart(chart, data))
        opens = []
        for _ in range(args.repeat):
            chart.clear()
            app.processEvents()
            seen = chart_paints.count
            t0 = time.perf_counter()
            loader.load(big)
            until(app, lambda s=seen: drawn(chart, args.bars) and chart_paints.count > s)
            opens.append(time.perf_counter() - t0)
        rows.append((f"open run of {args.bars:,} bars -> chart drawn", median_ms(opens), "1000"))

        details = RunDetails(browser.worker)
        details.resize(1400, 800)
        details.show()
        detail_paints = PaintCounter()
        detail_paints.watch(details.plot.viewport())
        shown = []
        for _ in range(args.repeat):
            details.clear()
            app.processEvents()
            seen = detail_paints.count
            t0 = time.perf_counter()
            details.load(big)
            until(app, lambda s=seen: details.run_id == big and detail_paints.count > s)
            shown.append(time.perf_counter() - t0)
        rows.append((f"details of that run ({args.bars:,} equity points)", median_ms(shown), ""))

        browser.shutdown()
        db.close()

    print(f"{'figure (median of ' + str(args.repeat) + ')':<52}{'ms':>9}{'target ms':>11}")
    for name, value, target in rows:
        print(f"{name:<52}{value}{target:>11}")


if __name__ == "__main__":
    main()
