"""Saved run configurations: named presets, the last used one, and a recorded run's set-up.

A :class:`SavedConfig` is what the strategy form shows, as plain JSON values: the strategy by
name (it is looked up again when loaded, so a preset survives edits of the strategy file),
enum parameters by member name, the commission as its spec string. It may be incomplete (no
symbols yet); :meth:`SavedConfig.to_config` is where it must become a runnable backtest.
Presets live in the ``config_presets`` table; the reserved name ``''`` holds the last used
configuration, restored at start-up.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections.abc import Mapping
from typing import Any

import duckdb

from ostdesk.engine.commission import parse_commission
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.engine.strategy import Strategy
from ostdesk.store.database import DbOrCursor, connection_of
from ostdesk.store.errors import StoreError
from ostdesk.store.rows import first_row
from ostdesk.store.timefmt import utc_now

FORMAT_VERSION = 1
_LAST_USED = ""  # user names are stripped and non-empty, so this one never clashes
MAX_NAME_LENGTH = 100


@dataclasses.dataclass(frozen=True)
class SavedConfig:
    """A run configuration as JSON-able values (see the module docstring)."""

    strategy: str = ""
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    symbols: tuple[str, ...] = ()
    period: BarPeriod = BarPeriod.MINUTE
    start_ns: int | None = None
    end_ns: int | None = None
    capital: float = 100_000.0
    commission: str = "none"
    slippage_ticks: float = 0.0
    max_leverage: float | None = None
    name: str = ""

    @classmethod
    def from_config(cls, config: BacktestConfig) -> SavedConfig:
        return cls(
            strategy=config.strategy.__name__,
            params={k: json_value(v) for k, v in config.params.items()},
            symbols=tuple(config.symbols),
            period=config.period,
            start_ns=config.start_ns,
            end_ns=config.end_ns,
            capital=config.capital,
            commission=config.commission.describe(),
            slippage_ticks=config.slippage_ticks,
            max_leverage=config.max_leverage,
            name=config.name,
        )

    @classmethod
    def from_run(cls, run: Mapping[str, Any]) -> SavedConfig:
        """The configuration of a recorded run (a row of ``ostdesk.store.runs.get_run``)."""
        params = run["params"]
        return cls.from_dict(
            {
                "strategy": run["strategy"],
                "params": json.loads(params) if isinstance(params, str) else params,
                "symbols": list(run["symbols"]),
                "period": run["period"],
                "start_ns": run["start_ns"],
                "end_ns": run["end_ns"],
                "capital": run["capital"],
                "commission": run["commission"],
                "slippage_ticks": run["slippage_ticks"],
                "name": run.get("name") or "",
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SavedConfig:
        """Read :meth:`to_dict`'s output; a wrong value raises ``ValueError`` naming its key."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a configuration must be a JSON object, got {type(data).__name__}")
        default = cls()
        params = data.get("params", {})
        if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
            raise ValueError("'params' must be an object of parameter values")
        symbols = data.get("symbols", [])
        if not isinstance(symbols, list | tuple) or not all(isinstance(s, str) for s in symbols):
            raise ValueError("'symbols' must be a list of symbol names")
        try:
            period = BarPeriod.parse(str(data.get("period", default.period.label)))
        except ValueError as exc:
            raise ValueError(f"'period': {exc}") from None
        commission = _text(data, "commission", default.commission)
        try:
            parse_commission(commission)
        except ValueError as exc:
            raise ValueError(f"'commission': {exc}") from None
        return cls(
            strategy=_text(data, "strategy", default.strategy),
            params=dict(params),
            symbols=tuple(symbols),
            period=period,
            start_ns=_optional_int(data, "start_ns"),
            end_ns=_optional_int(data, "end_ns"),
            capital=_number(data, "capital", default.capital),
            commission=commission,
            slippage_ticks=_number(data, "slippage_ticks", default.slippage_ticks),
            max_leverage=(
                None if data.get("max_leverage") is None else _number(data, "max_leverage", 0.0)
            ),
            name=_text(data, "name", default.name),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "strategy": self.strategy,
            "params": dict(self.params),
            "symbols": list(self.symbols),
            "period": self.period.label,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "capital": self.capital,
            "commission": self.commission,
            "slippage_ticks": self.slippage_ticks,
            "max_leverage": self.max_leverage,
            "name": self.name,
        }

    def to_config(self, strategy: type[Strategy]) -> BacktestConfig:
        """The runnable backtest, with ``strategy`` the class this names; parameters are
        validated (``ParamError``) and so is the rest (``ValueError``)."""
        params = {
            key: strategy.params[key].validate(value)
            for key, value in self.params.items()
            if key in strategy.params
        }
        return BacktestConfig(
            strategy=strategy,
            symbols=self.symbols,
            period=self.period,
            params=params,
            start_ns=self.start_ns,
            end_ns=self.end_ns,
            capital=self.capital,
            commission=parse_commission(self.commission),
            slippage_ticks=self.slippage_ticks,
            max_leverage=self.max_leverage,
            name=self.name,
        )


