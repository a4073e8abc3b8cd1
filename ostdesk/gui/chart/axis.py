"""Axes: the bar-index x axis labelled with dates that adapt to zoom, and compact value axes.

x is the bar index so nights and weekends leave no gaps; ticks sit on the first bar at or after
each calendar boundary (minute, hour, day, week, month, year) of a step chosen from the zoom.
Times are shown in UTC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFontMetricsF

from ostdesk.gui.chart.series import IntArray

_S = 1_000_000_000
_DAY = 86_400 * _S
_MONDAY = 4 * _DAY  # 1970-01-01 was a Thursday
#: (kind, step): fixed steps in ns, then months and years.
_STEPS: tuple[tuple[str, int], ...] = (
    *(("ns", s * _S) for s in (1, 5, 15, 30)),
    *(("ns", m * 60 * _S) for m in (1, 5, 15, 30)),
    *(("ns", h * 3600 * _S) for h in (1, 2, 4, 12)),
    ("ns", _DAY),
    ("week", 7 * _DAY),
    *(("month", m) for m in (1, 3, 6)),
    *(("year", y) for y in (1, 2, 5, 10, 20, 50, 100)),
)
_APPROX_NS = {"ns": 1, "week": 1, "month": 30 * _DAY, "year": 365 * _DAY}
#: Least room for one date label, and between value labels, in pixels.
TICK_PX = 90.0
LABEL_PX = 22.0


def _utc(ts_ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts_ns // _S, dt.UTC)


def format_ts(ts_ns: int) -> str:
    """A bar or fill time for readouts and tooltips (UTC)."""
    t = _utc(ts_ns)
    return t.strftime("%Y-%m-%d %H:%M:%S" if t.second else "%Y-%m-%d %H:%M")


def _boundaries(t0: int, t1: int, kind: str, step: int) -> IntArray:
    """Calendar boundaries of ``step`` in ``(t0, t1]``, in ns."""
    if kind in ("ns", "week"):
        origin = _MONDAY if kind == "week" else 0
        first = ((t0 - origin) // step + 1) * step + origin
        return np.arange(first, t1 + 1, step, dtype=np.int64)
    unit = "M" if kind == "month" else "Y"
    lo = np.datetime64(t0, "ns").astype(f"datetime64[{unit}]").astype(np.int64)
    hi = np.datetime64(t1, "ns").astype(f"datetime64[{unit}]").astype(np.int64)
    first = (lo // step + 1) * step
    marks = np.arange(first, hi + 1, step).astype(f"datetime64[{unit}]")
    return marks.astype("datetime64[ns]").astype(np.int64)


def _label(t: dt.datetime, prev: dt.datetime | None, kind: str, step: int) -> str:
    """Label a tick by its unit, naming the larger unit where it changes (day, month, year)."""
    new_year = prev is None or t.year != prev.year
    new_day = prev is None or t.date() != prev.date()
    if kind == "year" or (kind == "month" and new_year):
        return f"{t.year}"
    if kind == "month":
        return t.strftime("%b")
    if kind == "week" or step >= _DAY:
        return f"{t.year}" if new_year and prev is not None else t.strftime("%b %d")
    if new_day:
        return t.strftime("%b %d")
    return t.strftime("%H:%M:%S" if step < 60 * _S else "%H:%M")


def date_ticks(ts: IntArray, x0: float, x1: float, size_px: float) -> dict[int, str]:
    """Bar indices to label in view ``[x0, x1]`` on an axis ``size_px`` long, with labels."""
    n = len(ts)
    i0, i1 = max(0, math.ceil(x0)), min(n - 1, math.floor(x1))
    if n == 0 or i1 <= i0 or size_px <= 0 or x1 <= x0:
        return {}
    px_per_bar = size_px / (x1 - x0)
    max_ticks = size_px / TICK_PX
    # the typical bar interval (not the mean, which nights and weekends inflate)
    sample = ts[i0 : i1 + 1 : max(1, (i1 - i0) // 512)]
    typical = float(np.median(np.diff(sample))) / max(1, (i1 - i0) // 512)
    want = typical * TICK_PX / px_per_bar
    span = int(ts[i1]) - int(ts[i0])
    idx = np.empty(0, np.int64)
    kind, step = _STEPS[-1]
    for kind, step in _STEPS:
        approx = step * _APPROX_NS[kind]
        if approx < want or span / approx > 100 * max_ticks:
            continue
        marks = _boundaries(int(ts[i0]) - 1, int(ts[i1]), kind, step)
        idx = np.unique(np.searchsorted(ts, marks, "left"))
        idx = idx[(idx >= i0) & (idx <= i1)]
        if len(idx) <= max_ticks * 1.2:
            break
    ticks: dict[int, str] = {}
    last_x = -np.inf
    prev: dt.datetime | None = None
    for i in idx.tolist():
        if (i - last_x) * px_per_bar < TICK_PX * 0.75:
            continue
        t = _utc(int(ts[i]))
        before = prev if prev is not None else (_utc(int(ts[i - 1])) if i > 0 else None)
        ticks[i] = _label(t, before, kind, step)
        last_x, prev = i, t
    return ticks


class DateTicks:
    """Date ticks for the current symbol, shared by every pane's axis and grid; the last answer
    is kept, so one frame computes them once."""

    def __init__(self, timestamps: Callable[[], IntArray]) -> None:
        self._timestamps = timestamps
        self.labels: dict[int, str] = {}
        self._key: tuple[float, float, int, int] | None = None
        self._size = 0.0

    def ticks(self, x0: float, x1: float, size: float) -> list[int]:
        """Ticks for ``[x0, x1]`` on ``size`` pixels; sizes within 2% (an axis and the grid
        beside it) share one answer."""
        ts = self._timestamps()
        key = (x0, x1, len(ts), ts.ctypes.data)
        if key != self._key or abs(size - self._size) > 0.02 * size:
            self.labels = date_ticks(ts, x0, x1, size)
            self._key, self._size = key, size
        return list(self.labels)


class DateAxis(pg.AxisItem):
    """Bottom axis labelling bar indices with dates."""

    def __init__(self, ticks: DateTicks, **kwargs: object) -> None:
        super().__init__("bottom", **kwargs)
        self.enableAutoSIPrefix(False)  # else every range change re-sets the label's HTML
        self.date_ticks = ticks
        # A fixed height, as the value axes have a fixed width. Sized by pyqtgraph from the
        # labels it draws, the axis shrank at the first paint with labels, which re-laid out
        # every pane and painted the chart three times more, during the run.
        self._fit_height()

    def _fit_height(self) -> None:
        offset = self.style["tickTextOffset"][1]
        self.setHeight(math.ceil(QFontMetricsF(self.font()).height()) + offset)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # e.g. the system font changed
            self._fit_height()

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        return [(1.0, [float(i) for i in self.date_ticks.ticks(minVal, maxVal, size)])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self.date_ticks.labels.get(round(v), "") for v in values]


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact(value: float) -> str:
    """1234567 -> '1.23M': short readout values for volume and equity."""
    a = abs(value)
    for limit, suffix in _SUFFIXES:
        if a >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.4g}"


def compact_ticks(values: list[float], spacing: float) -> list[str]:
    """Tick labels like '105.5K' with as many decimals as the tick spacing needs."""
    top = max((abs(v) for v in values), default=0.0)
    limit, suffix = next(((lim, suf) for lim, suf in _SUFFIXES if top >= lim), (1.0, ""))
    decimals = max(0, -math.floor(math.log10(spacing / limit))) if spacing > 0 else 0
    return [f"{v / limit:.{decimals}f}{suffix}" if v else "0" for v in values]


def percent_ticks(values: list[float], spacing: float) -> list[str]:
    """Fractions as percentages with the decimals the spacing needs."""
    decimals = max(0, -math.floor(math.log10(spacing * 100))) if spacing > 0 else 0
    return [f"{v * 100:.{decimals}f}%" for v in values]


class ValueAxis(pg.AxisItem):
    """A right-hand value axis of fixed width (so panes line up), optionally formatted."""

    WIDTH = 68

    def __init__(
        self, fmt: Callable[[list[float], float], list[str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__("right", **kwargs)
        self._fmt = fmt
        self.enableAutoSIPrefix(False)
        self.setStyle(hideOverlappingLabels=True)
        self.setWidth(self.WIDTH)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        """pyqtgraph's spacing, widened (1-2-5 steps) until labels are ``LABEL_PX`` apart: its
        minimum of 2.25 intervals crowds six labels into a short pane."""
        levels: list[tuple[float, float]] = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if not levels or span == 0 or size <= 0:
            return levels
        spacing = levels[0][0]
        if size * spacing / span >= LABEL_PX:
            return levels
        while size * spacing / span < LABEL_PX:
            mantissa = spacing / 10 ** math.floor(math.log10(spacing))
            spacing *= 2.5 if round(mantissa) == 2 else 2.0
        return [(spacing, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self._fmt is None:
            return list(super().tickStrings(values, scale, spacing))
        return self._fmt(values, spacing)
