"""Running a parameter study: the one entry point the CLI and the window share.

Usage::

    runner = StudyRunner(db, spec, backend="local", workers=4,
                         on_trial=lambda result, progress: ..., on_progress=...)
    summary = runner.run()          # blocks: call it off the GUI thread
    runner.cancel()                 # from any thread; run() returns soon after

``run`` loads the bars once, starts the backend, asks the method for trials while the backend
has room, and for every finished trial (as it finishes): stores it (in batches, each one
transaction), tells the method, and calls ``on_trial(result, progress)`` on the thread that
called ``run``. Combinations the strategy's ``validate()`` refuses are ``pruned`` here, never
sent to a worker. ``StudyRunner.resume(db, study_id, ...)`` continues a stored study without
re-running its stored trials. Only this process writes the database.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.strategy import Strategy
from ostdesk.research.backends import Backend, make_backend
from ostdesk.research.methods import make_method
from ostdesk.research.spec import StudySpec, TrialResult, TrialStatus, params_key
from ostdesk.research.trial import StudyData, load_strategy
from ostdesk.store.database import Database, DbOrCursor
from ostdesk.store.market_data import bar_chunks, count_bars
from ostdesk.store.presets import json_value
from ostdesk.store.runs import data_fingerprint
from ostdesk.store.studies import (
    TrialRow,
    append_trials,
    create_study,
    end_study,
    get_study,
    resume_study,
    stored_trial,
    stored_trials,
)
from ostdesk.store.ticks import tick_sizes


class StudyError(ValueError):
    """A study cannot run or resume as asked: one line saying why."""


FLUSH_INTERVAL_S = 0.25
"""How often finished trials are written: a crash loses at most this much of a study's work."""


@dataclasses.dataclass(frozen=True)
class StudyProgress:
    """Where a study is: trials finished (stored before this run included), planned (None:
    unknown), running now, and the estimated seconds left (None until a trial finished).
    ``done_here`` counts this run's trials only (a resumed study's rate is of those), and
    ``repeated`` those of this run whose parameters had been tried (not run again)."""

    done: int
    planned: int | None
    running: int
    elapsed_s: float
    eta_s: float | None
    by_status: dict[str, int]
    done_here: int = 0
    repeated: int = 0

    @property
    def rate(self) -> float:
        """Trials a second in this run."""
        return self.done_here / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        return self.done / self.planned if self.planned else None


@dataclasses.dataclass(frozen=True)
class StudySummary:
    study_id: int
    status: str  # completed or cancelled
    progress: StudyProgress


TrialCallback = Callable[[TrialResult, StudyProgress], None]


def stored_spec(db: DbOrCursor, study_id: int) -> tuple[StudySpec, type[Strategy]]:
    """A stored study's spec and its strategy class (loaded again from where it came from);
    ``db`` may be a thread's cursor (the window reads it on its database worker)."""
    row = get_study(db, study_id)
    raw = json.loads(row["spec"])
    strategy = load_strategy(raw["strategy"], raw["strategy_source"])
    return StudySpec.from_json(row["spec"], strategy.params), strategy


REPEAT_WORKER = "repeat of "
"""A repeated trial's ``worker``: ``repeat of 12`` holds trial 12's result (no migration needed
to tell a copy from a run)."""


def trial_row(spec: StudySpec, result: TrialResult) -> TrialRow:
    """A finished trial as the store keeps it."""
    return TrialRow(
        number=result.number,
        params={k: json_value(v) for k, v in result.params.items()},
        status=result.status.value,
        objective=spec.objective_values(result.stats),
        feasible=result.status is TrialStatus.COMPLETED and spec.feasible(result.stats),
        stats=result.stats,
        error=result.error,
        duration_s=result.duration_s,
        worker=result.worker,
        returns=result.returns,
    )