# -- presets ------------------------------------------------------------------------------------
def preset_names(db: DbOrCursor) -> list[str]:
    """The user's presets, in alphabetical order (case-insensitive)."""
    rows = (
        connection_of(db)
        .execute(
            "SELECT name FROM config_presets WHERE name <> ? ORDER BY lower(name), name",
            [_LAST_USED],
        )
        .fetchall()
    )
    return [str(name) for (name,) in rows]


def save_preset(db: DbOrCursor, name: str, config: SavedConfig) -> str:
    """Save (or overwrite) the preset ``name``; returns the name as stored (stripped)."""
    name = check_preset_name(name)
    _put(db, name, config)
    return name


def load_preset(db: DbOrCursor, name: str) -> SavedConfig:
    config = _get(db, name)
    if config is None:
        raise StoreError(f"there is no preset named {name!r}")
    return config


def rename_preset(db: DbOrCursor, old: str, new: str) -> str:
    """Rename ``old`` to ``new`` (refused if ``new`` exists); returns the stored new name."""
    new = check_preset_name(new)
    con = connection_of(db)
    if old == _LAST_USED or not _exists(con, old):
        raise StoreError(f"there is no preset named {old!r}")
    if new != old and _exists(con, new):
        raise StoreError(f"a preset named {new!r} already exists; delete it or choose another name")
    con.execute("UPDATE config_presets SET name = ? WHERE name = ?", [new, old])
    return new


def delete_preset(db: DbOrCursor, name: str) -> None:
    con = connection_of(db)
    if name == _LAST_USED or not _exists(con, name):
        raise StoreError(f"there is no preset named {name!r}")
    con.execute("DELETE FROM config_presets WHERE name = ?", [name])


def check_preset_name(name: str) -> str:
    """The stripped name, or ``StoreError`` saying why it cannot be a preset's name."""
    stripped = name.strip()
    if not stripped:
        raise StoreError("a preset needs a name")
    if len(stripped) > MAX_NAME_LENGTH:
        raise StoreError(f"a preset name is at most {MAX_NAME_LENGTH} characters")
    return stripped


def save_last_used(db: DbOrCursor, config: SavedConfig) -> None:
    _put(db, _LAST_USED, config)


def load_last_used(db: DbOrCursor) -> SavedConfig | None:
    """The configuration saved by :func:`save_last_used`, or None (none, or unreadable)."""
    try:
        return _get(db, _LAST_USED)
    except StoreError:
        return None  # a start-up convenience: a damaged entry only means starting fresh


# -- internals ----------------------------------------------------------------------------------
def _put(db: DbOrCursor, name: str, config: SavedConfig) -> None:
    connection_of(db).execute(
        "INSERT OR REPLACE INTO config_presets (name, config, updated_at) VALUES (?, ?, ?)",
        [name, json.dumps(config.to_dict()), utc_now()],
    )


def _get(db: DbOrCursor, name: str) -> SavedConfig | None:
    con = connection_of(db)
    row = first_row(con.execute("SELECT config FROM config_presets WHERE name = ?", [name]))
    if row is None:
        return None
    try:
        return SavedConfig.from_dict(json.loads(row[0]))
    except ValueError as exc:  # JSONDecodeError is a ValueError too
        raise StoreError(f"the preset {name!r} cannot be read: {exc}") from None


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = first_row(con.execute("SELECT count(*) FROM config_presets WHERE name = ?", [name]))
    return bool(row and row[0])


def json_value(value: Any) -> Any:
    """A parameter value as JSON stores it: an Enum by its member name."""
    return value.name if isinstance(value, enum.Enum) else value


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be text, got {value!r}")
    return value


def _number(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key!r} must be a number, got {value!r}")
    return float(value)


def _optional_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} must be a whole number of nanoseconds, got {value!r}")
    return value
