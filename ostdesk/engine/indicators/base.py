"""The indicator contract shared by strategies, the recorder and the chart.

An indicator consumes one bar per ``update`` in O(1) and keeps the full history of each of its
output lines (NaN during warm-up), so a strategy can look back with ``ind[-2]`` and the recorder
and chart can read whole lines. A line is an ``array('d')``, not a list: 8 bytes a value instead
of ~32, and the cycle collector never walks it (the lists of a 10-symbol, 200,000-bar run cost
every collection that met them ~50 ms). ``update`` is the backtest's hot path (once per bar per
indicator): subclasses keep it to pure float arithmetic on slotted attributes.

Indexing reads the main (first) line with Python's negative-index semantics, but an index before
the first bar or past the last returns NaN instead of raising: during warm-up ``ma[-2]`` is simply
"not known yet", and every comparison with NaN is False, so crossover tests stay quiet.
"""

from __future__ import annotations

import abc
import enum
import math
import operator
from array import array
from collections.abc import Callable
from typing import ClassVar, Self

_NAN = math.nan


class Placement(enum.Enum):
    """Where the chart draws an indicator: over the prices, or in a pane of its own."""

    PRICE = "price"
    PANE = "pane"


class Indicator(abc.ABC):
    """An incremental, per-symbol technical indicator with one or more output lines.

    Subclasses declare ``placement`` and ``lines`` (the first line is the main one), pass their
    label to ``__init__``, and implement ``update`` and ``clone``. One instance serves one symbol:
    a strategy keeps a prototype and calls ``clone()`` for each symbol it trades.
    """

    __slots__ = ("_history", "_label", "_main")

    placement: ClassVar[Placement]
    lines: ClassVar[tuple[str, ...]]

    def __init__(self, label: str) -> None:
        self._label = label
        self._history: tuple[array[float], ...] = tuple(array("d") for _ in self.lines)
        self._main = self._history[0]

    @abc.abstractmethod
    def update(self, open: float, high: float, low: float, close: float, volume: float) -> None:
        """Consume one bar and append one value (NaN during warm-up) to every line."""

    @abc.abstractmethod
    def clone(self) -> Self:
        """A fresh instance with the same parameters and no history."""

    def close_feed(self) -> tuple[Callable[[float], float], array[float]] | None:
        """``(push, line)`` when ``update`` is exactly ``line.append(push(close))``: the strategy
        host then calls ``push`` itself, one Python call fewer a bar on the hot path; None
        (the default) when it is anything else."""
        return None

    @property
    def label(self) -> str:
        """Name with parameters, e.g. ``SMA(10)``: the legend entry and the recorded name."""
        return self._label

    def line_labels(self) -> tuple[str, ...]:
        """Recorded name of each line in ``lines`` order: ``BB(20,2).upper``, or just ``label``."""
        if len(self.lines) == 1:
            return (self._label,)
        return tuple(f"{self._label}.{name}" for name in self.lines)

    def line(self, name: str) -> array[float]:
        """The live history of one line (one value per bar); read it, never mutate it."""
        try:
            return self._history[self.lines.index(name)]
        except ValueError:
            raise ValueError(
                f"{self._label} has no line {name!r}; its lines are {', '.join(self.lines)}"
            ) from None

    def __getitem__(self, i: int) -> float:
        """Main-line value at ``i`` (``-1`` latest, ``-2`` previous); NaN if out of range."""
        try:
            return self._main[i]
        except IndexError:
            return _NAN

    def __len__(self) -> int:
        """Number of bars consumed."""
        return len(self._main)

    @property
    def value(self) -> float:
        """Latest main-line value; NaN before the first bar and during warm-up."""
        main = self._main
        return main[-1] if main else _NAN

    @property
    def ready(self) -> bool:
        """True once the main line has a value (its warm-up is over)."""
        main = self._main
        return bool(main) and main[-1] == main[-1]

    def latest(self) -> tuple[float, ...]:
        """Latest value of every line, in ``lines`` order (NaNs before the first bar)."""
        if not self._main:
            return (_NAN,) * len(self.lines)
        return tuple(h[-1] for h in self._history)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._label} bars={len(self._main)}>"


def check_length(what: str, value: object, minimum: int = 1) -> int:
    """Validate a window length (``Param`` values arrive as plain ints, maybe integral floats)."""
    if not isinstance(value, bool):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            length = operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            pass
        else:
            if length >= minimum:
                return length
    raise ValueError(f"{what} must be an integer >= {minimum}, got {value!r}")


def check_positive(what: str, value: object) -> float:
    """Validate a finite, strictly positive real parameter (e.g. a band width in std units)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number > 0.0:
            return number
    raise ValueError(f"{what} must be a finite number > 0, got {value!r}")


Picker = Callable[[float, float, float, float, float], float]

SOURCES: dict[str, Picker | None] = {
    "close": None,  # the fast path: no call at all
    "open": lambda o, h, lo, c, v: o,
    "high": lambda o, h, lo, c, v: h,
    "low": lambda o, h, lo, c, v: lo,
    "volume": lambda o, h, lo, c, v: v,
    "hl2": lambda o, h, lo, c, v: (h + lo) / 2.0,
    "hlc3": lambda o, h, lo, c, v: (h + lo + c) / 3.0,
    "ohlc4": lambda o, h, lo, c, v: (o + h + lo + c) / 4.0,
}
"""Bar inputs a single-input indicator can read, by name (``None`` means the close)."""


class SourcedIndicator(Indicator):
    """An indicator of one input series, chosen from the bar by ``source`` (see ``SOURCES``)."""

    __slots__ = ("_pick", "source")

    default_source: ClassVar[str] = "close"

    def __init__(self, name: str, params: tuple[object, ...], source: str) -> None:
        if source not in SOURCES:
            raise ValueError(f"{name} source must be one of {', '.join(SOURCES)}; got {source!r}")
        self.source = source
        self._pick = SOURCES[source]
        shown = params if source == self.default_source else (*params, source)
        super().__init__(f"{name}({','.join(str(p) for p in shown)})")
