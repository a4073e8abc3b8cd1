"""Walk-forward analysis: optimise on an in-sample window, run the best parameters on the
out-of-sample window that follows it, move both forward, repeat.

Windows are cut in bars (counts of the bar timeline) or in calendar time (nanoseconds);
*rolling* windows keep the in-sample length, *anchored* ones keep its start at the first bar.
Every time range is half-open, ``[start, end)``, as ``StudySpec`` and ``BacktestConfig`` read
bars (``ts >= start and ts < end``), and a window's in-sample range ends where its
out-of-sample range starts: no bar of the out-of-sample range is ever seen by the study that
chose its parameters.

Each in-sample study is a stored study (any method and backend of ``StudyRunner``); each
out-of-sample run is a recorded run, so both open in the window like any other. The strategy
starts fresh at each out-of-sample start: its indicators warm up on that window's first bars.
Last, the stitched out-of-sample run is recorded: one run over all out-of-sample windows
whose strategy switches to each window's parameters at its start (``ostdesk.research.stitched``),
named as the walk-forward, with the parameters per window in its notes.
Walk-forward efficiency is Pardo's, the mean annualised out-of-sample return over the mean
annualised in-sample return of the chosen trials, with returns annualised as continuously
compounded rates (``log(1 + return) / years``), defined on windows of any length; it is
undefined (NaN, with a note) when the mean in-sample return is not above 0.
When every trial of the first window fails (raises or times out) the strategy's code is
broken whatever its parameters: the walk-forward stops there (``broken``) rather than store a
failed study per window; ``failure`` says why in one line whenever no window chose a trial.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.strategy import Strategy
from ostdesk.research.ranking import best_trials
from ostdesk.research.spec import StudySpec, error_line
from ostdesk.research.stitched import Leg, line_spans, scheduled_strategy
from ostdesk.research.study import StudyProgress, StudyRunner
from ostdesk.research.trial import config_for, load_strategy
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.database import Database, DbOrCursor, connection_of
from ostdesk.store.runs import run_stats, update_run
from ostdesk.store.stats import stats_to_record
from ostdesk.store.studies import TrialRow, stored_trials
from ostdesk.store.timefmt import format_ns

_YEAR_S = 365.25 * 86_400.0
_DAY_NS = 86_400 * 10**9
_NO_END = 2**63 - 1
MIN_ANNUALISED_DAYS = 20
"""Fewer trading days than this in a window and its annualised statistics are flagged."""


class WalkForwardError(ValueError):
    """Windows or a walk-forward that cannot be made; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Window:
    """One step: in-sample ``[is_start_ns, is_end_ns)``, out-of-sample
    ``[oos_start_ns, oos_end_ns)`` with ``is_end_ns <= oos_start_ns``."""

    index: int
    is_start_ns: int
    is_end_ns: int
    oos_start_ns: int
    oos_end_ns: int


def bar_windows(
    ts: npt.ArrayLike, in_sample: int, out_of_sample: int, *, anchored: bool = False
) -> list[Window]:
    """Windows of ``in_sample`` and ``out_of_sample`` bars over the sorted bar times ``ts``;
    the last out-of-sample window may be shorter (it ends at the last bar)."""
    times = np.unique(np.asarray(ts, dtype=np.int64))
    _check_lengths(in_sample, out_of_sample)
    if len(times) <= in_sample:
        raise WalkForwardError(
            f"{len(times):,} bars: an in-sample window of {in_sample:,} bars leaves none for "
            "out-of-sample"
        )
    end = int(times[-1]) + 1  # past the last bar

    def at(row: int) -> int:
        return int(times[row]) if row < len(times) else end

    windows = []
    for k, oos in enumerate(range(in_sample, len(times), out_of_sample)):
        first = 0 if anchored else oos - in_sample
        windows.append(Window(k, at(first), at(oos), at(oos), at(oos + out_of_sample)))
    return windows


