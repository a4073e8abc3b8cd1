"""What a parameter study is: :class:`StudySpec` (strategy, data, account, space, objectives,
constraints, method) and what one trial gives back (:class:`TrialResult`).

A spec is plain data that survives JSON (the ``studies`` table keeps it, and a resumed study
is rebuilt from it) and pickling (workers get it). Objectives and constraints name any
statistic a recorded run has (``ostdesk.store.stats.STAT_DEFINITIONS``).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.research.space import Dimension, SpaceError
from ostdesk.store.presets import json_value
from ostdesk.store.stats import STAT_DEFINITIONS, TIME_KEYS

METHODS = ("grid", "random", "tpe", "cmaes", "nsga2")

#: The statistics a study can rank or constrain by: the numeric ones (durations in seconds).
STUDY_STATS = tuple(k for k in STAT_DEFINITIONS if k not in TIME_KEYS)


class TrialStatus(enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"  # the strategy raised, or its run failed
    TIMEOUT = "timeout"  # it ran past the study's per-trial limit and was stopped
    PRUNED = "pruned"  # validate() refused the combination: it never ran


def params_key(params: Mapping[str, Any]) -> str:
    """The same text for the same parameters, whatever their order, as asked or as stored
    (enums by name): a study runs each set once and lists it once."""
    return json.dumps({k: json_value(v) for k, v in params.items()}, sort_keys=True)


def check_stat(name: str, what: str) -> str:
    """``name`` if it is a statistic a study can use, else a one-line error listing them."""
    if name in STUDY_STATS:
        return name
    for known in STUDY_STATS:
        if known.lower() == name.strip().lower():
            return known
    raise SpaceError(f"{what} {name!r}: no such statistic (known: {', '.join(STUDY_STATS)})")


@dataclasses.dataclass(frozen=True)
class Objective:
    """A statistic to maximise (default) or minimise."""

    stat: str
    minimize: bool = False

    def describe(self) -> str:
        return f"{'min' if self.minimize else 'max'} {self.stat}"


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_CONSTRAINT = re.compile(r"^\s*(.+?)\s*([<>=!]+)\s*(\S+)\s*$")
"""``stat op number``; ``op`` takes every comparison character, so ``>>`` is refused as an
operator rather than read as ``>`` after a statistic named ``... >``."""


@dataclasses.dataclass(frozen=True)
class Constraint:
    """``stat op bound``, e.g. ``# Trades >= 30``: a trial that breaks it is kept but is never
    the best (and model-based methods learn to avoid it)."""

    stat: str
    op: str
    bound: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        match = _CONSTRAINT.match(text)
        if match is None:
            raise SpaceError(f"--constraint {text!r}: expected STAT OP NUMBER, e.g. '# Trades>=30'")
        stat, op, number = match.groups()
        if op not in _OPS:
            raise SpaceError(
                f"--constraint {text!r}: {op!r} is not an operator (use {', '.join(_OPS)})"
            )
        try:
            bound = float(number)
        except ValueError:
            raise SpaceError(f"--constraint {text!r}: {number!r} is not a number") from None
        return cls(check_stat(stat, "--constraint"), op, bound)

    def holds(self, stats: Mapping[str, float | None]) -> bool:
        value = stats.get(self.stat)
        return value is not None and not math.isnan(value) and _OPS[self.op](value, self.bound)

    def violation(self, stats: Mapping[str, float | None]) -> float:
        """How far the trial is from meeting it (<= 0: met), as Optuna's constraints want."""
        value = stats.get(self.stat)
        if value is None or math.isnan(value):
            return 1.0
        if self.holds(stats):
            return 0.0
        return abs(value - self.bound) or 1.0

    def describe(self) -> str:
        return f"{self.stat} {self.op} {self.bound:g}"


