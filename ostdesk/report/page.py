"""A run report: one self-contained HTML file a trader can send to a colleague.

Everything is in the file (styles, charts as inline SVG, a small script of its own): it
opens offline in any browser and fetches nothing, and it names no web address a browser
could try. It is written beside the target and renamed over it once complete, so a failed
write leaves no half file and an existing file as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from html import escape
from pathlib import Path

import numpy as np

from ostdesk.report import charts, sections
from ostdesk.report.data import ReportData, load_report_data
from ostdesk.report.monthly import monthly_returns
from ostdesk.report.style import CSS, SCRIPT
from ostdesk.store.database import DbOrCursor
from ostdesk.store.errors import StoreError
from ostdesk.store.export import export_target

_NOT_COMPLETED = {
    "failed": "This run failed",
    "cancelled": "This run was cancelled",
    "interrupted": "This run was interrupted",
    "running": "This run was still running when this report was written",
}


def write_report(db: DbOrCursor, run_id: int, path: str | Path) -> Path:
    """Write the report of run ``run_id`` to ``path`` (an ``.html`` file); return the path.

    Raises ``UnknownRunError`` for an unknown run and ``StoreError`` naming the file when it
    cannot be written (a URL, a missing folder, a folder, a device, a database)."""
    target = export_target(path)
    page = render_report(load_report_data(db, run_id))
    partial = target.with_name(f".partial-{secrets.token_hex(4)}-{target.name}")
    try:
        partial.write_text(page, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise StoreError(f"cannot write the report {target}: {exc.strerror or exc}") from None
    return target


def render_report(data: ReportData) -> str:
    """The whole page of a run's report."""
    run, stats = data.run, data.stats
    title = f"Run {run['run_id']} · {run['strategy']} on {', '.join(run['symbols'])}"
    status = str(run["status"])
    badge = "completed" if status == "completed" else "bad"
    subtitle = " · ".join(
        part
        for part in (
            escape(run.get("name") or ""),
            f"{escape(run['period'])} bars",
            f"{int(run.get('bars') or 0):,} bars run",
            f"report written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        )
        if part
    )
    body = [
        _alert(run),
        sections.headline(stats),
        _section("configuration", "Configuration", sections.configuration(run)),
        _section("equity", "Equity and drawdown", _equity(data)),
        _section("monthly", "Monthly returns", _monthly(data)),
        _section("statistics", "Statistics", _statistics(data)),
        _section("prices", "Prices and trades", _prices(data)),
        _section("trades", "Trades", sections.trades(data.trades, int(run["run_id"]))),
    ]
    nav = "".join(
        f'<a href="#{ident}">{label}</a>'
        for ident, label in (
            ("configuration", "Configuration"),
            ("equity", "Equity"),
            ("monthly", "Monthly returns"),
            ("statistics", "Statistics"),
            ("prices", "Prices"),
            ("trades", "Trades"),
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body data-run="{run["run_id"]}" data-status="{escape(status)}">'
        f'<header class="top"><h1>{escape(title)}'
        f'<span class="status {badge}">{escape(status)}</span></h1>'
        f'<div class="sub">{subtitle}</div></header><nav>{nav}</nav>'
        f"<main>{''.join(body)}</main>"
        f"<footer>Written by ostdesk {escape(str(run.get('app_version', '')))} from run "
        f"{run['run_id']} as recorded. Statistics are named and defined as backtesting.py's; "
        "times are UTC.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _section(ident: str, title: str, content: str) -> str:
    return f'<section id="{ident}"><h2>{escape(title)}</h2>{content}</section>'


def _alert(run: dict[str, object]) -> str:
    """A failed, cancelled or interrupted run says so first, with why, before any figure."""
    status = str(run["status"])
    if status == "completed":
        return ""
    head = _NOT_COMPLETED.get(status, f"This run ended {status}")
    error = str(run.get("error") or "").strip()
    lines = [line for line in error.splitlines() if line.strip()]
    # a strategy's traceback ends with what it raised; the recorder's reason is one sentence
    why = (lines[-1] if error.startswith("Traceback") else lines[0]).strip() if lines else ""
    detail = f"<pre>{escape(error)}</pre>" if len(lines) > 1 else ""
    bars = int(run.get("bars") or 0)  # type: ignore[call-overload]
    return (
        f'<div class="alert" role="alert"><strong>{escape(head)}.</strong> {escape(why)}'
        f"<br>Everything below covers only the {bars:,} bars it ran before it ended.{detail}"
        "</div>"
    )


def _missing(what: str) -> str:
    return f'<p class="note">This run has no {what}.</p>'


def _equity(data: ReportData) -> str:
    ts, equity = data.equity["ts"], data.equity["equity"]
    if len(ts) == 0:
        return _missing("equity curve")
    legend = (
        '<div class="legend"><span style="color:#1f5fbf">━ equity</span>'
        "<span>┅ starting equity</span></div>"
    )
    return (
        legend
        + charts.equity_chart(ts, equity)
        + "<h3>Drawdown (% below the running peak)</h3>"
        + charts.drawdown_chart(ts, data.equity["drawdown_pct"])
    )


def _monthly(data: ReportData) -> str:
    table = monthly_returns(data.equity["ts"], data.equity["equity"])
    return sections.monthly(table) if table.years else _missing("equity curve")


def _statistics(data: ReportData) -> str:
    return sections.statistics(data.stats) if data.stats else _missing("statistics")


def _prices(data: ReportData) -> str:
    if not data.bars:
        return _missing("bars")
    legend = (
        '<div class="legend"><span class="pos">▲ long entry</span>'
        '<span class="neg">▼ short entry</span><span>● exit</span>'
        '<span class="pos">┅ winning trade</span><span class="neg">┅ losing trade</span>'
        "<span>(hover a marker for its details)</span></div>"
    )
    parts = [] if data.traded else ['<p class="note">No trades: the prices alone.</p>']
    lots = data.open_lots
    for k, (symbol, bars) in enumerate(data.bars.items()):
        mine = data.trades["symbol"] == symbol
        own = {key: np.asarray(values)[mine] for key, values in data.trades.items()}
        held = lots.symbol == symbol
        own.update(
            open_ts=lots.entry_ts[held],
            open_price=lots.entry_price[held],
            open_side=lots.side[held],
        )
        chart = charts.price_chart(symbol, f"price-{k}", bars, own)
        parts.append(f"<h3>{escape(symbol)}</h3>{chart or _missing('bars')}")
    return legend + "".join(parts)