def bar_times(
    db: DbOrCursor,
    symbols: Sequence[str],
    period: str,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> npt.NDArray[np.int64]:
    """The sorted distinct bar times of ``symbols`` in ``[start_ns, end_ns)``: the timeline
    bar windows count on."""
    rows = (
        connection_of(db)
        .execute(
            "SELECT DISTINCT ts_event_ns AS ts FROM bars WHERE symbol IN (SELECT unnest(?))"
            " AND period = ? AND ts_event_ns >= coalesce(?, -9223372036854775807)"
            " AND ts_event_ns < coalesce(?, 9223372036854775807) ORDER BY ts",
            [list(symbols), BarPeriod.parse(period).label, start_ns, end_ns],
        )
        .fetchnumpy()
    )
    return np.asarray(rows["ts"], dtype=np.int64)


def bar_span(
    db: DbOrCursor, spec: StudySpec, start_ns: int, end_ns: int
) -> tuple[int | None, int | None, int]:
    """The first and last bar times of ``spec``'s symbols in ``[start_ns, end_ns)`` (None:
    no bar) and the number of UTC dates with a bar there: its trading days."""
    row = (
        connection_of(db)
        .execute(
            "SELECT min(ts_event_ns), max(ts_event_ns), count(DISTINCT ts_event_ns // ?)"
            " FROM bars WHERE symbol IN (SELECT unnest(?)) AND period = ?"
            " AND ts_event_ns >= ? AND ts_event_ns < ?",
            [_DAY_NS, list(spec.symbols), BarPeriod.parse(spec.period).label, start_ns, end_ns],
        )
        .fetchone()
    )
    assert row is not None  # an aggregate always has a row
    return row[0], row[1], int(row[2])


def calendar_windows(
    first_ns: int,
    end_ns: int,
    in_sample_ns: int,
    out_of_sample_ns: int,
    *,
    anchored: bool = False,
) -> list[Window]:
    """Windows of fixed durations from ``first_ns`` up to ``end_ns`` (exclusive); the last
    out-of-sample window is cut at ``end_ns``."""
    _check_lengths(in_sample_ns, out_of_sample_ns)
    if first_ns + in_sample_ns >= end_ns:
        raise WalkForwardError("the in-sample duration leaves no time for out-of-sample")
    windows: list[Window] = []
    oos = first_ns + in_sample_ns
    while oos < end_ns:
        start = first_ns if anchored else oos - in_sample_ns
        k = len(windows)
        windows.append(Window(k, start, oos, oos, min(oos + out_of_sample_ns, end_ns)))
        oos += out_of_sample_ns
    return windows


def study_windows(
    db: DbOrCursor,
    spec: StudySpec,
    in_sample: int,
    out_of_sample: int,
    *,
    unit: str = "bars",
    anchored: bool = False,
) -> list[Window]:
    """The windows over ``spec``'s bars, lengths in ``unit`` ("bars" or "ns"), as the CLI
    and the Walk-forward panel cut them."""
    times = bar_times(db, spec.symbols, spec.period, spec.start_ns, spec.end_ns)
    if len(times) == 0:
        raise WalkForwardError("the study's data has no bars")
    if unit == "bars":
        return bar_windows(times, in_sample, out_of_sample, anchored=anchored)
    last = int(times[-1]) + 1
    return calendar_windows(int(times[0]), last, in_sample, out_of_sample, anchored=anchored)


def _check_lengths(in_sample: int, out_of_sample: int) -> None:
    if in_sample <= 0 or out_of_sample <= 0:
        raise WalkForwardError(
            f"in-sample {in_sample} and out-of-sample {out_of_sample}: both must be above 0"
        )


@dataclasses.dataclass(frozen=True)
class WindowResult:
    """A window's in-sample study and best trial, and the recorded out-of-sample run."""

    window: Window
    study_id: int
    best_trial: int | None  # None: no completed, feasible trial (no out-of-sample run)
    best_params: Mapping[str, Any]
    is_stats: Mapping[str, float | None]
    oos_run_id: int | None
    oos_stats: Mapping[str, float | None]
    why_none: str | None = None  # why no trial was chosen (None: one was)
    is_days: int | None = None  # trading days (dates with bars) in sample and out of sample
    oos_days: int | None = None

    @property
    def too_short(self) -> bool:
        """Either side has fewer than ``MIN_ANNUALISED_DAYS`` trading days: its annualised
        figures (Sharpe, Sortino, Return (Ann.)) scale a few days up to a year and mislead."""
        days = [d for d in (self.is_days, self.oos_days) if d is not None]
        return bool(days) and min(days) < MIN_ANNUALISED_DAYS


@dataclasses.dataclass(frozen=True)
class WalkForward:
    windows: tuple[WindowResult, ...]
    stitched_run_id: int | None  # the out-of-sample windows as one run (None: no trial chosen)
    cancelled: bool = False  # stopped before its last window (nothing stitched)
    broken: bool = False  # stopped after its first window, whose every trial failed

    @property
    def failure(self) -> str | None:
        """One line when no window chose parameters (nothing ran out of sample), else None:
        then the walk-forward says nothing, and its first window says why."""
        if self.cancelled or not self.windows:
            return None
        if any(r.best_trial is not None for r in self.windows):
            return None
        first = self.windows[0]
        line = (
            f"no window had a completed trial (window {first.window.index + 1}: {first.why_none})"
        )
        if self.broken:
            line += "; stopped there: the strategy failed on every trial"
        return line

    @property
    def is_mean(self) -> float:
        """Mean yearly log return in sample of the windows run out of sample (NaN: none)."""
        return _mean_rates(self.windows)[0]

    @property
    def oos_mean(self) -> float:
        """Mean yearly log return out of sample of the same windows (NaN: none)."""
        return _mean_rates(self.windows)[1]

    @property
    def efficiency(self) -> float:
        """``oos_mean / is_mean``; NaN when ``is_mean`` is not above 0, where the ratio says
        nothing (a loss in sample and a larger one after it would give an efficiency above 1)."""
        is_mean, oos_mean = _mean_rates(self.windows)
        return oos_mean / is_mean if is_mean > 0 else math.nan

    @property
    def efficiency_note(self) -> str | None:
        """Why ``efficiency`` is NaN (None when it is a number)."""
        is_mean = self.is_mean
        if math.isnan(is_mean):
            return "no window has both an in-sample and an out-of-sample return"
        if is_mean <= 0:
            return (
                f"undefined: the mean in-sample return ({100 * is_mean:+.2f}% a year) is not "
                "positive, so out-of-sample over in-sample says nothing"
            )
        return None


def run_walkforward(
    db: Database,
    spec: StudySpec,
    windows: Sequence[Window],
    *,
    backend: str = "local",
    workers: int | None = None,
    strategy: type[Strategy] | None = None,
    name: str = "walk-forward",
    on_window: Callable[[WindowResult], None] | None = None,
    on_progress: Callable[[int, StudyProgress], None] | None = None,
    stop: threading.Event | None = None,
) -> WalkForward:
    """Optimise ``spec`` (its own time range replaced by each window's) on every in-sample
    window and record its best trial's run on the out-of-sample window that follows.

    ``on_progress(window index, progress)`` follows each in-sample study trial by trial;
    setting ``stop`` cancels the study running (after its trial in progress) and ends the
    walk-forward with the windows done so far, ``cancelled``."""
    if not windows:
        raise WalkForwardError("no windows to walk forward over")
    cls = strategy or load_strategy(spec.strategy, spec.strategy_source)
    results = []
    for w in windows:
        if w.is_end_ns > w.oos_start_ns:
            raise WalkForwardError(f"window {w.index}: its in-sample range runs into its OOS")
        is_spec = dataclasses.replace(spec, start_ns=w.is_start_ns, end_ns=w.is_end_ns)
        if stop is not None and stop.is_set():
            break
        runner = StudyRunner(
            db, is_spec, backend=backend, workers=workers, strategy=cls,
            name=f"{name} window {w.index + 1} in-sample",
        )  # fmt: skip
        runner.on_progress = partial(_follow, w.index, on_progress, stop, runner)
        summary = runner.run()
        if summary.status == "cancelled":
            break
        study_id = summary.study_id
        trials = stored_trials(db, study_id)
        best = next(iter(best_trials(trials, spec, limit=1)), None)
        is_days = bar_span(db, spec, w.is_start_ns, w.is_end_ns)[2]
        oos_days = bar_span(db, spec, w.oos_start_ns, w.oos_end_ns)[2]
        result = WindowResult(
            w, study_id, None, {}, {}, None, {}, _why_none(trials), is_days, oos_days
        )
        if best is not None:
            params = _typed(cls, best.params)
            oos_spec = dataclasses.replace(
                spec, start_ns=w.oos_start_ns, end_ns=_asked_end(db, spec, w.oos_end_ns)
            )
            config = dataclasses.replace(
                config_for(oos_spec, cls, params, {}),
                executor="threaded",
                name=f"{name} window {w.index + 1} out-of-sample",
            )
            run_id = _recorded(db, config, spec.strategy_source)
            oos = stats_to_record(run_stats(db, run_id)) if run_id is not None else {}
            result = WindowResult(
                w, study_id, best.number, best.params, best.stats, run_id, oos, None,
                is_days, oos_days,
            )  # fmt: skip
        results.append(result)
        if on_window is not None:
            on_window(result)
        if len(results) == 1 < len(windows) and _all_failed(trials):  # later ones fail alike
            return WalkForward(tuple(results), None, broken=True)
    if len(results) < len(windows):
        return WalkForward(tuple(results), None, cancelled=True)
    return WalkForward(tuple(results), record_stitched(db, spec, cls, results, name=name))


def _follow(
    index: int,
    on_progress: Callable[[int, StudyProgress], None] | None,
    stop: threading.Event | None,
    runner: StudyRunner,
    progress: StudyProgress,
) -> None:
    if stop is not None and stop.is_set():
        runner.cancel()
    if on_progress is not None:
        on_progress(index, progress)


def record_stitched(
    db: Database,
    spec: StudySpec,
    cls: type[Strategy],
    results: Sequence[WindowResult],
    *,
    name: str = "walk-forward",
) -> int | None:
    """Record the out-of-sample windows of ``results`` as one run (flat in a window whose
    study chose nothing); its id, None when no window chose parameters."""
    chosen = [r for r in results if r.best_trial is not None]
    if not chosen:
        return None
    legs = [
        Leg(
            r.window.oos_start_ns, r.window.oos_end_ns, _typed(cls, {**spec.fixed, **r.best_params})
        )
        for r in chosen
    ]
    span = dataclasses.replace(
        spec,
        start_ns=results[0].window.oos_start_ns,
        end_ns=_asked_end(db, spec, results[-1].window.oos_end_ns),
    )
    config = dataclasses.replace(
        config_for(span, cls, {}, {}),
        strategy=scheduled_strategy(cls, legs),
        params={},
        executor="threaded",
        name=name,
    )
    run = prepare_backtest(db, config, strategy_source=spec.strategy_source).run()
    if run.recording is None:
        return None
    run_id = int(run.recording.run_id)
    if run.host is not None:
        _keep_lines_to_their_windows(db, run_id, line_spans(run.host.strategy))
    update_run(db, run_id, notes=_schedule_notes(db, spec, results))
    return run_id


def _keep_lines_to_their_windows(
    db: DbOrCursor, run_id: int, spans: Mapping[str, Sequence[tuple[int, int]]]
) -> None:
    """Blank (NULL, as in a warm-up) each indicator line of the stitched run outside the
    windows whose parameters declared it: over the whole run, the lines of every window's
    parameters overlap, and no reader can tell which ones traded where."""
    if not spans:  # the strategy declares no indicator: the run recorded none
        return
    names = [line for line, ranges in spans.items() for _ in ranges]
    starts = [lo for ranges in spans.values() for lo, _ in ranges]
    ends = [hi for ranges in spans.values() for _, hi in ranges]
    connection_of(db).execute(
        "UPDATE run_indicators SET value = NULL WHERE run_id = ? AND NOT EXISTS ("
        " SELECT 1 FROM (SELECT unnest(?) AS name, unnest(?) AS lo, unnest(?) AS hi) AS span"
        " WHERE span.name = run_indicators.name AND run_indicators.ts >= span.lo"
        " AND run_indicators.ts < span.hi)",
        [run_id, names, starts, ends],
    )


def _asked_end(db: DbOrCursor, spec: StudySpec, end_ns: int) -> int | None:
    """The end a run up to ``end_ns`` asks for: the study's own (None: its last bar) when no
    bar of it lies past ``end_ns``, so the run reads the same bars but shows the end the user
    gave, not the last bar's time + 1 ns that closes the last window."""
    if spec.end_ns is not None and end_ns >= spec.end_ns:
        return spec.end_ns
    beyond = bar_span(db, spec, end_ns, spec.end_ns if spec.end_ns is not None else _NO_END)[0]
    return spec.end_ns if beyond is None else end_ns


def _all_failed(trials: Sequence[TrialRow]) -> bool:
    """Every trial raised or timed out: the strategy's code fails whatever its parameters."""
    return bool(trials) and all(t.status in ("failed", "timeout") for t in trials)


def _why_none(trials: Sequence[TrialRow]) -> str:
    """Why a window's study chose no trial, in one line: how many trials failed, timed out
    or were refused (and the first one's error), or that the rest gave no objective."""
    parts = []
    for status in ("failed", "timeout", "pruned"):
        these = [t for t in trials if t.status == status]
        if these:
            parts.append(f"{len(these)} {status} (first: {error_line(these[0].error)})")
    completed = sum(t.status == "completed" for t in trials)
    if completed:
        parts.append(f"{completed} completed with no value of the objective or infeasible")
    return "; ".join(parts) or "no trial finished"


def _typed(cls: type[Strategy], params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: cls.params[k].validate(v) if k in cls.params else v for k, v in params.items()}


def _recorded(db: Database, config: Any, source: str) -> int | None:
    run = prepare_backtest(db, config, strategy_source=source).run()
    return run.recording.run_id if run.recording is not None else None


STITCHED_NOTE = (
    "The stitched run's return is not the sum of the windows' out-of-sample returns: it runs "
    "once over every window, so its indicators are warm at each window's start, where each "
    "window's own out-of-sample run warms them up on its first bars. Its chart draws each "
    "window's indicators over that window, where its parameters traded."
)
"""Why the stitched run differs from its windows' runs: its notes and the CLI say it."""


def _schedule_notes(db: DbOrCursor, spec: StudySpec, results: Sequence[WindowResult]) -> str:
    """The parameters per window with its first and last out-of-sample bars, one line each,
    then why the run is not its windows' runs added up: the run's notes."""
    lines = []
    for r in results:
        w = r.window
        params = " ".join(f"{k}={v}" for k, v in r.best_params.items()) or "flat (no trial)"
        first, last, _ = bar_span(db, spec, w.oos_start_ns, w.oos_end_ns)
        span = f"{format_ns(first or w.oos_start_ns)} to {format_ns(last or w.oos_end_ns)}"
        lines.append(f"window {w.index + 1}, bars {span}: {params}")
    return "\n".join([*lines, "", STITCHED_NOTE])


def _mean_rates(results: Sequence[WindowResult]) -> tuple[float, float]:
    """The mean yearly in- and out-of-sample rates of the windows that have both."""
    rates = [
        (_yearly_rate(r.is_stats), _yearly_rate(r.oos_stats))
        for r in results
        if r.oos_run_id is not None
    ]
    pairs = [(a, b) for a, b in rates if math.isfinite(a) and math.isfinite(b)]
    if not pairs:
        return math.nan, math.nan
    return sum(a for a, _ in pairs) / len(pairs), sum(b for _, b in pairs) / len(pairs)


def _yearly_rate(stats: Mapping[str, float | None]) -> float:
    """The continuously compounded return a year, from Return [%] over Duration (seconds):
    defined for a window of any length, where Return (Ann.) needs several days."""
    total, seconds = stats.get("Return [%]"), stats.get("Duration")
    if total is None or not seconds or total <= -100.0:
        return math.nan
    return math.log1p(total / 100.0) * _YEAR_S / seconds
