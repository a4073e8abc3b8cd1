"""The report's sections as HTML: headline figures, configuration, statistics with their
definitions, monthly returns and the trade list. Values read as ``ostdesk show`` prints
them; every number a program may want to check carries its exact value in ``data-value``
(JSON, as ``show --json`` gives it)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from ostdesk.cli_values import json_value, money, text
from ostdesk.report.monthly import MonthlyReturns
from ostdesk.report.text import number, signed_pct, when
from ostdesk.store.stats import STAT_DEFINITIONS

HEADLINE = (
    "Return [%]",
    "CAGR [%]",
    "Sharpe Ratio",
    "Max. Drawdown [%]",
    "# Trades",
    "Win Rate [%]",
    "Profit Factor",
    "Equity Final [$]",
)
"""The statistics shown as cards at the top, in this order."""
MAX_TRADE_ROWS = 2_000
"""The trade list's rows at most: more would make a file nobody scrolls through."""
_DAY = 86_400_000_000_000
_SIGNED = ("Return [%]", "CAGR [%]", "Sharpe Ratio", "Return (Ann.) [%]", "Alpha [%]")


def stat_text(key: str, value: object) -> str:
    """A statistic as ``ostdesk show`` prints it: money to the cent, else ``cli_values.text``."""
    return money(value) if "[$]" in key and isinstance(value, float) else text(value)


def _data_value(value: object) -> str:
    return escape(json.dumps(json_value(value), allow_nan=False), quote=True)


