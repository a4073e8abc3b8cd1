"""Search methods: which parameters to try next. Each asks for trials one at a time (so a pool
of workers stays busy) and is told every result, in whatever order trials finish.

* ``grid``: every combination, in order; trial ``n`` is combination ``n``.
* ``random``: seeded; a space of discrete values is sampled without repeats (trial ``n`` is
  the ``n``-th of one seeded sample of combinations), one with a continuous dimension draws
  trial ``n`` from a generator seeded by the seed and ``n``. Either way a resumed study asks
  exactly the trials the first run would have asked.
* ``tpe``, ``cmaes``, ``nsga2``: Optuna's samplers through its ask/tell interface, on an
  in-memory Optuna study (our database is the record); a resume tells Optuna every stored
  trial first. Optuna is imported only here, only when such a method is chosen.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from ostdesk.research.space import Dimension, combination, grid, grid_size
from ostdesk.research.spec import StudySpec, TrialResult, TrialStatus
from ostdesk.store.studies import TrialRow


class Method(Protocol):
    planned: int | None
    """How many trials the method will ask in all (None: unknown)."""

    def ask(self) -> tuple[int, dict[str, Any]] | None:
        """The next trial's number and parameters; None when the method has no more."""

    def tell(self, result: TrialResult) -> None:
        """A finished trial (any status)."""


class _Listed:
    """Grid and random search: a fixed sequence of combinations, minus the stored ones."""

    def __init__(
        self, combos: Iterator[tuple[int, dict[str, Any]]], planned: int, done: set[int]
    ) -> None:
        self.planned: int | None = planned
        self._combos = combos
        self._done = done

    def ask(self) -> tuple[int, dict[str, Any]] | None:
        for number, params in self._combos:
            if number not in self._done:
                return number, params
        return None

    def tell(self, result: TrialResult) -> None:
        pass  # the sequence does not depend on results


def _grid(dims: Sequence[Dimension], done: set[int]) -> _Listed:
    size = grid_size(dims)
    assert size is not None  # the spec refuses a grid over a continuous dimension
    return _Listed(enumerate(grid(dims)), size, done)


def _random(dims: Sequence[Dimension], n: int, seed: int, done: set[int]) -> _Listed:
    size = grid_size(dims)
    if size is not None:
        count = min(n, size)
        picks = random.Random(seed).sample(range(size), count)
        combos = ((k, combination(dims, i)) for k, i in enumerate(picks))
        return _Listed(combos, count, done)

    def draw(number: int) -> dict[str, Any]:
        rng = random.Random(f"{seed}:{number}")
        return {
            d.name: rng.choice(d.values) if d.discrete else rng.uniform(d.low or 0, d.high or 0)
            for d in dims
        }

    return _Listed(((k, draw(k)) for k in range(n)), n, done)


