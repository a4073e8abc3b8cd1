"""The robustness summary of a stored study: Deflated Sharpe Ratio, Probability of Backtest
Overfitting and the plateau score of its best trial, each with its definition.

The study's best trial is the best completed, feasible trial by its first objective. What a
study stores decides how exact each statistic is:

* the **plateau** needs only the trials' parameters and objective values (stored);
* the **DSR** needs every trial's Sharpe ratio (stored, annualised: de-annualised here by
  ``sqrt(PERIODS_PER_YEAR)``) and the best trial's number of returns (from its duration) and
  their skew and kurtosis -- assumed normal unless the per-period returns are given;
* the **PBO** needs every trial's per-period returns: stored with the trials
  (``trial_returns``; not by studies from before that table), or passed by the caller as a
  ``periods x trials`` matrix (columns in trial-number order); else it is left out with a note
  saying so. With them the DSR uses the best trial's own returns too.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from ostdesk.research.overfitting import (
    DEFINITIONS,
    DeflatedSharpe,
    Overfitting,
    OverfittingError,
    Plateau,
    deflated_sharpe,
    deflated_sharpe_of_returns,
    grid_of,
    plateau_score,
    probability_of_overfitting,
)
from ostdesk.research.spec import Objective
from ostdesk.store.database import DbOrCursor
from ostdesk.store.studies import TrialRow, get_study, stored_trials, trial_returns

PERIODS_PER_YEAR = 252  # trading days: the stored Sharpe ratios' annualisation of daily returns
_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Robustness:
    """A study's overfitting statistics; a statistic that cannot be computed is None and
    ``notes`` says why (or what was assumed)."""

    study_id: int
    objective: str
    trials: int
    best_trial: int
    best_params: Mapping[str, Any]
    deflated: DeflatedSharpe | None
    overfitting: Overfitting | None
    plateau: Plateau | None
    notes: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """Plain values for the CLI and JSON, each statistic with its definition."""
        d, o, p = self.deflated, self.overfitting, self.plateau
        return {
            "study_id": self.study_id,
            "objective": self.objective,
            "trials": self.trials,
            "best_trial": self.best_trial,
            "best_params": dict(self.best_params),
            "deflated_sharpe_ratio": None if d is None else d.dsr,
            "sharpe_per_period": None if d is None else d.sharpe,
            "expected_max_sharpe": None if d is None else d.expected_max_sharpe,
            "pbo": None if o is None else o.pbo,
            "pbo_blocks": None if o is None else o.blocks,
            "plateau_score": None if p is None else p.score,
            "plateau_neighbours": None if p is None else p.neighbours,
            "plateau_mean": None if p is None else p.neighbour_mean,
            "notes": list(self.notes),
            "definitions": dict(DEFINITIONS),
        }


def study_robustness(
    db: DbOrCursor,
    study_id: int,
    *,
    returns: npt.ArrayLike | None = None,
    blocks: int = 16,
) -> Robustness:
    """The summary of stored study ``study_id`` (``returns``: see the module's docstring)."""
    study = get_study(db, study_id)
    first = json.loads(study["spec"])["objectives"][0]
    objective = Objective(str(first["stat"]), bool(first["minimize"]))
    trials = with_returns(db, study_id, stored_trials(db, study_id))
    return robustness_of(trials, objective, study_id=study_id, returns=returns, blocks=blocks)


def with_returns(db: DbOrCursor, study_id: int, trials: Sequence[TrialRow]) -> list[TrialRow]:
    """``trials`` of stored study ``study_id`` with their stored per-period returns (those
    stored without keep none), as the summary reads them."""
    stored = trial_returns(db, study_id)
    return [
        dataclasses.replace(t, returns=cast(Sequence[float], stored[t.number]))
        if t.number in stored
        else t
        for t in trials
    ]


def robustness_of(
    trials: Sequence[TrialRow],
    objective: Objective,
    *,
    study_id: int,
    returns: npt.ArrayLike | None = None,
    blocks: int = 16,
) -> Robustness:
    """The summary of a study's ``trials`` (all of them: the completed ones count) ranked by
    ``objective``; ``returns`` has a column per completed trial, in the order given (None:
    the trials' own ``returns``, when every completed trial has them, of one length)."""
    completed = [t for t in trials if t.status == "completed"]
    best = _best(completed, objective.minimize)
    if best is None:
        raise OverfittingError(
            f"study {study_id} has no completed, feasible trial with a value of {objective.stat}"
        )
    notes: list[str] = []
    if returns is None:
        returns = _returns_of(completed, notes)
    deflated = _deflated(completed, completed.index(best), returns, notes)
    overfitting = None
    if returns is not None:
        try:
            overfitting = probability_of_overfitting(returns, blocks)
        except OverfittingError as exc:
            notes.append(f"PBO: {exc}")
    return Robustness(
        study_id=study_id,
        objective=objective.describe(),
        trials=len(completed),
        best_trial=best.number,
        best_params=best.params,
        deflated=deflated,
        overfitting=overfitting,
        plateau=_plateau(completed, best, objective.minimize, notes),
        notes=tuple(notes),
    )


def _returns_of(completed: Sequence[TrialRow], notes: list[str]) -> npt.NDArray[np.float64] | None:
    """The completed trials' stored returns as a ``periods x trials`` matrix, if they all
    have them and of one length (they ran on the same bars)."""
    lengths = {len(t.returns) for t in completed}
    if 0 in lengths:
        notes.append("PBO needs every trial's per-period returns, which the study does not store")
        return None
    if len(lengths) > 1:
        notes.append("PBO needs the trials' returns over the same periods; their lengths differ")
        return None
    return np.column_stack([np.asarray(t.returns, dtype=np.float64) for t in completed])


def _best(trials: Sequence[TrialRow], minimize: bool) -> TrialRow | None:
    ranked = [t for t in trials if t.feasible and math.isfinite(t.objective[0])]
    if not ranked:
        return None
    pick = min if minimize else max
    return pick(ranked, key=lambda t: t.objective[0])


def _deflated(
    trials: list[TrialRow], chosen: int, returns: npt.ArrayLike | None, notes: list[str]
) -> DeflatedSharpe | None:
    if returns is not None:
        matrix = np.asarray(returns, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(trials):
            raise OverfittingError(
                f"returns: expected periods x {len(trials)} completed trials, got shape "
                f"{matrix.shape}"
            )
        return deflated_sharpe_of_returns(matrix, chosen)
    annual = np.array([_stat(t, "Sharpe Ratio") for t in trials])
    finite = annual[np.isfinite(annual)]
    sharpe = _stat(trials[chosen], "Sharpe Ratio")
    periods = round(_stat(trials[chosen], "Duration") / _DAY_S * PERIODS_PER_YEAR / 365.0)
    if not math.isfinite(sharpe) or len(finite) < 2 or periods < 2:
        notes.append("DSR needs the Sharpe ratio of the best trial and of at least two trials")
        return None
    notes.append(
        f"DSR from the stored Sharpe ratios de-annualised by sqrt({PERIODS_PER_YEAR}), "
        "returns assumed normal (skew 0, kurtosis 3): the study does not store them"
    )
    scale = math.sqrt(PERIODS_PER_YEAR)
    return deflated_sharpe(
        sharpe / scale,
        trials=len(trials),
        sharpe_variance=float(np.var(finite / scale, ddof=1)),
        periods=periods,
    )


def _plateau(
    trials: list[TrialRow], best: TrialRow, minimize: bool, notes: list[str]
) -> Plateau | None:
    names = [n for n in best.params if len({_key(t.params.get(n)) for t in trials}) > 1]
    if not names:
        notes.append("plateau needs a parameter that varies between trials")
        return None
    grid, axes = grid_of(
        [t.params for t in trials], [t.objective[0] for t in trials], names, maximize=not minimize
    )
    cell = [axis.index(best.params[n]) for axis, n in zip(axes, names, strict=True)]
    try:
        return plateau_score(grid, cell, maximize=not minimize)
    except OverfittingError as exc:
        notes.append(f"plateau: {exc}")
        return None


def _stat(trial: TrialRow, name: str) -> float:
    value = trial.stats.get(name)
    return math.nan if value is None else float(value)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
