"""A study's results over two of its parameters, for the Optimize view's heatmap (and any
other reader): one cell per pair of values, the other parameters either held at the best
trial's values or aggregated (max or mean) over every trial of the cell.

Cells with no completed, feasible trial are NaN. ``best`` is the cell of the best trial and
``neighbourhood`` how the values around it compare with it (a plateau is robust, a lone spike
is not): the mean of the up to 8 cells around the best one, relative to the best.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.research.ranking import best_trials
from ostdesk.research.spec import StudySpec
from ostdesk.store.studies import TrialRow

HOW = ("best", "max", "mean")


@dataclasses.dataclass(frozen=True)
class Heatmap:
    """``values[i, j]`` is the cell of ``ys[i]`` and ``xs[j]``."""

    x: str
    y: str
    xs: list[Any]
    ys: list[Any]
    values: npt.NDArray[np.float64]
    best: tuple[int, int] | None
    neighbourhood: float | None


def heatmap(
    trials: Sequence[TrialRow], spec: StudySpec, x: str, y: str, how: str = "best", stat: str = ""
) -> Heatmap:
    """The heatmap of ``stat`` (default: the first objective) over parameters ``x`` and ``y``.
    ``how``: ``best`` keeps the other parameters at the best trial's values, ``max`` and
    ``mean`` aggregate every trial of a cell (better is higher unless the objective is
    minimised: ``max`` then takes the lowest)."""
    if how not in HOW:
        raise ValueError(f"how={how!r}: expected one of {', '.join(HOW)}")
    if x == y:
        raise ValueError("a heatmap needs two different parameters")
    ranked = best_trials(trials, spec)
    if not ranked:
        return Heatmap(x, y, [], [], np.empty((0, 0)), None, None)
    top = ranked[0]
    minimize = spec.objectives[0].minimize if not stat else False
    others = {k: v for k, v in top.params.items() if k not in (x, y)}
    if how == "best":
        ranked = [t for t in ranked if all(t.params.get(k) == v for k, v in others.items())]
    xs = sorted({t.params[x] for t in ranked})
    ys = sorted({t.params[y] for t in ranked})
    cells: dict[tuple[int, int], list[float]] = {}
    for t in ranked:
        value = t.objective[0] if not stat else t.stats.get(stat)
        if value is None or math.isnan(value):
            continue
        cells.setdefault((ys.index(t.params[y]), xs.index(t.params[x])), []).append(value)
    values = np.full((len(ys), len(xs)), np.nan)
    for (i, j), found in cells.items():
        if how == "mean":
            values[i, j] = float(np.mean(found))
        else:
            values[i, j] = min(found) if minimize else max(found)
    best = (ys.index(top.params[y]), xs.index(top.params[x]))
    return Heatmap(x, y, xs, ys, values, best, _neighbourhood(values, best))


def _neighbourhood(values: npt.NDArray[np.float64], at: tuple[int, int]) -> float | None:
    i, j = at
    centre = values[i, j]
    around = values[max(0, i - 1) : i + 2, max(0, j - 1) : j + 2].copy()
    around[min(i, 1), min(j, 1)] = np.nan  # the best cell itself
    if np.isnan(around).all() or not centre:
        return None
    return float(np.nanmean(around) / centre)
