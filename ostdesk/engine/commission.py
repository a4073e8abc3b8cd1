"""Commission and slippage models of the simulated broker.

A model refuses, at construction, any figure that is not a finite real number >= 0 (text,
``None``, ``bool``, NaN, infinities, negatives) with a ValueError naming the field: a fee is
computed on every fill, and one bad figure would poison every fill of a run. The CLI and the
configuration panel show that ValueError as one line.
"""

from __future__ import annotations

import dataclasses
import math
import numbers


@dataclasses.dataclass(frozen=True, slots=True)
class CommissionModel:
    """``max(minimum, per_unit * quantity + percent / 100 * notional)`` per fill.

    Covers the usual broker schedules: per share/contract (``per_unit``), a percentage of the
    traded value (``percent``, in percent: 0.1 means 0.1 %), and a minimum ticket charge.
    """

    per_unit: float = 0.0
    percent: float = 0.0
    minimum: float = 0.0

    def __post_init__(self) -> None:
        for name in ("per_unit", "percent", "minimum"):
            value = getattr(self, name)
            number = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value < 0:
                raise ValueError(f"commission {name} must be a finite number >= 0, got {value!r}")
            object.__setattr__(self, name, float(value))  # frozen, but still being built

    def __call__(self, quantity: float, price: float) -> float:
        fee = self.per_unit * quantity + self.percent / 100.0 * quantity * price
        return max(self.minimum, fee) if fee > 0 or self.minimum > 0 else 0.0

    @property
    def is_free(self) -> bool:
        return self.per_unit == 0 and self.percent == 0 and self.minimum == 0

    def describe(self) -> str:
        """The spec string :func:`parse_commission` reads back (``"none"`` if free)."""
        parts = [
            f"{k}={v:g}"
            for k, v in (
                ("per_unit", self.per_unit),
                ("percent", self.percent),
                ("min", self.minimum),
            )
            if v
        ]
        return ",".join(parts) or "none"


def parse_commission(spec: str | None) -> CommissionModel:
    """Read ``"per_unit=0.005,min=1"``, ``"percent=0.1"``, ``"0.1%"``, ``"0.005"`` or ``"none"``.

    A bare number is a per-unit charge; a number with ``%`` a percentage of notional. A field
    given twice, a figure that is not a number, or one :class:`CommissionModel` refuses raise a
    ValueError that names it.
    """
    if spec is None or spec.strip().lower() in ("", "none", "0", "free"):
        return CommissionModel()
    values: dict[str, float] = {}
    keys = {
        "per_unit": "per_unit",
        "unit": "per_unit",
        "percent": "percent",
        "pct": "percent",
        "min": "minimum",
        "minimum": "minimum",
    }
    for raw in spec.split(","):
        part = raw.strip()
        if "=" in part:
            key, _, value = part.partition("=")
            name = keys.get(key.strip().lower())
            if name is None:
                raise ValueError(
                    f"unknown commission field {key.strip()!r} (use per_unit, percent, min)"
                )
            text = value.strip().rstrip("%")
        elif part.endswith("%"):
            name, text = "percent", part[:-1]
        else:
            name, text = "per_unit", part
        if name in values:
            raise ValueError(f"commission {spec!r} gives {name} twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise ValueError(
                f"cannot read commission {spec!r}: {text.strip()!r} is not a number"
            ) from None
    return CommissionModel(**values)
