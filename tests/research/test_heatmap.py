"""The heatmap of two parameters: cells, the best cell, its neighbourhood, and how the other
parameters are held or aggregated; and the Pareto front of stored trials."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ostdesk.research.heatmap import heatmap
from ostdesk.research.ranking import pareto_front
from ostdesk.research.space import Dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.store.studies import TrialRow


def _spec(*objectives: Objective) -> StudySpec:
    dims = (Dimension("a", (1, 2, 3)), Dimension("b", (10, 20)), Dimension("c", (0, 1)))
    return StudySpec("S", "built-in", ("X",), "day", dims, objectives, method="grid")


def _trial(n: int, a: int, b: int, c: int, value: float, *more: float) -> TrialRow:
    params = {"a": a, "b": b, "c": c}
    return TrialRow(n, params, "completed", [value, *more], True, {"SQN": value}, None, 0.0, "w")


TRIALS = [
    _trial(n, a, b, c, float(a * b + 100 * c if (a, b) != (3, 20) else math.nan))
    for n, (a, b, c) in enumerate((a, b, c) for a in (1, 2, 3) for b in (10, 20) for c in (0, 1))
]


def test_best_holds_the_others_at_the_best_trials_values() -> None:
    hm = heatmap(TRIALS, _spec(Objective("SQN")), "a", "b")
    assert (hm.xs, hm.ys) == ([1, 2, 3], [10, 20])
    expected = np.array([[110.0, 120.0, 130.0], [120.0, 140.0, np.nan]])
    np.testing.assert_array_equal(hm.values, expected)
    assert hm.best == (1, 1)  # a=2, b=20, c=1: 140
    assert hm.neighbourhood == pytest.approx(np.mean([110, 120, 130, 120]) / 140)


def test_mean_aggregates_every_trial_of_a_cell() -> None:
    hm = heatmap(TRIALS, _spec(Objective("SQN")), "a", "b", how="mean")
    assert hm.values[0, 0] == (10 + 110) / 2


def test_a_minimised_objective_takes_the_lowest_for_max() -> None:
    hm = heatmap(TRIALS, _spec(Objective("SQN", minimize=True)), "a", "b", how="max")
    assert hm.values[0, 0] == 10 and hm.best == (0, 0)


def test_pareto_front_keeps_only_undominated_trials() -> None:
    spec = _spec(Objective("SQN"), Objective("Return [%]", minimize=True))
    trials = [_trial(0, 1, 10, 0, 5, 5), _trial(1, 1, 10, 0, 6, 6), _trial(2, 1, 10, 0, 4, 6)]
    trials.append(_trial(3, 1, 10, 0, 7, 7))
    assert [t.number for t in pareto_front(trials, spec)] == [0, 1, 3]
