"""The report's charts: equity, drawdown, and each traded symbol's prices with its trades.

Every chart's x axis is the bar's position, not its time, as in the window's chart: nights,
weekends and holidays take no room. Series longer than the plot's pixel columns are drawn as
per-column envelopes (:mod:`ostdesk.report.envelope`), so a million bars cost as much as a
thousand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.report import svg
from ostdesk.report.envelope import Envelope, envelope
from ostdesk.report.text import compact_money, when

#: Up to this many bars a price chart draws candles; beyond, a high-low band and the close.
MAX_CANDLES = 160
#: Up to this many round trips a price chart draws its markers full size, every one.
MAX_FULL_MARKERS = 150
#: Up to this many round trips a price chart joins each entry to its exit with a line.
MAX_TRADE_LINES = 400


def equity_chart(ts: npt.NDArray[np.int64], equity: npt.NDArray[np.float64]) -> str:
    """Equity per bar, with the starting equity as a dashed line."""
    if len(ts) == 0:
        return ""
    env = envelope(equity, svg.PLOT_COLUMNS)
    lo, hi = svg.padded_range(float(np.nanmin(env.low)), float(np.nanmax(env.high)))
    frame = svg.Frame(height=280, x0=0, x1=max(len(ts) - 1, 1), y0=lo, y1=hi)
    start = float(equity[0])
    body = [
        svg.band(frame, env.start, np.full(len(env), lo), env.high, "equity-fill"),
        svg.line(frame, [0, len(ts) - 1], [start, start], "baseline"),
        _envelope_line(frame, env, "equity"),
    ]
    return svg.chart(
        frame, body, y_label=compact_money, x_ticks=_time_ticks(ts), title="Equity", ident="equity"
    )


def drawdown_chart(ts: npt.NDArray[np.int64], drawdown_pct: npt.NDArray[np.float64]) -> str:
    """Drawdown per bar in percent below the running peak, as a filled area under 0."""
    if len(ts) == 0:
        return ""
    env = envelope(-np.nan_to_num(drawdown_pct), svg.PLOT_COLUMNS)
    deepest = float(np.nanmin(env.low))
    lo = deepest * 1.08 if deepest < 0 else -1.0
    frame = svg.Frame(height=170, x0=0, x1=max(len(ts) - 1, 1), y0=lo, y1=0.0)
    body = [
        svg.band(frame, env.start, env.low, np.zeros(len(env)), "drawdown"),
        svg.line(frame, env.start, env.low, "drawdown-edge"),
    ]
    return svg.chart(
        frame,
        body,
        y_label=lambda v: f"{v:.3g}%",
        x_ticks=_time_ticks(ts),
        title="Drawdown",
        ident="drawdown",
    )


def price_chart(
    symbol: str, ident: str, bars: dict[str, npt.NDArray[Any]], trades: dict[str, Any]
) -> str:
    """``symbol``'s recorded bars with its trades: ▲ a long entry, ▼ a short entry, ● an
    exit, joined by a line green for a win and red for a loss; ``trades`` holds the columns
    of its round trips and ``open_ts``/``open_price``/``open_side`` of lots still open."""
    ts = np.asarray(bars["ts"], dtype=np.int64)
    n = len(ts)
    if n == 0:
        return ""
    low, high = np.asarray(bars["low"], dtype=float), np.asarray(bars["high"], dtype=float)
    close = np.asarray(bars["close"], dtype=float)
    env = envelope(close, svg.PLOT_COLUMNS, low=low, high=high)
    lo, hi = svg.padded_range(float(np.nanmin(env.low)), float(np.nanmax(env.high)))
    frame = svg.Frame(
        height=320,
        x0=-0.5 if n <= MAX_CANDLES else 0,
        x1=n - 0.5 if n <= MAX_CANDLES else max(n - 1, 1),
        y0=lo,
        y1=hi,
    )
    if n <= MAX_CANDLES:
        body = [_candles(frame, np.asarray(bars["open"], dtype=float), high, low, close)]
    else:
        body = [
            svg.band(frame, env.start, env.low, env.high, "range"),
            _envelope_line(frame, env, "close"),
        ]
    body.extend(_trade_marks(frame, ts, trades))
    return svg.chart(
        frame,
        body,
        y_label=_price_label(lo, hi),
        x_ticks=_time_ticks(ts),
        title=f"{symbol}: prices and trades",
        ident=ident,
        css="chart price",
    )


def _envelope_line(frame: svg.Frame, env: Envelope, css: str) -> str:
    """One polyline visiting each column's first, lowest, highest and last value: every
    spike of the series stays visible at four points a column."""
    x = np.repeat(env.start, 4)
    y = np.column_stack((env.first, env.low, env.high, env.last)).ravel()
    if len(env) and (env.low == env.high).all():  # one point per column: no zigzag needed
        x, y = env.start, env.first
    return svg.line(frame, x, y, css)


def _candles(
    frame: svg.Frame,
    open_: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
) -> str:
    idx = np.arange(len(close))
    xs, width = frame.x(idx), max(1.0, 0.6 * svg.PLOT_COLUMNS / max(len(close), 1))
    parts = []
    for x, o, h, lo, c in zip(
        xs, frame.y(open_), frame.y(high), frame.y(low), frame.y(close), strict=True
    ):
        if not math.isfinite(c):
            continue
        css = "up" if c <= o else "down"  # pixels: a higher close is a smaller y
        top, height = min(o, c), max(abs(o - c), 0.8)
        parts.append(
            f'<line class="wick" x1="{x:.1f}" x2="{x:.1f}" y1="{h:.1f}" y2="{lo:.1f}"/>'
            f'<rect class="{css}" x="{x - width / 2:.1f}" y="{top:.1f}"'
            f' width="{width:.1f}" height="{height:.1f}"/>'
        )
    return "".join(parts)


def _trade_marks(frame: svg.Frame, ts: npt.NDArray[np.int64], trades: dict[str, Any]) -> list[str]:
    """Markers (one per pixel column and kind when trades crowd) and entry-exit lines."""
    n_trades = len(trades["entry_ts"])
    entry_bar = np.searchsorted(ts, trades["entry_ts"], side="right") - 1
    exit_bar = np.searchsorted(ts, trades["exit_ts"], side="right") - 1
    ex, nx = frame.x(entry_bar), frame.x(exit_bar)
    ey, ny = frame.y(trades["entry_price"]), frame.y(trades["exit_price"])
    parts: list[str] = []
    if n_trades <= MAX_TRADE_LINES:
        for i in range(n_trades):
            css = "win" if trades["pnl"][i] > 0 else "loss"
            parts.append(
                f'<line class="trip {css}" x1="{ex[i]:.1f}" y1="{ey[i]:.1f}"'
                f' x2="{nx[i]:.1f}" y2="{ny[i]:.1f}"/>'
            )
    seen: set[tuple[int, str]] = set()
    # crowded: smaller, see-through markers, one per kind every few pixels, so the prices
    # still show between them
    crowded = n_trades > MAX_FULL_MARKERS
    # shrinking with the crowd, not at once: 153 trades drew markers half the size of 147's
    scale = max(0.55, (MAX_FULL_MARKERS / n_trades) ** 0.5) if crowded else 1.0
    pitch = 3.0 if crowded else 1.0

    def mark(shape: str, x: float, y: float, css: str, title: str) -> None:
        key = (round(x / pitch), css)
        if key not in seen:
            seen.add(key)
            css = f"{css} crowded" if crowded else css
            parts.append(svg.marker(shape, x, y, css, title, scale))

    for i in range(n_trades):
        long = trades["side"][i] == "LONG"
        size, pnl = trades["size"][i], trades["pnl"][i]
        mark(
            "up" if long else "down",
            ex[i],
            ey[i],
            "long" if long else "short",
            f"{'Long' if long else 'Short'} entry {when(trades['entry_ts'][i])}"
            f" @ {trades['entry_price'][i]:,.6g}, size {size:,.6g}",
        )
        mark(
            "dot",
            nx[i],
            ny[i],
            "exit",
            f"Exit {when(trades['exit_ts'][i])} @ {trades['exit_price'][i]:,.6g},"
            f" P&L {pnl:+,.2f} ({trades['return_pct'][i]:+.2f}%)",
        )
    open_bar = np.searchsorted(ts, trades["open_ts"], side="right") - 1
    for x, y, side, t in zip(
        frame.x(open_bar),
        frame.y(trades["open_price"]),
        trades["open_side"],
        trades["open_ts"],
        strict=True,
    ):
        long = side > 0
        mark(
            "up" if long else "down",
            x,
            y,
            "long open" if long else "short open",
            f"{'Long' if long else 'Short'} entry {when(t)}, still open at the end",
        )
    return parts


def _time_ticks(ts: npt.NDArray[np.int64], count: int = 6) -> list[tuple[float, str]]:
    """About ``count`` bar positions spread over the series, labelled by their bars' times
    (dates, or times of day when the whole series spans less than three days)."""
    n = len(ts)
    if n < 2:
        return [(0.0, when(ts[0])[:10])] if n else []
    span_days = (int(ts[-1]) - int(ts[0])) / 86_400e9
    positions = np.unique(np.linspace(0, n - 1, count).round().astype(np.int64))
    cut = slice(5, 16) if span_days < 3 else slice(0, 10)
    return [(float(i), when(ts[i])[cut]) for i in positions]


def _price_label(lo: float, hi: float) -> Callable[[float], str]:
    ticks = svg.nice_ticks(lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else abs(hi) or 1.0
    decimals = max(0, min(8, -math.floor(math.log10(step)) + 1)) if step > 0 else 2
    return lambda v: f"{v:,.{decimals}f}"
