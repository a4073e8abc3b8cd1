"""The robustness summary of a stored study: Deflated Sharpe Ratio, Probability of Backtest
Overfitting and the plateau score of its best trial, each with its definition.

The study's best trial is the best completed, feasible trial by its first objective. What a
study stores decides what can be computed:

* the **plateau** needs only the trials' parameters and objective values (stored); its
  neighbours are grid cells in a grid study, the nearest trials in a sampled one;
* the **DSR** and the **PBO** need every trial's per-period returns, stored with the trials
  (``trial_returns``; not by studies from before that table). Without them both are left out
  with a note: the stored Sharpe ratios are annual, of compounded returns over their
  compounded volatility, and de-annualising them gives per-period Sharpe ratios 18-40% low;
* the PBO ranks trials by the study's objective when a set of periods' returns give it
  (``PBO_MEASURE_OF``), else by Sharpe ratio, with a note saying so.
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
    auto_blocks,
    deflated_sharpe_of_returns,
    grid_of,
    nearest_plateau,
    plateau_score,
    probability_of_overfitting,
)
from ostdesk.research.spec import Objective
from ostdesk.store.database import DbOrCursor
from ostdesk.store.studies import TrialRow, get_study, stored_trials, trial_returns

PBO_MEASURE_OF = {
    "Sharpe Ratio": "sharpe",
    "Return [%]": "return",
    "Return (Ann.) [%]": "return",
    "CAGR [%]": "return",
    "Equity Final [$]": "return",
}
"""The objectives the PBO can rank trials by, from the returns of any set of periods (the
annual and final-equity ones rank as the return does: every trial spans the same periods)."""


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
            "pbo_ranked_by": None if o is None else o.measure,
            "plateau_score": None if p is None else p.score,
            "plateau_neighbours": None if p is None else p.neighbours,
            "plateau_mean": None if p is None else p.neighbour_mean,
            "notes": list(self.notes),
            "definitions": dict(DEFINITIONS),
        }


def study_robustness(db: DbOrCursor, study_id: int, *, blocks: int | None = None) -> Robustness:
    """The summary of stored study ``study_id``, the PBO over ``blocks`` blocks (None: as
    many as its returns allow, see ``auto_blocks``)."""
    study = get_study(db, study_id)
    first = json.loads(study["spec"])["objectives"][0]
    objective = Objective(str(first["stat"]), bool(first["minimize"]))
    trials = with_returns(db, study_id, stored_trials(db, study_id))
    return robustness_of(
        trials, objective, study_id=study_id, method=str(study["method"]), blocks=blocks
    )


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
    method: str,
    blocks: int | None = None,
) -> Robustness:
    """The summary of a study's ``trials`` (all of them: the completed ones count) ranked by
    ``objective``, found by ``method`` (``grid`` or a sampler); the DSR and PBO from the
    trials' own ``returns``, when every completed trial has them, of one length."""
    completed = [t for t in trials if t.status == "completed"]
    best = _best(completed, objective.minimize)
    if best is None:
        raise OverfittingError(
            f"study {study_id} has no completed, feasible trial with a value of {objective.stat}"
        )
    notes: list[str] = []
    returns = _returns_of(completed, notes)
    deflated = overfitting = None
    if returns is not None:
        deflated = deflated_sharpe_of_returns(returns, completed.index(best))
        overfitting = _overfitting(returns, objective, blocks, notes)
    return Robustness(
        study_id=study_id,
        objective=objective.describe(),
        trials=len(completed),
        best_trial=best.number,
        best_params=best.params,
        deflated=deflated,
        overfitting=overfitting,
        plateau=_plateau(completed, best, objective.minimize, method, notes),
        notes=tuple(notes),
    )


def _returns_of(completed: Sequence[TrialRow], notes: list[str]) -> npt.NDArray[np.float64] | None:
    """The completed trials' stored returns as a ``periods x trials`` matrix, if they all
    have them and of one length (they ran on the same bars)."""
    lengths = {len(t.returns) for t in completed}
    if 0 in lengths:
        notes.append(
            "DSR and PBO need every trial's per-period returns, which the study does not store "
            "(it is older than stored returns); its annual Sharpe ratios, of compounded "
            "returns, cannot stand in for them"
        )
        return None
    if len(lengths) > 1:
        notes.append(
            "DSR and PBO need the trials' returns over the same periods; their lengths differ"
        )
        return None
    return np.column_stack([np.asarray(t.returns, dtype=np.float64) for t in completed])


def _overfitting(
    returns: npt.NDArray[np.float64], objective: Objective, blocks: int | None, notes: list[str]
) -> Overfitting | None:
    """The PBO ranking trials by ``objective`` where the returns give it, else by Sharpe;
    over ``blocks`` blocks, or (None) the most its periods allow, said in a note."""
    try:
        if blocks is None:
            blocks = auto_blocks(len(returns))
            notes.append(
                f"PBO over {blocks} blocks: the most, up to 16, with at least 2 of the "
                f"{len(returns):,} periods each"
            )
    except OverfittingError as exc:
        notes.append(f"PBO: {exc}")
        return None
    measure = PBO_MEASURE_OF.get(objective.stat)
    if measure is None:
        notes.append(
            f"PBO ranks the trials by Sharpe ratio: {objective.stat} cannot be computed from "
            "the returns of a set of periods"
        )
    try:
        return probability_of_overfitting(
            returns,
            blocks,
            measure=measure or "sharpe",
            maximize=measure is None or not objective.minimize,
        )
    except OverfittingError as exc:
        notes.append(f"PBO: {exc}")
        return None


def _best(trials: Sequence[TrialRow], minimize: bool) -> TrialRow | None:
    ranked = [t for t in trials if t.feasible and math.isfinite(t.objective[0])]
    if not ranked:
        return None
    pick = min if minimize else max
    return pick(ranked, key=lambda t: t.objective[0])


def _plateau(
    trials: list[TrialRow], best: TrialRow, minimize: bool, method: str, notes: list[str]
) -> Plateau | None:
    """The grid neighbourhood's plateau in a grid study, the nearest trials' in a sampled one
    (its values form no grid: few cells next to the best would have a trial)."""
    names = [n for n in best.params if len({_key(t.params.get(n)) for t in trials}) > 1]
    if not names:
        notes.append("plateau needs a parameter that varies between trials")
        return None
    values = [t.objective[0] for t in trials]
    try:
        if method != "grid":
            points = _scaled([t.params for t in trials], best.params, names)
            return nearest_plateau(points, values, trials.index(best), maximize=not minimize)
        grid, axes = grid_of([t.params for t in trials], values, names, maximize=not minimize)
        cell = [axis.index(best.params[n]) for axis, n in zip(axes, names, strict=True)]
        return plateau_score(grid, cell, maximize=not minimize)
    except OverfittingError as exc:
        notes.append(f"plateau: {exc}")
        return None


def _scaled(
    params: Sequence[Mapping[str, Any]], best: Mapping[str, Any], names: Sequence[str]
) -> npt.NDArray[np.float64]:
    """Trials x ``names``: a number scaled to its range among the trials (0 to 1), any other
    value (a choice, a flag) 0 where it is the best trial's and 1 where not."""
    columns = []
    for name in names:
        column = [p.get(name) for p in params]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in column):
            x = np.asarray(column, dtype=np.float64)
            span = x.max() - x.min()
            columns.append((x - x.min()) / span if span > 0 else np.zeros(len(x)))
        else:
            mine = _key(best.get(name))
            columns.append(np.array([float(_key(v) != mine) for v in column]))
    return np.column_stack(columns)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