class StudyRunner:
    """Runs one study (see the module's docstring). ``workers`` None: one per core (local)
    or per CPU of the cluster (ray)."""

    def __init__(
        self,
        db: Database,
        spec: StudySpec,
        *,
        backend: str | Backend = "local",
        workers: int | None = None,
        address: str | None = None,
        name: str = "",
        on_trial: TrialCallback | None = None,
        on_progress: Callable[[StudyProgress], None] | None = None,
        strategy: type[Strategy] | None = None,
        study_id: int | None = None,
    ) -> None:
        self.db = db
        self.spec = spec
        self.name = name
        self.strategy = strategy or load_strategy(spec.strategy, spec.strategy_source)
        self.backend = (
            make_backend(backend, workers, address) if isinstance(backend, str) else backend
        )
        self.study_id = study_id
        self.on_trial = on_trial
        self.on_progress = on_progress
        self._cancel = threading.Event()
        self._stored: list[TrialRow] = []
        self._by_status: dict[str, int] = {}
        self._started = 0.0
        self._done_here = 0
        self._repeated = 0
        self._known: dict[str, int] = {}  # parameter set -> the trial that ran it
        self._pending: list[TrialRow] = []  # finished, not yet stored
        self._cur: Any = None
        self._running: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    @classmethod
    def resume(cls, db: Database, study_id: int, **kwargs: Any) -> StudyRunner:
        """A runner that continues stored study ``study_id`` (its spec from the database)."""
        spec, strategy = stored_spec(db, study_id)
        return cls(db, spec, strategy=strategy, study_id=study_id, **kwargs)

    def cancel(self) -> None:
        """Stop soon: trials running are abandoned (a resume runs them again)."""
        self._cancel.set()

    def run(self) -> StudySummary:
        """Run the study to its end or a cancel; the study's id and how it ended."""
        spec = self.spec
        period = BarPeriod.parse(spec.period)
        cur = self.db.cursor()
        try:
            total = count_bars(cur, spec.symbols, period, spec.start_ns, spec.end_ns)
            chunks = tuple(bar_chunks(cur, spec.symbols, period, spec.start_ns, spec.end_ns))
            ticks = tick_sizes(cur, spec.symbols, period)
            fingerprint = data_fingerprint(cur, spec.symbols, period, spec.start_ns, spec.end_ns)
            if self.study_id is None:
                self.study_id = create_study(
                    cur,
                    name=self.name,
                    strategy=spec.strategy,
                    method=spec.method,
                    objectives="; ".join(o.describe() for o in spec.objectives),
                    spec=spec.to_json(),
                    fingerprint=fingerprint,
                    backend=self.backend.name,
                    workers=self.backend.capacity,
                    planned=None,
                )
            else:
                if get_study(cur, self.study_id)["data_fingerprint"] != fingerprint:
                    raise StudyError(
                        f"the bars of study {self.study_id} changed since its trials ran; "
                        "start a new study to search them"
                    )
                self._stored = stored_trials(cur, self.study_id)
                resume_study(
                    cur, self.study_id, backend=self.backend.name, workers=self.backend.capacity
                )
            for row in self._stored:
                self._by_status[row.status] = self._by_status.get(row.status, 0) + 1
                self._known.setdefault(params_key(row.params), row.number)
            method = make_method(spec, self._stored)
            cur.execute(
                "UPDATE studies SET planned = ? WHERE study_id = ?", [method.planned, self.study_id]
            )
            status = "failed"
            try:
                self._loop(cur, method, StudyData(spec, chunks, total, ticks))
                status = "cancelled" if self._cancel.is_set() else "completed"
            except KeyboardInterrupt:  # Ctrl-C of the CLI: stopped as by a cancel
                status = "cancelled"
                raise
            finally:
                end_study(cur, self.study_id, status)
            return StudySummary(self.study_id, status, self.progress(method.planned))
        finally:
            self.db.release(cur)

    def _loop(self, cur: Any, method: Any, data: StudyData) -> None:
        backend = self.backend
        self._started = time.perf_counter()
        self._cur = cur
        pending = self._pending
        flushed = time.monotonic()
        backend.start(data)
        try:
            exhausted = False
            while not self._cancel.is_set():
                # a cancel also stops asking: repeats of known sets finish here, never running
                while (
                    not exhausted
                    and backend.running() < 2 * backend.capacity
                    and not self._cancel.is_set()
                ):
                    asked = method.ask()
                    if asked is None:
                        exhausted = True
                        break
                    number, params = asked
                    refused = self.strategy.check_params({**self.spec.fixed, **params})
                    if refused:
                        result = TrialResult(
                            number, params, TrialStatus.PRUNED, error=str(refused[0])
                        )
                        self._finished(result, method, pending)
                    else:
                        self._submit(number, params, method, pending)
                if exhausted and backend.running() == 0:
                    break
                for result in backend.poll(0.1):
                    self._ran(result, method, pending)
                if pending and time.monotonic() - flushed >= FLUSH_INTERVAL_S:
                    append_trials(cur, self.study_id or 0, pending)
                    pending.clear()
                    flushed = time.monotonic()
        finally:
            backend.close()
            append_trials(cur, self.study_id or 0, pending)

    def _submit(
        self, number: int, params: dict[str, Any], method: Any, pending: list[TrialRow]
    ) -> None:
        """Run a trial, unless its parameters ran already (model-based methods ask a set again,
        e.g. TPE on a small grid): then its result is told again, and a set running now gives
        its result to the repeat when it finishes."""
        key = params_key(params)
        if key in self._known:
            self._repeat(number, params, self._result_of(self._known[key]), method, pending)
        elif key in self._running:
            self._running[key].append((number, params))
        else:
            self._running[key] = []
            self.backend.submit(number, params)

    def _repeat(
        self,
        number: int,
        params: dict[str, Any],
        of: TrialResult,
        method: Any,
        pending: list[TrialRow],
    ) -> None:
        self._repeated += 1
        copy = dataclasses.replace(
            of, number=number, params=params, duration_s=0.0, worker=f"{REPEAT_WORKER}{of.number}"
        )
        self._finished(copy, method, pending)

    def _result_of(self, number: int) -> TrialResult:
        """Finished trial ``number`` read back (not held: a long study's results would fill
        the memory), from the batch not yet stored or from the store."""
        row = next((r for r in self._pending if r.number == number), None)
        if row is None:
            row = stored_trial(self._cur, self.study_id or 0, number)
        return _stored_result(row)

    def _ran(self, result: TrialResult, method: Any, pending: list[TrialRow]) -> None:
        key = params_key(result.params)
        self._known[key] = result.number
        self._finished(result, method, pending)
        for number, params in self._running.pop(key, []):
            self._repeat(number, params, result, method, pending)

    def _finished(self, result: TrialResult, method: Any, pending: list[TrialRow]) -> None:
        method.tell(result)
        pending.append(trial_row(self.spec, result))
        status = result.status.value
        self._by_status[status] = self._by_status.get(status, 0) + 1
        self._done_here += 1
        progress = self.progress(method.planned)
        if self.on_trial is not None:
            self.on_trial(result, progress)
        if self.on_progress is not None:
            self.on_progress(progress)

    def progress(self, planned: int | None) -> StudyProgress:
        done = sum(self._by_status.values())
        elapsed = time.perf_counter() - self._started if self._started else 0.0
        eta = None
        if planned is not None and self._done_here:
            eta = elapsed / self._done_here * max(0, planned - done)
        return StudyProgress(
            done=done,
            planned=planned,
            running=self.backend.running(),
            elapsed_s=elapsed,
            eta_s=eta,
            by_status=dict(self._by_status),
            done_here=self._done_here,
            repeated=self._repeated,
        )


def _stored_result(row: TrialRow) -> TrialResult:
    """A finished trial as a result to tell again and store as a repeat, its returns
    included (without them the study's overfitting statistics would refuse it)."""
    return TrialResult(
        row.number,
        dict(row.params),
        TrialStatus(row.status),
        dict(row.stats),
        row.error,
        row.duration_s,
        row.worker,
        np.asarray(row.returns, dtype=np.float64),
    )
