"""Inline SVG primitives for the report's charts: a plot frame with axes and grid, lines,
bands and markers, written as text (no plotting library, nothing fetched).

Coordinates are rounded to a tenth of a pixel of the chart's ``viewBox``: finer is invisible
and would only make the file bigger.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

WIDTH = 1000
"""Width of every chart's ``viewBox``; the page scales it to the column it sits in."""
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 12, 10, 24
PLOT_COLUMNS = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
"""Pixel columns of the plot area: the most points per column a series needs."""


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area of a chart ``height`` high, mapping data x in ``[x0, x1]`` and y in
    ``[y0, y1]`` to pixels (y grows downwards in SVG)."""

    height: int
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def bottom(self) -> float:
        return self.height - MARGIN_BOTTOM

    def x(self, v: npt.ArrayLike) -> FloatArray:
        span = (self.x1 - self.x0) or 1.0
        return MARGIN_LEFT + (np.asarray(v, dtype=np.float64) - self.x0) / span * PLOT_COLUMNS

    def y(self, v: npt.ArrayLike) -> FloatArray:
        span = (self.y1 - self.y0) or 1.0
        inner = self.bottom - MARGIN_TOP
        return self.bottom - (np.asarray(v, dtype=np.float64) - self.y0) / span * inner


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2, 2.5 or 5 times a power of ten) covering
    ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12) + 0.0)
        value += step
    return ticks


def padded_range(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
    """``[lo, hi]`` widened by ``pad`` of its span each side (a flat series: by 1%)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return 0.0, 1.0
    span = hi - lo or abs(hi) * 0.02 or 1.0
    return lo - span * pad, hi + span * pad


def _num(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def points(xs: FloatArray, ys: FloatArray) -> str:
    """``x,y x,y ...`` of the finite points."""
    keep = np.isfinite(xs) & np.isfinite(ys)
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(xs[keep], ys[keep], strict=True))


def line(frame: Frame, x: npt.ArrayLike, y: npt.ArrayLike, css: str) -> str:
    """A polyline through the points (NaNs skipped)."""
    return f'<polyline class="{css}" points="{points(frame.x(x), frame.y(y))}"/>'


def band(frame: Frame, x: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike, css: str) -> str:
    """The area between ``lo`` and ``hi`` along ``x`` (a polygon: hi forwards, lo back)."""
    xs = frame.x(x)
    top = points(xs, frame.y(hi))
    bottom = points(xs[::-1], frame.y(np.asarray(lo, dtype=np.float64)[::-1]))
    return f'<polygon class="{css}" points="{top} {bottom}"/>'


def marker(shape: str, x: float, y: float, css: str, title: str, scale: float = 1.0) -> str:
    """A small ``up`` or ``down`` triangle (its tip at the point) or ``dot``, ``scale``
    times the usual size, with a tooltip."""
    tip = f"<title>{escape(title)}</title>"
    if shape == "dot":
        r = _num(3.2 * scale)
        return f'<circle class="{css}" cx="{_num(x)}" cy="{_num(y)}" r="{r}">{tip}</circle>'
    d, w = (9.0 if shape == "up" else -9.0) * scale, 5.0 * scale
    pts = f"{_num(x)},{_num(y)} {_num(x - w)},{_num(y + d)} {_num(x + w)},{_num(y + d)}"
    return f'<polygon class="{css}" points="{pts}">{tip}</polygon>'


def chart(
    frame: Frame,
    body: Sequence[str],
    *,
    y_label: Callable[[float], str],
    x_ticks: Sequence[tuple[float, str]],
    title: str,
    ident: str,
    css: str = "chart",
) -> str:
    """A whole ``<svg>``: grid and labels for the y ticks and the ``x_ticks`` (data x,
    label), the ``body`` elements clipped to the plot area, an accessible ``title``;
    ``ident`` is unique in the page (it names the clip path)."""
    bottom = frame.bottom
    right = WIDTH - MARGIN_RIGHT
    clip = f"clip-{ident}"
    parts = [
        f'<svg class="{css}" viewBox="0 0 {WIDTH} {frame.height}" role="img"'
        f' aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<defs><clipPath id="{clip}"><rect x="{MARGIN_LEFT}" y="0"'
        f' width="{PLOT_COLUMNS}" height="{bottom}"/></clipPath></defs>',
    ]
    lo, hi = sorted((frame.y0, frame.y1))
    for value in nice_ticks(lo, hi):
        y = float(frame.y(value))
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{right}" y1="{_num(y)}" y2="{_num(y)}"/>'
        )
        parts.append(
            f'<text class="ylab" x="{MARGIN_LEFT - 6}" y="{_num(y + 4)}">'
            f"{escape(y_label(value))}</text>"
        )
    for k, (x_value, label) in enumerate(x_ticks):
        x = float(frame.x(x_value))
        anchor = {0: "start", len(x_ticks) - 1: "end"}.get(k, "middle")
        parts.append(
            f'<line class="grid" x1="{_num(x)}" x2="{_num(x)}" y1="{MARGIN_TOP}"'
            f' y2="{_num(bottom)}"/>'
        )
        parts.append(
            f'<text class="xlab" x="{_num(x)}" y="{_num(bottom + 16)}"'
            f' text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<rect class="frame" x="{MARGIN_LEFT}" y="{MARGIN_TOP}"'
        f' width="{PLOT_COLUMNS}" height="{_num(bottom - MARGIN_TOP)}"/>'
    )
    parts.append(f'<g clip-path="url(#{clip})">{"".join(body)}</g>')
    parts.append("</svg>")
    return "".join(parts)
