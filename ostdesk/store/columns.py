"""Which source column holds what: common names (case-insensitive), position, or user mapping.

Our column names are ``timestamp`` (or ``date`` + ``time`` split over two columns), ``open``,
``high``, ``low``, ``close`` and ``volume`` (optional: 0 when absent, which the import says).
A volume column is also found by a name starting with "vol" (``Volumen (€)``, ``Vol.``) when
only one column's does; with several, the user chooses.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

FIELDS = ("timestamp", "date", "time", "open", "high", "low", "close", "volume")

_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "timestamp",
        "datetime",
        "date_time",
        "date time",
        "time_stamp",
        "ts",
        "ts_event_ns",  # ostdesk's own name, in exports of the store and the benchmarks
        "gmt time",
        "epoch",
        "unix",
    ),
    "date": ("date", "day"),
    "time": ("time",),
    "open": ("open", "o", "open price"),
    "high": ("high", "h", "high price"),
    "low": ("low", "l", "low price"),
    "close": ("close", "c", "last", "close price"),
    "volume": ("volume", "vol", "v", "tick volume", "tickvol"),
}
# names DuckDB or pandas give an unnamed first column (an index column of dates)
_UNNAMED = ("", "column0", "column00", "unnamed: 0", "index")
# headerless files: columns by position, keyed by how many there are
_POSITIONAL: dict[int, tuple[str, ...]] = {
    5: ("timestamp", "open", "high", "low", "close"),
    6: ("timestamp", "open", "high", "low", "close", "volume"),
    7: ("date", "time", "open", "high", "low", "close", "volume"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnMap:
    """Source column names for each of our fields; ``time`` is set only with ``date``."""

    timestamp: str | None
    date: str | None
    time: str | None
    open: str
    high: str
    low: str
    close: str
    volume: str | None


class ColumnError(ValueError):
    """The columns cannot be matched; the message lists what the file has."""


def parse_columns_spec(spec: str) -> dict[str, str]:
    """Parse ``"timestamp=Date,close=Adj Close"`` into ``{"timestamp": "Date", ...}``."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        key = ours.strip().lower()
        if not sep or not theirs.strip():
            raise ValueError(f"column mapping {part.strip()!r} is not of the form name=column")
        if key not in FIELDS:
            raise ValueError(f"unknown column {ours.strip()!r}; choose from {', '.join(FIELDS)}")
        if key in mapping:
            raise ValueError(f"column {key!r} is mapped twice")
        mapping[key] = theirs.strip()
    return mapping


def map_columns(
    names: Sequence[str], *, has_header: bool, explicit: Mapping[str, str] | None = None
) -> ColumnMap:
    """Match our fields to ``names`` (the source's columns): explicit mapping first, then
    common names, then position for a headerless file."""
    chosen: dict[str, str] = {}
    for key, wanted in (explicit or {}).items():
        if key not in FIELDS:
            raise ColumnError(f"unknown column {key!r}; choose from {', '.join(FIELDS)}")
        chosen[key] = _find(names, wanted)
    if not has_header and not explicit:
        fields = _POSITIONAL.get(len(names))
        if fields is None:
            raise ColumnError(
                f"the file has no header and {len(names)} columns; expected 5 to 7 "
                "(timestamp, open, high, low, close[, volume], or date, time, ...), "
                "or name them with --columns"
            )
        chosen = dict(zip(fields, names, strict=True))
    else:
        by_name = {normal_name(n): n for n in reversed(names)}  # first of equal names wins
        used = set(chosen.values())
        for key in FIELDS:
            if key in chosen:
                continue
            for alias in _ALIASES[key]:
                source = by_name.get(alias)
                if source is not None and source not in used:
                    chosen[key] = source
                    used.add(source)
                    break
        if "volume" not in chosen:
            _find_volume(names, used, chosen)
        no_time = "timestamp" not in chosen and "date" not in chosen
        if no_time and names and normal_name(names[0]) in _UNNAMED and names[0] not in used:
            chosen["timestamp"] = names[0]
    return _complete(chosen, names)


def check_unique(names: Sequence[str]) -> None:
    """Refuse a header that names a column twice (case and padding aside): which of the two
    is meant cannot be told, and DuckDB or pandas would silently rename one."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        key = normal_name(name)
        if not key:
            continue  # unnamed columns get names of their own
        if key in seen:
            raise ColumnError(
                f"the column name {name.strip()!r} appears twice (columns {seen[key] + 1} and "
                f"{i + 1}); rename one of them"
            )
        seen[key] = i


_VOLUME = re.compile(r"vol(umes?|umen)?(?![a-z])")
"""A volume column's name: ``Vol.``, ``Volume BTC``, ``Volumen (€)``, ``vol_usd``; not
``Volatility``, which a data vendor may put next to it."""


def _find_volume(names: Sequence[str], used: set[str], chosen: dict[str, str]) -> None:
    candidates = [n for n in names if n not in used and _VOLUME.match(normal_name(n))]
    if len(candidates) > 1:
        raise ColumnError(
            f"several columns could be the volume: {', '.join(repr(n) for n in candidates)}; "
            "say which with --columns"
        )
    if candidates:
        chosen["volume"] = candidates[0]
        used.add(candidates[0])


def _complete(chosen: dict[str, str], names: Sequence[str]) -> ColumnMap:
    if "timestamp" in chosen:
        chosen.pop("date", None)
        chosen.pop("time", None)
    elif "date" not in chosen and "time" in chosen:  # a lone "time" column is the timestamp
        chosen["timestamp"] = chosen.pop("time")
    missing = [k for k in ("open", "high", "low", "close") if k not in chosen]
    if "timestamp" not in chosen and "date" not in chosen:
        missing.insert(0, "timestamp (or date)")
    if missing:
        raise ColumnError(
            f"no column for {', '.join(missing)}; the file has columns "
            f"{', '.join(repr(n) for n in names)} (map them with --columns, e.g. "
            "--columns timestamp=Date,close=Last)"
        )
    return ColumnMap(
        timestamp=chosen.get("timestamp"),
        date=chosen.get("date"),
        time=chosen.get("time"),
        open=chosen["open"],
        high=chosen["high"],
        low=chosen["low"],
        close=chosen["close"],
        volume=chosen.get("volume"),
    )


def _find(names: Sequence[str], wanted: str) -> str:
    """A column by name (exact, then case-insensitive) or by 1-based position (``"3"``)."""
    if wanted in names:
        return wanted
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    for name in names:
        if name.lower() == wanted.lower():
            return name
    raise ColumnError(
        f"no column named {wanted!r}; the file has columns {', '.join(repr(n) for n in names)}"
    )


def sql_name(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def normal_name(name: str) -> str:
    """Compare names without case, padding or MetaTrader's angle brackets (``<CLOSE>``)."""
    return name.strip().strip("<>").strip().lower()
