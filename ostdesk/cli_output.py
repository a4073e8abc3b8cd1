"""What the command line prints for a person: a run's summary, tables of values, a progress
bar; ``--json`` gets the same values as plain JSON types."""

from __future__ import annotations

import math
from typing import Any


def why_not_completed(run: Any) -> str:
    """``failed: <one sentence>`` or what else became of the run, for one line on stderr."""
    from ostdesk.engine.runner import RunStatus

    if run.status is RunStatus.FAILED and run.error is not None:
        error = run.error
        what = f"{error.component} raised " if error.component != "recorder" else ""
        return f"failed: {what}{error.message.splitlines()[0] if error.message else error}"
    return {RunStatus.CANCELLED: "was cancelled"}.get(run.status, f"ended {run.status.value}")


def print_mapping(values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:<26} {fmt(v)}")
        else:
            print(f"{key:<28} {fmt(value)}")


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:g}"
    return str(value)


def summary(db: Any, run: Any) -> dict[str, Any]:
    from ostdesk.store.runs import run_stats

    run_id = run.recording.run_id
    return {
        "run_id": run_id,
        "status": run.status.value,
        "strategy": run.config.strategy.name,
        "parameters": dict(run.strategy.parameters),
        "symbols": ",".join(run.config.symbols),
        "bars": run.bars_processed,
        "elapsed_s": round(run.elapsed, 3),
        "bars_per_s": round(run.bars_per_second),
        "statistics": jsonable(run_stats(db, run_id)),
    }


def jsonable(stats: dict[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[key] = value if isinstance(value, int | float | type(None)) else str(value)
    return out


def py(value: Any) -> Any:
    if hasattr(value, "tolist"):
        value = value.tolist()  # numpy scalar or array (the symbols list) to Python
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


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