class _Optuna:
    """An Optuna sampler driven by ask/tell. Our trial numbers are our own (a trial lost in a
    crash leaves a gap Optuna's numbering would not), mapped to Optuna's trials in flight."""

    def __init__(self, spec: StudySpec, stored: Sequence[TrialRow]) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self._spec = spec
        self.planned = spec.n_trials
        self._dists = {d.name: _distribution(optuna, d) for d in spec.space}
        constraints = _constraints if spec.constraints else None
        sampler: Any
        if spec.method == "tpe":
            sampler = optuna.samplers.TPESampler(seed=spec.seed, constraints_func=constraints)
        elif spec.method == "cmaes":
            sampler = optuna.samplers.CmaEsSampler(seed=spec.seed, warn_independent_sampling=False)
        else:
            sampler = optuna.samplers.NSGAIISampler(seed=spec.seed, constraints_func=constraints)
        self._study = optuna.create_study(
            sampler=sampler,
            directions=["minimize" if o.minimize else "maximize" for o in spec.objectives],
        )
        self._pending: dict[int, Any] = {}
        self._next = max((t.number for t in stored), default=-1) + 1
        self._left = (spec.n_trials or 0) - len(stored)
        for row in stored:
            self._study.add_trial(self._frozen(row))

    def ask(self) -> tuple[int, dict[str, Any]] | None:
        if self._left <= 0:
            return None
        self._left -= 1
        trial = self._study.ask(self._dists)
        number, self._next = self._next, self._next + 1
        self._pending[number] = trial
        return number, self._values(trial.params)

    def tell(self, result: TrialResult) -> None:
        trial = self._pending.pop(result.number, None)
        if trial is None:
            return
        state, values = self._state(result.status, self._spec.objective_values(result.stats))
        if self._spec.constraints:
            trial.set_user_attr(
                "constraints", [c.violation(result.stats) for c in self._spec.constraints]
            )
        self._study.tell(trial, values, state=state)

    def _state(self, status: TrialStatus, values: tuple[float, ...]) -> tuple[Any, Any]:
        states = self._optuna.trial.TrialState
        if status is TrialStatus.PRUNED:
            return states.PRUNED, None
        if status is not TrialStatus.COMPLETED or not all(math.isfinite(v) for v in values):
            return states.FAIL, None
        return states.COMPLETE, list(values)

    def _frozen(self, row: TrialRow) -> Any:
        status = TrialStatus(row.status)
        state, values = self._state(status, tuple(row.objective))
        attrs = {}
        if self._spec.constraints:
            attrs["constraints"] = [c.violation(row.stats) for c in self._spec.constraints]
        params = {d.name: _encode(d, row.params[d.name]) for d in self._spec.space}
        return self._optuna.trial.create_trial(
            params=params,
            distributions=self._dists,
            values=values,
            state=state,
            user_attrs=attrs,
        )

    def _values(self, params: dict[str, Any]) -> dict[str, Any]:
        return {d.name: _decode(d, params[d.name]) for d in self._spec.space}


def _constraints(trial: Any) -> Sequence[float]:
    return trial.user_attrs.get("constraints", [1.0])  # type: ignore[no-any-return]


def _step(d: Dimension) -> float | None:
    """The step of evenly spaced numeric values (None: not evenly spaced, or not numbers)."""
    if not d.numeric or len(d.values) < 2:
        return None
    step = d.values[1] - d.values[0]
    evenly = all(math.isclose(b - a, step, rel_tol=1e-9) for a, b in itertools.pairwise(d.values))
    return step if evenly and step > 0 else None


def _distribution(optuna: Any, d: Dimension) -> Any:
    if not d.discrete:
        return optuna.distributions.FloatDistribution(d.low, d.high)
    step = _step(d)
    if step is None:  # a list of values: chosen by position (enums are no Optuna choices)
        return optuna.distributions.CategoricalDistribution(tuple(range(len(d.values))))
    if all(isinstance(v, int) for v in d.values):
        return optuna.distributions.IntDistribution(d.values[0], d.values[-1], step=int(step))
    return optuna.distributions.FloatDistribution(d.values[0], d.values[-1], step=step)


def _encode(d: Dimension, value: Any) -> Any:
    """A stored (JSON) value as the Optuna distribution of ``d`` holds it."""
    if d.discrete and _step(d) is None:
        names = [getattr(v, "name", v) for v in d.values]
        return names.index(value)
    return value


def _decode(d: Dimension, value: Any) -> Any:
    if d.discrete and _step(d) is None:
        return d.values[value]
    if d.discrete:  # a float step: the grid value nearest Optuna's
        return min(d.values, key=lambda v: abs(v - value))
    return value


def make_method(spec: StudySpec, stored: Sequence[TrialRow]) -> Method:
    """The method of ``spec``, knowing the ``stored`` trials of a resumed study."""
    done = {t.number for t in stored}
    if spec.method == "grid":
        return _grid(spec.space, done)
    if spec.method == "random":
        assert spec.n_trials is not None
        return _random(spec.space, spec.n_trials, spec.seed, done)
    return _Optuna(spec, stored)