@dataclasses.dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study. ``strategy_source`` is where the strategy class comes
    from (``"built-in"`` or a file path), so that a worker process can load it by name;
    ``fixed`` holds the parameters not searched (else their defaults apply).
    ``trial_timeout_s`` bounds one trial (an endless loop in strategy code ends it
    ``timeout``)."""

    strategy: str
    strategy_source: str
    symbols: tuple[str, ...]
    period: str
    space: tuple[Dimension, ...]
    objectives: tuple[Objective, ...]
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    method: str = "grid"
    n_trials: int | None = None  # None: the whole grid
    seed: int = 0
    start_ns: int | None = None
    end_ns: int | None = None
    capital: float = 100_000.0
    commission: str = "none"
    slippage_ticks: float = 0.0
    max_leverage: float | None = None  # None: no limit (as a run's)
    trial_timeout_s: float = 600.0

    def __post_init__(self) -> None:
        if self.max_leverage is not None and not (
            self.max_leverage > 0 and math.isfinite(self.max_leverage)
        ):
            raise SpaceError(f"--max-leverage {self.max_leverage:g}: must be a positive number")
        if self.method not in METHODS:
            raise SpaceError(f"--method {self.method}: expected one of {', '.join(METHODS)}")
        if not self.objectives:
            raise SpaceError("a study needs an objective, e.g. --objective 'Sharpe Ratio'")
        if len(self.objectives) > 1 and self.method not in ("nsga2", "grid", "random"):
            raise SpaceError(
                f"--method {self.method} optimises one objective; several need nsga2 (or grid, "
                "random)"
            )
        if self.method != "grid" and self.n_trials is None:
            raise SpaceError(f"--method {self.method} needs --trials N")
        if self.n_trials is not None and self.n_trials < 1:
            raise SpaceError(f"--trials {self.n_trials}: must be 1 or more")
        if self.method == "grid" and not all(d.discrete for d in self.space):
            name = next(d.name for d in self.space if not d.discrete)
            raise SpaceError(f"--param {name}: a grid needs a step, e.g. {name}=LOW:HIGH:STEP")
        if self.method == "cmaes" and not all(d.numeric for d in self.space):
            name = next(d.name for d in self.space if not d.numeric)
            raise SpaceError(f"--param {name}: CMA-ES searches numbers only; use tpe")

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["fixed"] = {k: json_value(v) for k, v in self.fixed.items()}
        data["space"] = [
            {**dataclasses.asdict(d), "values": [json_value(v) for v in d.values]}
            for d in self.space
        ]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, params: Mapping[str, Any]) -> StudySpec:
        """The spec :meth:`to_json` wrote; ``params`` (the strategy's declared ``Param``s)
        turn enum names back into members."""
        data = json.loads(text)
        data["symbols"] = tuple(data["symbols"])
        data["space"] = tuple(
            Dimension(
                d["name"],
                tuple(params[d["name"]].validate(v) for v in d["values"]),
                d["low"],
                d["high"],
            )
            for d in data["space"]
        )
        data["fixed"] = {k: params[k].validate(v) for k, v in data["fixed"].items()}
        data["objectives"] = tuple(Objective(**o) for o in data["objectives"])
        data["constraints"] = tuple(Constraint(**c) for c in data["constraints"])
        return cls(**data)

    def objective_values(self, stats: Mapping[str, float | None]) -> tuple[float, ...]:
        """The objectives of a trial (NaN where a statistic has no value)."""
        out = []
        for o in self.objectives:
            v = stats.get(o.stat)
            out.append(math.nan if v is None else float(v))
        return tuple(out)

    def feasible(self, stats: Mapping[str, float | None]) -> bool:
        return all(c.holds(stats) for c in self.constraints)


Returns = npt.NDArray[np.float64]
"""A trial's per-period returns: one float64 array (8 bytes a period; a tuple of Python floats
took 32, and a long study holds thousands of them on their way to the store)."""


def no_returns() -> Returns:
    return np.empty(0, dtype=np.float64)


@dataclasses.dataclass
class TrialResult:
    """One finished trial. ``stats`` are the run's statistics as ``stats_to_record`` stores
    them (numbers; durations in seconds); empty unless ``completed``, as ``returns`` (its
    per-period returns, those its Sharpe ratio is of: for PBO). ``worker`` names the
    process (or Ray node) that ran it."""

    number: int
    params: dict[str, Any]
    status: TrialStatus
    stats: dict[str, float | None] = dataclasses.field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0
    worker: str = ""
    returns: Returns = dataclasses.field(default_factory=no_returns)


def error_line(error: str | None) -> str:
    """A trial's error in one line: a traceback's last line (the exception), else the first."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return "no reason given"
    return lines[-1] if "Traceback" in lines[0] else lines[0]
