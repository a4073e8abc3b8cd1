"""Parameter studies in the database: one ``studies`` row per study, one ``trials`` row per
finished trial and its statistics in ``trial_stats`` (long form, as ``run_stats``).

Only the process that runs a study writes here (workers hand their results back), in batches
of trials, each batch one transaction: a crash loses at most the trials of the batch being
collected, and a resumed study skips every trial stored. A study a crashed process left
``running`` is marked ``interrupted`` by :func:`recover_interrupted_studies` and can resume.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ostdesk.store.csv_text import iso_time, iso_time_sql
from ostdesk.store.database import DbOrCursor, connection_of, duckdb_message
from ostdesk.store.errors import StoreError
from ostdesk.store.export import export_format, export_target
from ostdesk.store.rows import first_row
from ostdesk.store.stats import STAT_DEFINITIONS, TIME_KEYS
from ostdesk.store.timefmt import utc_now
from ostdesk.store.transactions import insert_frame, transaction


@dataclasses.dataclass(frozen=True)
class TrialRow:
    """A finished trial as stored; ``params`` JSON-ready (enums by name). ``returns``, its
    per-period returns, are stored in ``trial_returns``; only :func:`stored_trial` reads
    them back with it (a study's are read by :func:`trial_returns`)."""

    number: int
    params: Mapping[str, Any]
    status: str
    objective: Sequence[float]
    feasible: bool
    stats: Mapping[str, float | None]
    error: str | None
    duration_s: float
    worker: str
    returns: Sequence[float] | npt.NDArray[np.float64] = ()


def create_study(
    db: DbOrCursor,
    *,
    name: str,
    strategy: str,
    method: str,
    objectives: str,
    spec: str,
    fingerprint: str,
    backend: str,
    workers: int,
    planned: int | None,
) -> int:
    """A new study's row (``running``); its id."""
    row = first_row(
        connection_of(db).execute(
            "INSERT INTO studies (name, strategy, method, objectives, spec, data_fingerprint,"
            " backend, workers, planned, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?) RETURNING study_id",
            [
                name,
                strategy,
                method,
                objectives,
                spec,
                fingerprint,
                backend,
                workers,
                planned,
                utc_now(),
            ],
        )
    )
    assert row is not None
    return int(row[0])


def resume_study(db: DbOrCursor, study_id: int, *, backend: str, workers: int) -> None:
    """Mark a stored study ``running`` again (how it now runs may differ from before)."""
    connection_of(db).execute(
        "UPDATE studies SET status = 'running', ended_at = NULL, error = NULL, backend = ?,"
        " workers = ? WHERE study_id = ?",
        [backend, workers, study_id],
    )


def end_study(db: DbOrCursor, study_id: int, status: str, error: str | None = None) -> None:
    connection_of(db).execute(
        "UPDATE studies SET status = ?, error = ?, ended_at = ? WHERE study_id = ?",
        [status, error, utc_now(), study_id],
    )


def recover_interrupted_studies(db: DbOrCursor) -> list[int]:
    """Studies left ``running`` by a process that died become ``interrupted`` (resumable)."""
    rows = (
        connection_of(db)
        .execute(
            "UPDATE studies SET status = 'interrupted', ended_at = coalesce(ended_at, ?)"
            " WHERE status = 'running' RETURNING study_id",
            [utc_now()],
        )
        .fetchall()
    )
    return sorted(int(r[0]) for r in rows)


def append_trials(db: DbOrCursor, study_id: int, trials: Sequence[TrialRow]) -> None:
    """Store finished trials and their statistics in one transaction (one statement per
    table, whatever their number)."""
    if not trials:
        return
    cur = connection_of(db)
    n = len(trials)
    now = utc_now()
    frame = {
        "number": np.array([t.number for t in trials], dtype=np.int64),
        "params": np.array([json.dumps(dict(t.params)) for t in trials], dtype=object),
        "status": np.array([t.status for t in trials], dtype=object),
        "feasible": np.array([t.feasible for t in trials], dtype=bool),
        "error": np.array([t.error for t in trials], dtype=object),
        "duration_s": np.array([t.duration_s for t in trials], dtype=np.float64),
        "worker": np.array([t.worker for t in trials], dtype=object),
        "k": np.arange(n, dtype=np.int64),
    }
    objective = [[_double(v) for v in t.objective] for t in trials]
    stat_numbers = [t.number for t in trials for _ in t.stats]
    stat_frame = {
        "number": np.array(stat_numbers, dtype=np.int64),
        "stat": np.array([k for t in trials for k in t.stats], dtype=object),
        "value": np.array(
            [np.nan if v is None else float(v) for t in trials for v in t.stats.values()],
            dtype=np.float64,
        ),
    }
    with transaction(cur):
        insert_frame(
            cur,
            frame,
            "INSERT INTO trials SELECT $study, number, params, status,"
            " list_extract($objective, k + 1), feasible, error, duration_s, worker, $now"
            " FROM frame_columns",
            {"study": study_id, "objective": objective, "now": now},
        )
        if stat_numbers:
            insert_frame(
                cur,
                stat_frame,
                "INSERT INTO trial_stats SELECT $study, number, stat,"
                " CASE WHEN isnan(value) THEN NULL ELSE value END FROM frame_columns",
                {"study": study_id},
            )
        with_returns = [t for t in trials if len(t.returns)]
        if with_returns:
            insert_frame(
                cur,
                {
                    "number": np.repeat([t.number for t in with_returns],
                                        [len(t.returns) for t in with_returns]),
                    "value": np.concatenate([np.asarray(t.returns, dtype=np.float64)
                                             for t in with_returns]),
                    "k": np.arange(sum(len(t.returns) for t in with_returns)),
                },
                "INSERT INTO trial_returns SELECT $study, number, list(value ORDER BY k)"
                " FROM frame_columns GROUP BY number",
                {"study": study_id},
            )  # fmt: skip


def _whole_us(ns: float) -> int:
    """A time statistic (ns held in a double, so off by up to ~256 ns) to whole microseconds."""
    return round(ns / 1000) * 1000


def _double(value: float) -> float | None:
    return None if math.isnan(value) else value


def get_study(db: DbOrCursor, study_id: int) -> dict[str, Any]:
    """A study's row as a dict, with ``trials`` (stored) and ``by_status`` counts."""
    con = connection_of(db)
    cur = con.execute("SELECT * FROM studies WHERE study_id = ?", [study_id])
    names = [d[0] for d in cur.description or ()]
    row = first_row(cur)
    if row is None:
        raise StoreError(f"no study {study_id}; `ostdesk studies` lists them")
    study = dict(zip(names, row, strict=True))
    counts = con.execute(
        "SELECT status, count(*) FROM trials WHERE study_id = ? GROUP BY status", [study_id]
    ).fetchall()
    study["by_status"] = {s: int(c) for s, c in counts}
    study["trials"] = sum(study["by_status"].values())
    return study


def list_studies(db: DbOrCursor) -> list[dict[str, Any]]:
    """Every study, newest first, with its trial count, symbols, period and the time range of
    its bars (``start``/``end``, ISO UTC: the spec's, else its trials' first and last bar;
    None when neither is known)."""
    con = connection_of(db)
    cur = con.execute(
        "SELECT s.study_id, s.name, s.strategy, s.method, s.objectives, s.status, s.backend,"
        " s.workers, s.planned, s.created_at, count(t.number) AS trials, s.spec"
        " FROM studies s LEFT JOIN trials t USING (study_id)"
        " GROUP BY ALL ORDER BY s.study_id DESC"
    )
    names = [d[0] for d in cur.description or ()]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    ran = {
        int(study): (first, last)
        for study, first, last in con.execute(
            "SELECT study_id, min(value) FILTER (stat = 'Start'),"
            " max(value) FILTER (stat = 'End') FROM trial_stats GROUP BY study_id"
        ).fetchall()
    }
    for row in rows:
        spec = json.loads(row.pop("spec"))
        first, last = ran.get(row["study_id"], (None, None))
        start, end = spec.get("start_ns") or first, spec.get("end_ns") or last
        row["symbols"] = list(spec.get("symbols", ()))
        row["period"] = spec.get("period")
        row["start"] = None if start is None else iso_time(_whole_us(start))
        row["end"] = None if end is None else iso_time(_whole_us(end))
    return rows


def stored_trials(db: DbOrCursor, study_id: int) -> list[TrialRow]:
    """Every stored trial of a study with its statistics, in number order (a resume reads
    these to tell the method what is known)."""
    return _trials(db, study_id, None)


def stored_trial(db: DbOrCursor, study_id: int, number: int) -> TrialRow:
    """Stored trial ``number`` of a study with its returns (a study runner reads back a trial
    whose parameters are asked again rather than holding every result, and the repeat
    stores the same returns); ``StoreError`` if there is none."""
    rows = _trials(db, study_id, number)
    if not rows:
        raise StoreError(f"study {study_id} has no trial {number}")
    returns = trial_returns(db, study_id, number).get(number)
    return rows[0] if returns is None else dataclasses.replace(rows[0], returns=returns)


def _trials(db: DbOrCursor, study_id: int, number: int | None) -> list[TrialRow]:
    con = connection_of(db)
    which = " AND number = $number" if number is not None else ""
    args: dict[str, int] = {"study": study_id}
    if number is not None:
        args["number"] = number
    rows = con.execute(
        "SELECT number, params, status, objective, feasible, error, duration_s, worker"
        f" FROM trials WHERE study_id = $study{which} ORDER BY number",
        args,
    ).fetchall()
    stats: dict[int, dict[str, float | None]] = {}
    for n, stat, value in con.execute(
        f"SELECT number, stat, value FROM trial_stats WHERE study_id = $study{which}", args
    ).fetchall():
        stats.setdefault(int(n), {})[stat] = value
    order = list(STAT_DEFINITIONS)
    return [
        TrialRow(
            number=int(r[0]),
            params=json.loads(r[1]),
            status=r[2],
            objective=[math.nan if v is None else float(v) for v in r[3]],
            feasible=bool(r[4]),
            stats=dict(sorted(stats.get(int(r[0]), {}).items(), key=lambda kv: order.index(kv[0]))),
            error=r[5],
            duration_s=float(r[6]),
            worker=r[7],
        )
        for r in rows
    ]


def trial_returns(
    db: DbOrCursor, study_id: int, number: int | None = None
) -> dict[int, np.ndarray[Any, Any]]:
    """The stored per-period returns of a study's trials (or of trial ``number``) by trial
    number (completed trials stored since the ``trial_returns`` migration)."""
    which = "" if number is None else f" AND number = {int(number)}"
    rows = connection_of(db).execute(
        f"SELECT number, returns FROM trial_returns WHERE study_id = ?{which} ORDER BY number",
        [study_id],
    )
    return {int(n): np.asarray(r, dtype=np.float64) for n, r in rows.fetchall()}


def trials_frame(trials: Sequence[TrialRow]) -> dict[str, np.ndarray[Any, Any]]:
    """Trials as a wide table of columns: number, status, one column per parameter, the
    statistics in their usual order, duration, worker and error (for export and display)."""
    params = list(dict.fromkeys(k for t in trials for k in t.params))
    stats = [k for k in STAT_DEFINITIONS if any(k in t.stats for t in trials)]
    frame: dict[str, np.ndarray[Any, Any]] = {
        "number": np.array([t.number for t in trials], dtype=np.int64),
        "status": np.array([t.status for t in trials], dtype=object),
        "feasible": np.array([t.feasible for t in trials], dtype=bool),
    }
    for p in params:
        frame[p] = np.array([t.params.get(p) for t in trials], dtype=object)
    for s in stats:
        values = [t.stats.get(s) for t in trials]
        frame[s] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    frame["duration_s"] = np.array([t.duration_s for t in trials], dtype=np.float64)
    frame["worker"] = np.array([t.worker for t in trials], dtype=object)
    frame["error"] = np.array([t.error for t in trials], dtype=object)
    return frame


def export_trials(db: DbOrCursor, study_id: int, path: str | Path, fmt: str | None = None) -> int:
    """Write every trial of a study (:func:`trials_frame`) to CSV or Parquet; the rows written.
    Time statistics (stored as nanoseconds in a double) are written as times: ISO UTC text in
    CSV (as the run exports), timestamps in Parquet."""
    get_study(db, study_id)
    target = export_target(path)
    fmt = export_format(target, fmt)
    frame = trials_frame(stored_trials(db, study_id))
    options = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
    columns = ", ".join(_export_column(name, fmt) for name in frame)
    partial = target.with_name(f".partial-{secrets.token_hex(4)}-{target.name}")
    quoted = str(partial).replace("'", "''")
    frame_columns = frame  # noqa: F841 -- read by DuckDB, by name
    try:
        connection_of(db).execute(
            f"COPY (SELECT {columns} FROM frame_columns) TO '{quoted}' {options}"
        )
        os.replace(partial, target)
    except (duckdb.Error, OSError) as exc:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        why = duckdb_message(exc) if isinstance(exc, duckdb.Error) else exc.strerror or exc
        raise StoreError(f"cannot write the export file {target}: {why}") from None
    return len(frame["number"])


def _export_column(name: str, fmt: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if name not in TIME_KEYS:
        return quoted
    us = f"round({quoted} / 1000)::BIGINT"
    time = iso_time_sql(f"({us} * 1000)") if fmt == "csv" else f"make_timestamp({us})"
    return f"CASE WHEN isnan({quoted}) THEN NULL ELSE {time} END AS {quoted}"
