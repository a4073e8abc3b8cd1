"""Statistics of backtest overfitting: is the best of many trials better than luck?

* **Deflated Sharpe Ratio** (Bailey & López de Prado, 2014): the probability that the chosen
  trial's true Sharpe ratio is above the Sharpe ratio the best of ``N`` trials of no skill would
  show by chance (the expected maximum, from the trials' Sharpe variance), allowing for the
  returns' skew, kurtosis and sample length.
* **Probability of Backtest Overfitting** by combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado & Zhu, 2015): the trials' per-period returns are cut into
  ``S`` blocks; for every way to pick half of them as in-sample, the in-sample best trial is
  ranked out of sample; PBO is the share of splits where it ranks at or below the median.
  Trials are ranked by a measure any set of blocks gives from its returns: Sharpe ratio or
  compounded return.
* **Plateau score** of the best trial: how much the objective falls around it (1: a plateau,
  the neighbours as good; 0: a spike, the neighbours as bad as the worst trial). Around it
  means the grid cells touching it in a grid, the trials nearest it in parameter space in a
  study that samples the space (random, TPE, CMA-ES: their values form no grid, and few
  cells of the grid they span have a trial).

Sharpe ratios here are per period (not annualised), as the formulas need. Pure functions of
arrays: the callers decide where the numbers come from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

EULER_GAMMA = 0.5772156649015329
MAX_SPLITS = 20_000  # C(16, 8) = 12,870: S up to 16 blocks
CHUNK_CELLS = 1 << 20  # splits x trials Sharpe ratios computed at once (8 MiB each array)
_NORMAL = NormalDist()
_TOTAL_LOSS = -1.0 + 2.0**-52  # a return of -100% or worse, clipped so its log is finite
PBO_MEASURES = ("sharpe", "return")
"""What PBO ranks trials by: per-period Sharpe ratio, or compounded return."""

DEFINITIONS = {
    "Deflated Sharpe Ratio": (
        "Probability that the best trial's true Sharpe ratio beats the best Sharpe ratio that "
        "as many trials of no skill would show by luck, given the trials' Sharpe variance and "
        "the returns' skew, kurtosis and length (Bailey & López de Prado 2014). Above 0.95: "
        "unlikely to be luck."
    ),
    "Expected max Sharpe": (
        "The per-period Sharpe ratio the best of N trials of no skill is expected to show, "
        "from the variance of the trials' Sharpe ratios."
    ),
    "Probability of Backtest Overfitting": (
        "Share of the ways to split the periods into in-sample and out-of-sample halves in "
        "which the in-sample best trial ranks at or below the median out of sample "
        "(combinatorially symmetric cross-validation, Bailey, Borwein, López de Prado & Zhu). "
        "Trials are ranked by the study's objective when the returns of a set of periods give "
        "it (Sharpe ratio, return), else by Sharpe ratio. "
        "Near 0: the best holds out of sample; 0.5 or more: the choice is overfit."
    ),
    "Plateau score": (
        "How much the objective holds next to the best trial: 1 - (best - mean of the "
        "neighbours) / (best - worst trial). The neighbours: in a grid study, the grid cells "
        "touching the best; in a sampled study (random, TPE, CMA-ES…), the 2 x d trials "
        "nearest it, each of its d parameters scaled to its range among the trials. "
        "1: a plateau; near 0: a lone spike."
    ),
}


class OverfittingError(ValueError):
    """Input these statistics cannot use; the message says what and why."""


def sharpe(returns: npt.ArrayLike, axis: int = 0) -> FloatArray:
    """Per-period Sharpe ratio (mean over sample standard deviation) along ``axis``."""
    r = np.asarray(returns, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = r.mean(axis=axis) / r.std(axis=axis, ddof=1)
    return result


def expected_max_sharpe(trials: int, sharpe_variance: float) -> float:
    """E[max] of ``trials`` Sharpe ratios of no skill with that variance (the DSR's SR0)."""
    if trials < 1:
        raise OverfittingError(f"{trials} trials: need at least one")
    if not sharpe_variance >= 0:
        raise OverfittingError(f"Sharpe variance {sharpe_variance}: must be >= 0")
    if trials == 1:
        return 0.0
    z1 = _NORMAL.inv_cdf(1.0 - 1.0 / trials)
    z2 = _NORMAL.inv_cdf(1.0 - 1.0 / (trials * math.e))
    return math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


@dataclass(frozen=True, slots=True)
class DeflatedSharpe:
    """The DSR and what it is made of (Sharpe ratios per period)."""

    dsr: float
    sharpe: float
    expected_max_sharpe: float
    trials: int
    periods: int
    skew: float
    kurtosis: float  # not excess: 3 for normal returns


def deflated_sharpe(
    sharpe_ratio: float,
    *,
    trials: int,
    sharpe_variance: float,
    periods: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> DeflatedSharpe:
    """The DSR of a trial with per-period ``sharpe_ratio`` over ``periods`` returns, chosen as
    the best of ``trials`` whose per-period Sharpe ratios have variance ``sharpe_variance``."""
    if periods < 2:
        raise OverfittingError(f"{periods} periods: the DSR needs at least two returns")
    sr0 = expected_max_sharpe(trials, sharpe_variance)
    spread = 1.0 - skew * sharpe_ratio + (kurtosis - 1.0) / 4.0 * sharpe_ratio**2
    if not spread > 0:
        raise OverfittingError(
            f"skew {skew:g} and kurtosis {kurtosis:g} leave no Sharpe ratio variance at "
            f"Sharpe {sharpe_ratio:g}"
        )
    z = (sharpe_ratio - sr0) * math.sqrt(periods - 1) / math.sqrt(spread)
    return DeflatedSharpe(
        dsr=_NORMAL.cdf(z),
        sharpe=sharpe_ratio,
        expected_max_sharpe=sr0,
        trials=trials,
        periods=periods,
        skew=skew,
        kurtosis=kurtosis,
    )


def deflated_sharpe_of_returns(returns: npt.ArrayLike, chosen: int | None = None) -> DeflatedSharpe:
    """The DSR of trial ``chosen`` (default: the best by Sharpe) of a ``periods x trials``
    returns matrix: its own skew and kurtosis, the variance of all trials' Sharpe ratios."""
    matrix = _matrix(returns, min_trials=1)
    ratios = sharpe(matrix)
    best = int(np.nanargmax(ratios)) if chosen is None else chosen
    if not 0 <= best < matrix.shape[1]:
        raise OverfittingError(f"trial {best}: the matrix has {matrix.shape[1]} trials")
    r = matrix[:, best]
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    skew = float(np.mean(centred**3)) / m2**1.5 if m2 > 0 else 0.0
    kurt = float(np.mean(centred**4)) / m2**2 if m2 > 0 else 3.0
    finite = ratios[np.isfinite(ratios)]
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    return deflated_sharpe(
        float(ratios[best]),
        trials=matrix.shape[1],
        sharpe_variance=variance,
        periods=matrix.shape[0],
        skew=skew,
        kurtosis=kurt,
    )


@dataclass(frozen=True, slots=True)
class Overfitting:
    """CSCV's result: ``logits[i]`` of split i; trials ranked by ``measure``."""

    pbo: float
    logits: FloatArray
    blocks: int
    measure: str


MIN_AUTO_BLOCKS = 4
"""The fewest blocks chosen for the user: 2 blocks make a single split, whose PBO is 0 or 1."""


def auto_blocks(periods: int) -> int:
    """The PBO's blocks when the user gives none: the largest even S up to 16 with at least
    two periods per block (more blocks, more splits, a finer PBO)."""
    if periods < 2 * MIN_AUTO_BLOCKS:
        raise OverfittingError(
            f"{periods} periods: PBO needs at least {2 * MIN_AUTO_BLOCKS} periods (trading days)"
        )
    return min(16, periods // 2 // 2 * 2)


def probability_of_overfitting(
    returns: npt.ArrayLike, blocks: int = 16, *, measure: str = "sharpe", maximize: bool = True
) -> Overfitting:
    """PBO of choosing the best trial of a ``periods x trials`` returns matrix, by CSCV over
    ``blocks`` contiguous blocks of near-equal length (even, >= 2). Trials are ranked by
    ``measure`` over a split's blocks: ``"sharpe"`` (per-period mean over standard deviation)
    or ``"return"`` (compounded: the sum of ``log(1 + r)``), the highest best unless not
    ``maximize``."""
    if measure not in PBO_MEASURES:
        raise OverfittingError(f"{measure!r}: PBO ranks by one of {', '.join(PBO_MEASURES)}")
    matrix = _matrix(returns, min_trials=2)
    periods, trials = matrix.shape
    if blocks < 2 or blocks % 2:
        raise OverfittingError(f"{blocks} blocks: CSCV needs an even number, at least 2")
    if periods < 2 * blocks:
        raise OverfittingError(
            f"{periods} periods: {blocks} blocks need at least {2 * blocks} (two per block)"
        )
    if math.comb(blocks, blocks // 2) > MAX_SPLITS:
        raise OverfittingError(f"{blocks} blocks make too many splits; use 16 or fewer")
    bounds = np.linspace(0, periods, blocks + 1).round().astype(np.int64)
    block_of = np.repeat(np.arange(blocks), np.diff(bounds))
    # per block: each trial's count, sum and sum of squares -> any union's Sharpe in O(1);
    # sum of log growth -> any union's compounded return
    counts = np.bincount(block_of, minlength=blocks).astype(np.float64)
    if measure == "sharpe":
        sums = np.add.reduceat(matrix, bounds[:-1], axis=0)
        squares = np.add.reduceat(matrix**2, bounds[:-1], axis=0)

        def perf(picked: npt.NDArray[np.bool_]) -> FloatArray:
            return _union_sharpe(picked, counts, sums, squares)
    else:
        growth = np.add.reduceat(np.log1p(matrix.clip(min=_TOTAL_LOSS)), bounds[:-1], axis=0)

        def perf(picked: npt.NDArray[np.bool_]) -> FloatArray:
            result: FloatArray = picked.astype(np.float64) @ growth
            return result

    sign = 1.0 if maximize else -1.0
    chosen = np.array(list(itertools.combinations(range(blocks), blocks // 2)), dtype=np.int64)
    mask = np.zeros((len(chosen), blocks), dtype=bool)
    np.put_along_axis(mask, chosen, True, axis=1)
    # lexicographic combinations: split k's complement is split C-1-k, so each chunk of
    # splits is computed once and serves as in-sample for itself and out-of-sample for its
    # complements; chunks keep memory at CHUNK_CELLS values whatever the number of trials
    assert np.array_equal(mask[::-1], ~mask)
    splits = len(chosen)
    rank = np.empty(splits)
    step = max(1, CHUNK_CELLS // trials)
    for a in range(0, splits // 2, step):
        b = min(a + step, splits // 2)
        low = sign * perf(mask[a:b])
        high = sign * perf(mask[splits - b : splits - a])
        for rows, is_perf, oos_perf in (
            (slice(a, b), low, high[::-1]),
            (slice(splits - b, splits - a), high, low[::-1]),
        ):
            is_perf = np.where(np.isfinite(is_perf), is_perf, -np.inf)
            best = np.argmax(is_perf, axis=1)
            picked = np.arange(len(best))
            chosen_oos = oos_perf[picked, best]
            # rank of the chosen trial out of sample, 1..N (ties share their mean rank)
            below = (oos_perf < chosen_oos[:, None]).sum(axis=1)
            equal = (oos_perf == chosen_oos[:, None]).sum(axis=1)
            rank[rows] = below + (equal + 1) / 2.0
    omega = rank / (trials + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return Overfitting(
        pbo=float(np.mean(logits <= 0)), logits=logits, blocks=blocks, measure=measure
    )


def _union_sharpe(
    mask: npt.NDArray[np.bool_], counts: FloatArray, sums: FloatArray, squares: FloatArray
) -> FloatArray:
    """Per split (row of ``mask``) and trial: the Sharpe ratio of the blocks the mask picks."""
    pick = mask.astype(np.float64)
    n = (pick @ counts)[:, None]
    mean = pick @ sums
    mean /= n
    variance = pick @ squares  # in place from here: these are splits x trials, large
    variance -= n * mean**2
    variance /= n - 1.0
    np.maximum(variance, 0.0, out=variance)
    np.sqrt(variance, out=variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean /= variance
    return mean


def _matrix(returns: npt.ArrayLike, *, min_trials: int) -> FloatArray:
    matrix = np.asarray(returns, dtype=np.float64)
    if matrix.ndim != 2:
        raise OverfittingError(f"returns: expected periods x trials, got {matrix.ndim} dimensions")
    if matrix.shape[1] < min_trials:
        raise OverfittingError(f"{matrix.shape[1]} trials: need at least {min_trials}")
    if matrix.shape[0] < 2:
        raise OverfittingError(f"{matrix.shape[0]} periods: need at least two")
    if not np.isfinite(matrix).all():
        period, trial = np.argwhere(~np.isfinite(matrix))[0]
        raise OverfittingError(f"returns of trial {trial} at period {period} are not a number")
    return matrix


@dataclass(frozen=True, slots=True)
class Plateau:
    """The best cell's value, its neighbours' mean and lowest, and the score from them;
    ``cell`` is the grid cell, or ``(row,)`` of the trial for :func:`nearest_plateau`."""

    score: float
    best: float
    neighbour_mean: float
    neighbour_min: float
    neighbours: int
    cell: tuple[int, ...]


def plateau_score(
    values: npt.ArrayLike, cell: Sequence[int] | None = None, *, maximize: bool = True
) -> Plateau:
    """Score the ``cell`` (default: the best) of a grid of objective values (one axis per
    parameter, NaN where no trial ran) against the up to 3^d - 1 cells touching it."""
    grid = np.asarray(values, dtype=np.float64)
    if grid.size == 0 or not np.isfinite(grid).any():
        raise OverfittingError("the grid has no finite objective value")
    signed = grid if maximize else -grid
    if cell is None:
        flat = int(np.argmax(np.where(np.isnan(signed), -np.inf, signed)))
        cell = [int(i) for i in np.unravel_index(flat, grid.shape)]
    centre = tuple(int(i) for i in cell)
    inside = len(centre) == grid.ndim and all(
        0 <= i < s for i, s in zip(centre, grid.shape, strict=True)
    )
    if not inside:
        raise OverfittingError(f"cell {centre} is not in a grid of shape {grid.shape}")
    around = tuple(slice(max(i - 1, 0), i + 2) for i in centre)
    window = signed[around].copy()
    window[tuple(i - s.start for i, s in zip(centre, around, strict=True))] = np.nan
    neighbours = window[np.isfinite(window)]
    if len(neighbours) == 0:
        raise OverfittingError(f"cell {centre} has no neighbour with a value")
    return _scored(signed, centre, neighbours, maximize)


def nearest_plateau(
    points: npt.ArrayLike,
    values: npt.ArrayLike,
    chosen: int,
    *,
    neighbours: int | None = None,
    maximize: bool = True,
) -> Plateau:
    """Score trial ``chosen`` of ``points`` (trials x parameters, each parameter scaled to a
    range of 1) with objective ``values`` against its ``neighbours`` (default: two per
    parameter) nearest trials by Euclidean distance; trials without a value are left out."""
    x = np.asarray(points, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if x.ndim != 2 or len(x) != len(v):
        raise OverfittingError(f"points {x.shape} and {v.shape} values do not match")
    signed = v if maximize else -v
    if not 0 <= chosen < len(v) or not math.isfinite(signed[chosen]):
        raise OverfittingError(f"trial {chosen} has no objective value")
    others = np.flatnonzero(np.isfinite(signed))
    others = others[others != chosen]
    if len(others) == 0:
        raise OverfittingError("the best trial has no neighbour with a value")
    count = 2 * x.shape[1] if neighbours is None else neighbours
    distance = np.linalg.norm(x[others] - x[chosen], axis=1)
    near = others[np.argsort(distance, kind="stable")[:count]]
    return _scored(signed, (chosen,), signed[near], maximize)


def _scored(
    signed: FloatArray, centre: tuple[int, ...], neighbours: FloatArray, maximize: bool
) -> Plateau:
    """The plateau of ``signed[centre]`` (values negated when minimised) and its neighbours."""
    best = float(signed[centre])
    worst = float(np.nanmin(signed))
    mean = float(neighbours.mean())
    span = best - worst
    score = 1.0 if span <= 0 else 1.0 - (best - mean) / span
    sign = 1.0 if maximize else -1.0
    return Plateau(
        score=score,
        best=sign * best,
        neighbour_mean=sign * mean,
        neighbour_min=sign * float(neighbours.min()),
        neighbours=len(neighbours),
        cell=centre,
    )


def grid_of(
    params: Sequence[Mapping[str, Any]],
    values: npt.ArrayLike,
    names: Sequence[str],
    *,
    maximize: bool = True,
) -> tuple[FloatArray, list[list[Any]]]:
    """Trials' ``params`` and objective ``values`` as a grid over the ``names`` parameters
    (axes: each one's distinct values, sorted); a cell several trials share (other parameters
    differing) keeps the best, NaN where none ran."""
    objective = np.asarray(values, dtype=np.float64)
    axes = [sorted({p[name] for p in params}) for name in names]
    grid = np.full([len(a) for a in axes], np.nan)
    index = [{v: i for i, v in enumerate(a)} for a in axes]
    for p, value in zip(params, objective, strict=True):
        at = tuple(index[k][p[name]] for k, name in enumerate(names))
        held = grid[at]
        if np.isfinite(value) and (np.isnan(held) or (value > held) == maximize):
            grid[at] = value
    return grid, axes
