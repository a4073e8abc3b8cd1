"""What the commands print: a run's summary and details, the list of runs, the strategies, a
progress bar. Each value reads as ``ostdesk.cli_values`` shows it, as text or, with
``--json``, as the same keys in plain JSON (the README lists them; they are kept stable).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ostdesk.cli_values import as_typed, json_value, money, plain, text, time_of_ns
from ostdesk.engine.strategy_text import first_sentence

_TIME_COLUMNS = {
    "start_ns": "start",
    "end_ns": "end",
    "first_bar_ns": "first_bar",
    "last_bar_ns": "last_bar",
}
"""The runs list's nanosecond columns and the keys their times are shown under."""

_MONEY = ("capital", "equity_final")
"""Keys of amounts of money (besides backtesting.py's ``... [$]`` statistics)."""

_SHOWN_RUN_FIELDS = (
    "run_id",
    "name",
    "status",
    "strategy",
    "params",
    "symbols",
    "period",
    "capital",
    "commission",
    "bars",
    "executor",
    "started_at",
    "ended_at",
    "notes",
)


def print_json(value: Any) -> None:
    print(json.dumps(json_value(value), indent=2, ensure_ascii=False, allow_nan=False))


def print_mapping(values: Mapping[str, Any]) -> None:
    """``key  value`` lines, a nested mapping indented under its key."""
    for key, value in values.items():
        if isinstance(value, Mapping):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:<26} {_shown(k, v)}")
        else:
            print(f"{key:<28} {_shown(key, value)}")


def _shown(key: str, value: Any) -> str:
    """An id as it is typed, an amount of money to the cent, anything else as ``text``."""
    if key.endswith("_id"):
        return str(value)
    if key in _MONEY or "[$]" in key:
        return money(value)
    return text(value)


def summary(db: Any, run: Any) -> dict[str, Any]:
    """What ``backtest`` prints of the run it made; ``error`` is the stored reason it did not
    complete (as ``show`` gives it), ``None`` when it did."""
    from ostdesk.store.runs import get_run, run_stats

    run_id = run.recording.run_id
    return {
        "run_id": run_id,
        "status": run.status.value,
        "strategy": run.config.strategy.name,
        "parameters": dict(run.strategy.parameters),
        "symbols": list(run.config.symbols),
        "bars": run.bars_processed,
        "executor": run.config.executor,
        "elapsed_s": round(run.elapsed, 3),
        "bars_per_s": round(run.bars_per_second),
        "error": get_run(db, run_id)["error"],
        "statistics": run_stats(db, run_id),
    }


def why_not_completed(run: Any) -> str:
    """``failed: <one sentence>`` or what else became of the run, for one line on stderr."""
    from ostdesk.engine.runner import RunStatus

    if run.status is RunStatus.FAILED and run.error is not None:
        error = run.error
        what = f"{error.component} raised " if error.component != "recorder" else ""
        return f"failed: {what}{error.message.splitlines()[0] if error.message else error}"
    return {RunStatus.CANCELLED: "was cancelled"}.get(run.status, f"ended {run.status.value}")


def run_details(run: Mapping[str, Any], stats: Mapping[str, object]) -> dict[str, Any]:
    """What ``show`` prints of a stored run: its configuration, why it did not complete
    (``error``, ``None`` when it did), then its statistics."""
    details = {key: _to_second(key, run[key]) for key in _SHOWN_RUN_FIELDS}
    return {**details, "error": run["error"], "statistics": dict(stats)}


def _to_second(key: str, value: Any) -> Any:
    """When a run started or ended is the wall clock's time: to the second is enough."""
    if key in ("started_at", "ended_at") and isinstance(value, dt.datetime):
        return value.replace(microsecond=0)
    return value


def run_rows(columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The columns of ``store.runs.list_runs`` as one mapping per run: parameters as a mapping,
    times as datetimes under names without ``_ns``."""
    rows = []
    for i in range(len(columns["run_id"])):
        row: dict[str, Any] = {}
        for key, values in columns.items():
            value = plain(values[i])
            if key in _TIME_COLUMNS:
                key, value = _TIME_COLUMNS[key], time_of_ns(value)
            elif key == "params":
                value = json.loads(value) if value else {}
            row[key] = _to_second(key, value)
        rows.append(row)
    return rows


def print_runs(rows: Sequence[Mapping[str, Any]]) -> None:
    """One line per run: id, status, strategy, symbols, period and headline statistics."""
    if not rows:
        print("no recorded runs; try `ostdesk backtest ...`")
        return
    print(
        f"{'id':>5}  {'status':<11} {'strategy':<18} {'symbols':<28} {'period':<7} "
        f"{'statistics':<47}name"
    )
    for r in rows:
        # + 0.0 turns a -0.0 into 0.0: a tiny loss reads +0.00%, not -0.00%
        ret = "n/a" if r["return_pct"] is None else f"{round(r['return_pct'], 2) + 0.0:+.2f}%"
        sharpe = text(None if r["sharpe"] is None else round(r["sharpe"], 2))
        trades = text(r["trades"])
        print(
            f"{r['run_id']:>5}  {r['status']:<11} {r['strategy']:<18} "
            f"{','.join(r['symbols'] or [])[:28]:<28} {r['period']:<7} return {ret:>9}  "
            f"sharpe {sharpe:>6}  trades {trades:>5}  {r['name']}".rstrip()
        )


def print_strategies(catalog: Any, user_folder: Path) -> None:
    """Where user strategies go, then each strategy: name, origin, parameters, first sentence."""
    print(f"user strategies folder: {user_folder}")
    if user_folder.is_dir():
        print("  to add a strategy, put a .py file defining a subclass of ostdesk.Strategy there")
    else:
        print("  it does not exist and could not be made (is the user data folder writable?)")
    print()
    for name, cls in sorted(catalog.strategies.items()):
        params = ", ".join(f"{k}={as_typed(p.default)}" for k, p in cls.params.items())
        print(f"{name:<20} {catalog.sources[name]:<10} {params}")
        if cls.description:
            print(f"    {first_sentence(cls.description)}")


class ProgressBar:
    """A one-line text progress bar for long imports."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._shown = False
        self._tty = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, fraction: float, message: str = "") -> None:
        if not self._tty:
            return
        width = 30
        filled = int(width * max(0.0, min(1.0, fraction)))
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {message[:40]:<40}"
        )
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._shown = False