def _tone(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and value != 0:
        return "pos" if value > 0 else "neg"
    return ""


def headline(stats: Mapping[str, object]) -> str:
    """The figures a reader looks at first, rounded for a glance (the statistics table
    below has them as ``ostdesk show`` prints them)."""
    cards = []
    for key in HEADLINE:
        if key not in stats:
            continue
        value = stats[key]
        tone = _tone(value) if key in _SIGNED or key == "Max. Drawdown [%]" else ""
        cards.append(
            f'<div class="card" title="{escape(STAT_DEFINITIONS[key])}">'
            f'<div class="k">{escape(key.removesuffix(" [%]").removesuffix(" [$]"))}</div>'
            f'<div class="v {tone}" data-card="{escape(key)}" data-value="{_data_value(value)}">'
            f"{escape(_glance(key, value))}</div></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def _glance(key: str, value: object) -> str:
    """``-1.56%``, ``0.81``, ``4,039``, ``98,443.04``: two decimals, the unit said."""
    if not isinstance(value, float) or not math.isfinite(value):
        return text(value)
    if key.endswith("[%]"):
        return f"{round(value, 2) + 0.0:,.2f}%"
    return money(value) if key.endswith("[$]") else f"{round(value, 2) + 0.0:,.2f}"


def _kv(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def configuration(run: Mapping[str, Any]) -> str:
    """What was run, on what, with which account: enough to run it again."""
    start, end = run.get("start_ns"), run.get("end_ns")
    if end is not None and end % 1000 == 1:  # a bar's time + 1 ns (walk-forward): that bar
        end -= 1
    asked = (
        f"{escape(when(start)) if start is not None else 'the first stored bar'} to "
        f"{escape(when(end)) if end is not None else 'the last stored bar'}"
    )
    first, last = run.get("first_bar_ns"), run.get("last_bar_ns")
    bars = f"{int(run.get('bars') or 0):,}"
    if first is not None and last is not None:
        cut = slice(0, 10) if not (first % _DAY or last % _DAY) else slice(None)  # daily: dates
        bars += f" ({escape(when(first)[cut])} to {escape(when(last)[cut])})"
    setup = [
        ("Strategy", f"<b>{escape(run['strategy'])}</b>" + _origin(run)),
        ("Symbols", escape(", ".join(run["symbols"]))),
        ("Bar period", escape(run["period"])),
        ("Dates asked for", asked),
        ("Bars run", bars),
    ]
    if run.get("executor"):
        setup.append(("Executor", escape(text(run["executor"]))))
    params = run.get("params") or {}
    param_rows = [(k, f"<code>{escape(text(v))}</code>") for k, v in params.items()]
    account = [
        ("Starting capital", escape(money(float(run["capital"])))),
        ("Commission", escape(run["commission"] or "none")),
        ("Slippage", f"{escape(text(run.get('slippage_ticks', 0.0)))} ticks"),
    ]
    record = [
        ("Run", f"{run['run_id']}" + (f" — {escape(run['name'])}" if run.get("name") else "")),
        ("Status", escape(run["status"])),
        ("Started", escape(text(run.get("started_at")))),
        ("Ended", escape(text(run.get("ended_at")))),
        ("ostdesk version", escape(str(run.get("app_version", "")))),
        ("Data fingerprint", f"<code>{escape(str(run.get('data_fingerprint', '')))}</code>"),
    ]
    if run.get("tags"):
        record.append(("Tags", escape(", ".join(run["tags"]))))
    if run.get("notes"):
        record.append(("Notes", escape(run["notes"]).replace("\n", "<br>")))
    left = "<h3>Strategy and data</h3>" + _kv(setup)
    left += "<h3>Parameters</h3>" + (_kv(param_rows) if param_rows else "<p>none</p>")
    right = "<h3>Account</h3>" + _kv(account) + "<h3>Record</h3>" + _kv(record)
    return f'<div class="cols"><div>{left}</div><div>{right}</div></div>'


def _origin(run: Mapping[str, Any]) -> str:
    origin = run.get("strategy_source")
    return f' <span class="note">({escape(str(origin))})</span>' if origin else ""


def statistics(stats: Mapping[str, object]) -> str:
    """Every statistic in the window's order, with the window's one-line definition."""
    rows = []
    for key, definition in STAT_DEFINITIONS.items():
        if key not in stats:
            continue
        value = stats[key]
        rows.append(
            f'<tr><td class="l">{escape(key)}</td>'
            f'<td data-key="{escape(key)}" data-value="{_data_value(value)}">'
            f"{escape(stat_text(key, value))}</td>"
            f'<td class="def">{escape(definition)}</td></tr>'
        )
    head = '<tr><th class="l">Statistic</th><th>Value</th><th class="l">Definition</th></tr>'
    return f'<table class="grid stats"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monthly(table: MonthlyReturns) -> str:
    """Year by month, the year's total last; green gains and red losses, deeper for larger."""
    finite = table.returns[np.isfinite(table.returns)]
    scale = float(np.percentile(np.abs(finite), 95)) if len(finite) else 0.0
    scale = scale or 1.0

    def cell(value: float, css: str = "") -> str:
        if not math.isfinite(value):
            return f'<td class="{css}"></td>'
        strength = min(1.0, abs(value) / scale)
        rgb = "21,128,61" if value > 0 else "194,65,45"
        colour = f"rgba({rgb},{0.08 + 0.55 * strength:.2f})" if value != 0 else "transparent"
        return (
            f'<td class="{css}" style="background:{colour}" data-value="{value!r}">'
            f"{100 * value + 0.0:+.2f}</td>"
        )

    rows = []
    for i, year in enumerate(table.years):
        cells = "".join(cell(float(v)) for v in table.returns[i])
        rows.append(
            f'<tr><th class="l">{year}</th>{cells}{cell(float(table.totals[i]), "total")}</tr>'
        )
    head = "".join(f"<th>{m}</th>" for m in _MONTHS)
    return (
        f'<table class="grid monthly"><thead><tr><th class="l">Year</th>{head}<th>Year</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        '<p class="note">Returns in percent: each month\'s last equity over the previous '
        "month's (the first month: over the starting equity); the year compounds its months.</p>"
    )


_TRADE_HEADS = (
    ("#", ""),
    ("Symbol", "l"),
    ("Side", "l"),
    ("Size", ""),
    ("Entry", "l"),
    ("Entry price", ""),
    ("Exit", "l"),
    ("Exit price", ""),
    ("P&L", ""),
    ("Return", ""),
    ("MAE", ""),
    ("MFE", ""),
    ("Bars", ""),
    ("Duration", "l"),
)


def trades(columns: Mapping[str, Any], run_id: int) -> str:
    """The round trips in the order they closed, with their excursions (MAE: the worst,
    MFE: the best unrealised return between entry and exit bar), sortable by any column."""
    import datetime as dt

    n = len(columns["symbol"])
    if n == 0:
        return "<p>No round trip was closed.</p>"
    shown = min(n, MAX_TRADE_ROWS)
    at_midnight = not (np.concatenate((columns["entry_ts"], columns["exit_ts"])) % _DAY).any()
    cut = slice(0, 10) if at_midnight else slice(None)  # daily bars: the date says it all
    rows = []
    for i in range(shown):
        pnl, ret = float(columns["pnl"][i]), float(columns["return_pct"][i])
        mae, mfe = float(columns["mae_pct"][i]), float(columns["mfe_pct"][i])
        entry_ts, exit_ts = int(columns["entry_ts"][i]), int(columns["exit_ts"][i])
        duration_ns = int(columns["duration_ns"][i])
        cells = (
            (str(i + 1), i + 1, ""),
            (escape(str(columns["symbol"][i])), None, "l"),
            (escape(str(columns["side"][i]).capitalize()), None, "l"),
            (f"{float(columns['size'][i]):,.6g}", float(columns["size"][i]), ""),
            (when(entry_ts)[cut], entry_ts, "l"),
            (f"{float(columns['entry_price'][i]):,.6g}", float(columns["entry_price"][i]), ""),
            (when(exit_ts)[cut], exit_ts, "l"),
            (f"{float(columns['exit_price'][i]):,.6g}", float(columns["exit_price"][i]), ""),
            (number(pnl), pnl, _tone(pnl)),
            (signed_pct(ret), ret, _tone(ret)),
            (signed_pct(mae), mae, ""),
            (signed_pct(mfe), mfe, ""),
            (f"{int(columns['duration_bars'][i]):,}", int(columns["duration_bars"][i]), ""),
            (text(dt.timedelta(microseconds=duration_ns // 1000)), duration_ns, "l"),
        )
        tds = "".join(
            "<td"
            + (f' class="{css}"' if css else "")
            + ("" if key is None else f' data-sort="{key}"')
            + f">{shown_}</td>"
            for shown_, key, css in cells
        )
        rows.append(f"<tr>{tds}</tr>")
    head = "".join(f'<th class="{css}">{escape(h)}</th>' for h, css in _TRADE_HEADS)
    more = (
        f'<p class="note">The first {shown:,} of {n:,} round trips (by exit time); '
        f"<code>ostdesk export {run_id} --what trades -o trades.csv</code> writes all of them.</p>"
        if shown < n
        else ""
    )
    return (
        f'{more}<div class="scroll"><table class="grid sortable trades"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="note">Returns after commission. MAE/MFE: the worst and best unrealised '
        "return, gross of commission, over the bars from entry to exit inclusive. Times UTC.</p>"
    )
