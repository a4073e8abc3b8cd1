"""The numbers of a heatmap of two parameters: one cell per pair of their values.

A study searches more than two parameters at times; a cell then stands for many trials, and
``how`` says which: ``"best"`` keeps only the trials whose other parameters are the best
trial's (a slice through the best point), ``"max"`` the best value over the others (the best
the pair can do), ``"mean"`` their average (how robust the pair is). Only completed trials
meeting the constraints count; a cell without one is NaN. A continuous parameter is cut into
``BINS`` equal bins. Plain numpy, no Qt: the widget only draws it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.research.space import Dimension
from ostdesk.store.studies import TrialRow

BINS = 15
HOWS = ("best", "max", "mean")


@dataclasses.dataclass(frozen=True)
class HeatGrid:
    """``z[iy, ix]`` is the value at ``x_labels[ix]``, ``y_labels[iy]``; ``best`` the cell
    ``(ix, iy)`` of the best value (None: no value at all); ``count`` the trials drawn."""

    x_labels: tuple[str, ...]
    y_labels: tuple[str, ...]
    z: npt.NDArray[np.float64]
    best: tuple[int, int] | None
    count: int

    def neighbourhood(self) -> npt.NDArray[np.float64]:
        """The values of the best cell and the cells around it (3 x 3 at most)."""
        if self.best is None:
            return np.array([], dtype=np.float64)
        ix, iy = self.best
        block = self.z[max(0, iy - 1) : iy + 2, max(0, ix - 1) : ix + 2]
        return block[np.isfinite(block)]


class _Axis:
    """Where a parameter's values fall on one axis of the grid."""

    def __init__(self, dim: Dimension) -> None:
        self.name = dim.name
        self.edges: npt.NDArray[np.float64] | None = None
        if dim.discrete:
            self.keys: list[Any] = [_key(v) for v in dim.values]
            self.labels = tuple(_label(v) for v in dim.values)
        else:
            low, high = float(dim.low or 0.0), float(dim.high or 0.0)
            self.edges = np.linspace(low, high, BINS + 1)
            centers = (self.edges[:-1] + self.edges[1:]) / 2
            self.keys = list(range(BINS))
            self.labels = tuple(f"{c:.4g}" for c in centers)
        self._index = {k: i for i, k in enumerate(self.keys)}

    def cell(self, value: Any) -> int | None:
        if self.edges is not None:
            if not isinstance(value, int | float):
                return None
            i = int(np.searchsorted(self.edges, float(value), side="right")) - 1
            return min(max(i, 0), BINS - 1)
        return self._index.get(_key(value))


def _key(value: Any) -> Any:
    """Values as stored trials hold them: enums by name, numbers as floats."""
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, int | float | str):
        return name
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 12)
    return value


def _label(value: Any) -> str:
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, int | float | str):
        return str(name)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def heat_grid(
    trials: Sequence[TrialRow],
    space: Sequence[Dimension],
    x: str,
    y: str,
    stat: str,
    *,
    minimize: bool = False,
    how: str = "best",
    best_params: Mapping[str, Any] | None = None,
) -> HeatGrid:
    """The grid of ``stat`` over parameters ``x`` and ``y`` (see the module docstring).
    ``best_params``: the best trial's parameters, which ``how="best"`` slices through (without
    them it falls back to ``"max"``)."""
    if how not in HOWS:
        raise ValueError(f"how {how!r}: expected one of {', '.join(HOWS)}")
    dims = {d.name: d for d in space}
    ax, ay = _Axis(dims[x]), _Axis(dims[y])
    others = [d.name for d in space if d.name not in (x, y)]
    if how == "best" and best_params is None:
        how = "max"
    fixed = {k: _key(best_params[k]) for k in others} if how == "best" and best_params else {}
    sums = np.zeros((len(ay.keys), len(ax.keys)))
    counts = np.zeros_like(sums)
    z = np.full_like(sums, np.nan)
    sign = -1.0 if minimize else 1.0
    drawn = 0
    for t in trials:
        if t.status != "completed" or not t.feasible:
            continue
        value = t.stats.get(stat)
        if value is None or not math.isfinite(value):
            continue
        if fixed and any(_key(t.params.get(k)) != v for k, v in fixed.items()):
            continue
        ix, iy = ax.cell(t.params.get(x)), ay.cell(t.params.get(y))
        if ix is None or iy is None:
            continue
        drawn += 1
        sums[iy, ix] += value
        counts[iy, ix] += 1
        current = z[iy, ix]
        if math.isnan(current) or sign * value > sign * current:
            z[iy, ix] = value
    if how == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    best = None
    if np.isfinite(z).any():
        flat = int(np.nanargmin(z) if minimize else np.nanargmax(z))
        iy, ix = divmod(flat, z.shape[1])
        best = (ix, iy)
    return HeatGrid(ax.labels, ay.labels, z, best, drawn)
