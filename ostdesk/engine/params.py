"""Declared strategy parameters: typed by their default, validated, parsed from text.

The GUI builds its form from these declarations and the CLI parses ``--param k=v`` with them,
so a value that passes here is valid everywhere.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class ParamError(ValueError):
    """A parameter value (or combination) is not allowed; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"parameter {field}: {message}")
        self.field = field
        self.message = message


class Param(Generic[T]):
    """A strategy parameter declared on the class: ``fast = Param(10, min=2, max=200)``.

    ``choices`` (or an Enum default) restricts the values; ``step`` is the GUI's increment.
    """

    def __init__(
        self,
        default: T,
        *,
        min: float | None = None,
        max: float | None = None,
        step: float | None = None,
        choices: Sequence[T] | None = None,
        help: str = "",
        label: str | None = None,
    ) -> None:
        if isinstance(default, enum.Enum) and choices is None:
            choices = list(type(default))
        self.default = default
        self.type: type = type(default)
        self.min = min
        self.max = max
        self.step = step
        self.choices = tuple(choices) if choices is not None else None
        self.help = help
        self.label = label
        self.name = ""
        if self.type not in (int, float, bool, str) and not issubclass(self.type, enum.Enum):
            raise TypeError(
                f"Param default must be int, float, bool, str or an Enum, "
                f"got {type(default).__name__}"
            )

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.validate(self.default)  # a bad declaration fails at class definition

    @overload
    def __get__(self, obj: None, owner: type) -> Param[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> Param[T] | T:
        if obj is None:
            return self
        value: T = obj._params[self.name]  # type: ignore[attr-defined]
        return value

    def __set__(self, obj: object, value: Any) -> None:
        raise AttributeError(
            f"parameter {self.name} is fixed for a run; pass it when creating the strategy"
        )

    def validate(self, value: Any) -> T:
        """Return ``value`` coerced to the parameter's type, or raise :class:`ParamError`."""
        name = self.name or "?"
        kind = self.type
        if kind is bool:
            if not isinstance(value, bool):
                raise ParamError(name, f"expected true or false, got {value!r}")
        elif kind is int:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not value.is_integer())
            ):
                raise ParamError(name, f"expected a whole number, got {value!r}")
            value = int(value)
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParamError(name, f"expected a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ParamError(name, f"expected a finite number, got {value!r}")
        elif issubclass(kind, enum.Enum):
            if not isinstance(value, kind):
                try:
                    value = (
                        kind[value]
                        if isinstance(value, str) and value in kind.__members__
                        else kind(value)
                    )
                except (ValueError, KeyError):
                    names = ", ".join(m.name for m in kind)
                    raise ParamError(name, f"expected one of {names}, got {value!r}") from None
        elif not isinstance(value, str):
            raise ParamError(name, f"expected text, got {value!r}")
        if self.min is not None and value < self.min:
            raise ParamError(name, f"{value!r} is below the minimum {self.min:g}")
        if self.max is not None and value > self.max:
            raise ParamError(name, f"{value!r} is above the maximum {self.max:g}")
        if self.choices is not None and value not in self.choices:
            shown = ", ".join(c.name if isinstance(c, enum.Enum) else repr(c) for c in self.choices)
            raise ParamError(name, f"{value!r} is not one of {shown}")
        result: T = value
        return result

    def parse(self, text: str) -> T:
        """Read a value typed by a user (CLI ``--param k=v``) and validate it."""
        kind = self.type
        raw = text.strip()
        value: Any = raw
        try:
            if kind is bool:
                lowered = raw.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError
                value = lowered in ("true", "1", "yes", "on")
            elif kind is int:
                value = int(raw)
            elif kind is float:
                value = float(raw)
        except ValueError:
            raise ParamError(self.name, f"cannot read {text!r} as {kind.__name__}") from None
        return self.validate(value)

    def __repr__(self) -> str:
        return f"Param({self.default!r}, name={self.name!r})"
