"""A study's parameter space: one :class:`Dimension` per searched parameter, read from the
strategy's declared ``Param``s (min/max/step/choices/enums) and narrowed by the user's ranges.

A range is text, as the CLI and the form take it: ``5:50:5`` (low:high:step, both ends
included), ``5:50`` (the declared step; a float without one is continuous), ``a,b,c`` (a list
of values) or the name alone (the declared range). Every value is checked by the ``Param`` that
declared it, so a range outside the declaration is refused with one line naming it.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ostdesk.engine.params import Param, ParamError


class SpaceError(ValueError):
    """A range the user gave cannot be searched: the message names the parameter."""


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One searched parameter. ``values`` lists every value of a discrete dimension (in
    order, ends included); a continuous one (a float range without a step) has ``values``
    empty and is searched between ``low`` and ``high``."""

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def discrete(self) -> bool:
        return bool(self.values)

    @property
    def numeric(self) -> bool:
        return not self.values or all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in self.values
        )

    def describe(self) -> str:
        if not self.discrete:
            return f"{self.name}={self.low:g}:{self.high:g}"
        return f"{self.name}={','.join(_text(v) for v in self.values)}"


def parse_dimension(param: Param[Any], text: str | None) -> Dimension:
    """The dimension of ``param`` a user's range text gives (None: the declared range)."""
    name = param.name
    if text is None or not text.strip():
        return _declared(param)
    text = text.strip()
    try:
        if ":" in text:
            return _range(param, text)
        return Dimension(name, tuple(dict.fromkeys(param.parse(t) for t in text.split(","))))
    except ParamError as exc:
        raise SpaceError(f"--param {name}={text}: {exc.message}") from None


def _declared(param: Param[Any]) -> Dimension:
    if param.choices is not None:
        return Dimension(param.name, param.choices)
    if param.type is bool:
        return Dimension(param.name, (False, True))
    if param.type is str:
        raise SpaceError(f"--param {param.name}: a text parameter needs its values, e.g. a,b")
    if param.min is None or param.max is None:
        raise SpaceError(
            f"--param {param.name}: it declares no min and max; give a range, e.g. "
            f"{param.name}=LOW:HIGH:STEP"
        )
    return _range(param, f"{param.min}:{param.max}")


def _range(param: Param[Any], text: str) -> Dimension:
    name = param.name
    parts = text.split(":")
    if len(parts) not in (2, 3) or param.type not in (int, float):
        what = "low:high[:step]" if param.type in (int, float) else "a list of values a,b,c"
        raise SpaceError(f"--param {name}={text}: expected {what}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise SpaceError(f"--param {name}={text}: low, high and step must be numbers") from None
    low, high = numbers[0], numbers[1]
    step = numbers[2] if len(parts) == 3 else param.step
    if param.type is int:
        step = step if step is not None else 1
    if not all(math.isfinite(n) for n in numbers) or high < low:
        raise SpaceError(f"--param {name}={text}: the range is empty (high is below low)")
    if step is not None and step <= 0:
        raise SpaceError(f"--param {name}={text}: the step must be above 0")
    if param.type is int and not all(float(n).is_integer() for n in (low, high, step or 1)):
        raise SpaceError(f"--param {name}={text}: {name} is a whole number; so are its range's")
    try:
        param.validate(param.type(low))
        param.validate(param.type(high))
    except ParamError as exc:
        raise SpaceError(f"--param {name}={text}: {exc.message}") from None
    if step is None:
        return Dimension(name, (), low, high)
    count = math.floor((high - low) / step + 1e-9) + 1
    values = tuple(param.type(round(low + k * step, 12)) for k in range(count))
    return Dimension(name, values, low, high)


def parse_space(
    params: Mapping[str, Param[Any]], ranges: Sequence[str]
) -> tuple[tuple[Dimension, ...], dict[str, Any]]:
    """The searched dimensions and the fixed values from ``NAME=RANGE`` texts (``NAME`` alone:
    the declared range; a single value fixes the parameter)."""
    dims: list[Dimension] = []
    fixed: dict[str, Any] = {}
    for item in ranges:
        name, sep, text = item.partition("=")
        name = name.strip()
        if name not in params:
            known = ", ".join(params) or "none"
            raise SpaceError(f"--param {name}: no such parameter (parameters: {known})")
        if name in fixed or any(d.name == name for d in dims):
            raise SpaceError(f"--param {name}: given twice")
        dim = parse_dimension(params[name], text if sep else None)
        if dim.discrete and len(dim.values) == 1:
            fixed[name] = dim.values[0]
        else:
            dims.append(dim)
    if not dims:
        raise SpaceError("the parameter space is empty: give a range, e.g. --param fast=5:50:5")
    return tuple(dims), fixed


def grid_size(dims: Sequence[Dimension]) -> int | None:
    """The number of combinations (None when a dimension is continuous)."""
    if not all(d.discrete for d in dims):
        return None
    return math.prod(len(d.values) for d in dims)


def grid(dims: Sequence[Dimension]) -> Iterator[dict[str, Any]]:
    """Every combination, the last dimension varying fastest."""
    for combo in itertools.product(*(d.values for d in dims)):
        yield dict(zip((d.name for d in dims), combo, strict=True))


def combination(dims: Sequence[Dimension], index: int) -> dict[str, Any]:
    """The ``index``-th combination of :func:`grid` without walking it (random search samples
    indices of a space too large to list)."""
    values: dict[str, Any] = {}
    for d in reversed(dims):
        index, k = divmod(index, len(d.values))
        values[d.name] = d.values[k]
    return {d.name: values[d.name] for d in dims}


def _text(value: Any) -> str:
    return value.name if isinstance(value, enum.Enum) else str(value)
