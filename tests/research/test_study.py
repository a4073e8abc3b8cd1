"""Studies on the local process pool, end to end: real worker processes, a real database.

What each proves is in its name: pruning, statistics identical to a recorded run, failing and
endless strategies, cancel, streaming, Optuna methods and resuming them."""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.research.backends import LocalBackend
from ostdesk.research.ranking import best_trials, pareto_front
from ostdesk.research.robustness import study_robustness
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec, TrialResult, TrialStatus
from ostdesk.research.study import StudyError, StudyProgress, StudyRunner
from ostdesk.research.trial import StudyData, config_for
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.market_data import bar_chunks, count_bars
from ostdesk.store.runs import get_run, run_stats, run_trades
from ostdesk.store.stats import STAT_DEFINITIONS, stats_to_record
from ostdesk.store.studies import get_study, stored_trials, trial_returns
from ostdesk.timeparse import parse_when

SMA = load_strategies().get("SmaCross")


def sma_spec(ranges: list[str], **kw: Any) -> StudySpec:
    dims, fixed = parse_space(SMA.params, ranges)
    return StudySpec(
        "SmaCross", "built-in", ("GOOG",), "day", dims, (Objective("Sharpe Ratio"),), fixed, **kw
    )


def flaky_spec(flaky: type[Strategy], path: Path, ranges: list[str], **kw: Any) -> StudySpec:
    dims, fixed = parse_space(flaky.params, ranges)
    return StudySpec(
        "Flaky",
        str(path),
        ("GOOG",),
        "day",
        dims,
        (Objective("Return [%]"),),
        fixed,
        start_ns=parse_when("2010-01-01"),
        **kw,
    )


def test_grid_prunes_what_validate_refuses_and_stores_every_trial_under_spawn(
    goog_db: Database,
) -> None:
    seen: list[tuple[TrialResult, StudyProgress]] = []
    spec = sma_spec(["fast=10:40:10", "slow=20:40:10"])
    backend = LocalBackend(2, start_method="spawn")  # as on macOS and Windows
    runner = StudyRunner(goog_db, spec, backend=backend, on_trial=lambda r, p: seen.append((r, p)))
    summary = runner.run()
    assert summary.status == "completed"
    assert summary.progress.by_status == {"completed": 6, "pruned": 6}
    assert [p.done for _, p in seen] == list(range(1, 13))  # one callback per trial
    pruned = {
        (r.params["fast"], r.params["slow"]) for r, _ in seen if r.status is TrialStatus.PRUNED
    }
    assert pruned == {(f, s) for f in (20, 30, 40) for s in (20, 30, 40) if f >= s}
    rows = stored_trials(goog_db, summary.study_id)
    assert sorted(r.number for r in rows) == list(range(12))
    done = [r for r in rows if r.status == "completed"]
    assert all(r.stats.keys() == STAT_DEFINITIONS.keys() for r in done)
    assert all(r.worker.startswith("local:") for r in done)
    assert get_study(goog_db, summary.study_id)["status"] == "completed"


def test_a_trial_has_exactly_the_statistics_of_the_same_run_recorded(goog_db: Database) -> None:
    spec = sma_spec(["fast=5:15:5", "slow=30"], constraints=())
    summary = StudyRunner(goog_db, spec, workers=2).run()
    rows = stored_trials(goog_db, summary.study_id)
    best = best_trials(rows, spec)[0]
    params = {**best.params, "slow": 30}
    config = dataclasses.replace(config_for(spec, SMA, params, {}), executor="threaded")
    run = prepare_backtest(goog_db, config).run()
    recorded = stats_to_record(run_stats(goog_db, run.recording.run_id))
    assert recorded.keys() == best.stats.keys()
    for key, value in recorded.items():
        stored = best.stats[key]
        assert stored == value or (math.isnan(value) and stored is None), key
    assert get_run(goog_db, run.recording.run_id)["status"] == "completed"
    assert len(run_trades(goog_db, run.recording.run_id)["pnl"]) == best.stats["# Trades"]


def test_a_failing_strategy_fails_its_trial_never_the_study(
    goog_db: Database, flaky: type[Strategy], flaky_file: Path
) -> None:
    spec = flaky_spec(flaky, flaky_file, ["mode=0,1,3"])
    summary = StudyRunner(goog_db, spec, workers=2).run()
    rows = {r.params["mode"]: r for r in stored_trials(goog_db, summary.study_id)}
    assert summary.status == "completed"
    assert rows[0].status == "completed"
    assert rows[1].status == "failed" and "flaky strategy failed on purpose" in (
        rows[1].error or ""
    )
    assert rows[3].status == "failed" and "SystemExit" in (rows[3].error or "")


def test_an_endless_loop_ends_its_trial_at_the_per_trial_limit(
    goog_db: Database, flaky: type[Strategy], flaky_file: Path
) -> None:
    spec = flaky_spec(flaky, flaky_file, ["mode=0,2"], trial_timeout_s=1.0)
    summary = StudyRunner(goog_db, spec, workers=2).run()
    rows = {r.params["mode"]: r for r in stored_trials(goog_db, summary.study_id)}
    assert (rows[0].status, rows[2].status) == ("completed", "timeout")
    assert 1.0 <= rows[2].duration_s < 5.0


def _data(db: Database, spec: StudySpec) -> StudyData:
    period = BarPeriod.parse(spec.period)
    chunks = tuple(bar_chunks(db, spec.symbols, period, spec.start_ns))
    return StudyData(spec, chunks, count_bars(db, spec.symbols, period, spec.start_ns), {})


def test_results_stream_back_while_other_trials_run_and_close_stops_them(
    goog_db: Database, flaky: type[Strategy], flaky_file: Path
) -> None:
    spec = flaky_spec(flaky, flaky_file, ["mode=0,2"], trial_timeout_s=60.0)
    backend = LocalBackend(2)
    backend.start(_data(goog_db, spec))
    try:
        backend.submit(0, {"mode": 2})  # never ends by itself
        backend.submit(1, {"mode": 0})
        results: list[TrialResult] = []
        deadline = time.monotonic() + 60
        while not results and time.monotonic() < deadline:
            results += backend.poll(0.1)
        assert [r.number for r in results] == [1] and backend.running() == 1
    finally:
        started = time.monotonic()
        backend.close()
    assert time.monotonic() - started < 2.0
    assert not multiprocessing.active_children()


def test_cancel_ends_the_study_soon_as_cancelled_keeping_finished_trials(
    goog_db: Database,
) -> None:
    spec = sma_spec(["fast=2:100", "slow=101:300"], method="random", n_trials=500)
    box: dict[str, float] = {}

    def on_trial(result: TrialResult, progress: StudyProgress) -> None:
        if progress.done == 3:
            box["cancelled"] = time.monotonic()
            runner.cancel()

    runner = StudyRunner(goog_db, spec, workers=2, on_trial=on_trial)
    summary = runner.run()
    assert summary.status == "cancelled"
    assert time.monotonic() - box["cancelled"] < 2.0
    stored = stored_trials(goog_db, summary.study_id)
    assert 3 <= len(stored) < 500
    assert not multiprocessing.active_children()


def test_tpe_resumes_a_cancelled_study_without_rerunning_its_trials(goog_db: Database) -> None:
    spec = sma_spec(["fast=2:50", "slow=51:200"], method="tpe", n_trials=12, seed=7)
    first = StudyRunner(
        goog_db, spec, workers=2, on_trial=lambda r, p: p.done >= 5 and runner.cancel()
    )
    runner = first
    summary = first.run()
    before = {r.number: r for r in stored_trials(goog_db, summary.study_id)}
    assert summary.status == "cancelled" and 5 <= len(before) < 12
    again = StudyRunner.resume(goog_db, summary.study_id, workers=2)
    ran: list[int] = []
    seen: list[StudyProgress] = []
    again.on_trial = lambda r, p: (ran.append(r.number), seen.append(p))
    assert again.run().status == "completed"
    after = stored_trials(goog_db, summary.study_id)
    assert len(after) == 12 and not set(ran) & set(before)
    # the rate and ETA are of this run's trials: the stored ones took no time of it
    assert (seen[0].done, seen[0].done_here) == (len(before) + 1, 1)
    assert seen[0].rate == pytest.approx(1 / seen[0].elapsed_s)
    assert all(before[r.number] == r for r in after if r.number in before)


def test_tpe_asking_a_parameter_set_again_tells_its_result_without_running_it(
    goog_db: Database,
) -> None:
    spec = sma_spec(["fast=10", "slow=20:30:10"], method="tpe", n_trials=12, seed=3)
    ran: list[TrialResult] = []
    runner = StudyRunner(goog_db, spec, workers=2, on_trial=lambda r, p: ran.append(r))
    summary = runner.run()
    rows = stored_trials(goog_db, summary.study_id)
    by_set: dict[int, list[Any]] = {}
    for r in rows:
        by_set.setdefault(r.params["slow"], []).append(r)
    first = {slow: trials[0] for slow, trials in by_set.items()}
    assert len(rows) == 12 and sorted(by_set) == [20, 30]
    assert summary.progress.repeated == 10
    for slow, trials in by_set.items():  # one run per set, its copies say whose result they hold
        assert [t.worker.startswith("local:") for t in trials].count(True) == 1
        assert all(t.worker == f"repeat of {first[slow].number}" for t in trials[1:])
        assert all((t.stats, t.objective) == (first[slow].stats, first[slow].objective)
                   for t in trials)  # fmt: skip
    listed = best_trials(rows, spec)
    assert sorted(t.number for t in listed) == sorted(t.number for t in first.values())


def test_a_set_asked_again_after_a_resume_copies_the_stored_result_of_its_first_run(
    goog_db: Database,
) -> None:
    spec = sma_spec(["fast=10", "slow=20:30:10"], method="tpe", n_trials=20, seed=3)
    first = StudyRunner(
        goog_db, spec, workers=1, on_trial=lambda r, p: p.done >= 6 and runner.cancel()
    )
    runner = first
    study = first.run().study_id
    before = {r.number: r for r in stored_trials(goog_db, study)}
    ran_before = {r.params["slow"]: r for r in before.values() if r.worker.startswith("local:")}
    StudyRunner.resume(goog_db, study, workers=1).run()
    after = [r for r in stored_trials(goog_db, study) if r.number not in before]
    copies = [r for r in after if r.worker.startswith("repeat of ")]
    of_stored = [r for r in copies if int(r.worker.removeprefix("repeat of ")) in before]
    # the runner holds no result: a copy's source is read back from the store
    assert len(before) < 20 and len(after) == 20 - len(before) and of_stored
    for r in of_stored:
        source = ran_before[r.params["slow"]]
        assert r.worker == f"repeat of {source.number}"
        assert (r.status, r.stats, r.objective) == (source.status, source.stats, source.objective)
    returns = trial_returns(goog_db, study)  # the copy's returns too: PBO and DSR need them
    for r in of_stored:
        source_returns = returns[int(r.worker.removeprefix("repeat of "))]
        assert len(source_returns) and np.array_equal(returns[r.number], source_returns)


def test_repeats_in_one_run_store_their_returns_so_the_overfitting_statistics_hold(
    goog_db: Database,
) -> None:
    """A set asked again copies its first run's returns (read back from the unstored batch
    or the store): a repeat without them made the robustness summary refuse DSR and PBO."""
    spec = sma_spec(["fast=10", "slow=20:40:10"], method="tpe", n_trials=12, seed=3)
    study = StudyRunner(goog_db, spec, workers=1).run().study_id
    trials = stored_trials(goog_db, study)
    assert any(t.worker.startswith("repeat of ") for t in trials)
    returns = trial_returns(goog_db, study)
    assert {t.number for t in trials if t.status == "completed"} <= set(returns)
    summary = study_robustness(goog_db, study)
    assert summary.deflated is not None and summary.overfitting is not None, summary.notes


def test_nsga2_gives_a_pareto_front_of_two_objectives(goog_db: Database) -> None:
    dims, fixed = parse_space(SMA.params, ["fast=2:50", "slow=51:200"])
    objectives = (Objective("Return [%]"), Objective("Max. Drawdown [%]"))
    spec = StudySpec(
        "SmaCross",
        "built-in",
        ("GOOG",),
        "day",
        dims,
        objectives,
        fixed,
        method="nsga2",
        n_trials=10,
        seed=1,
    )
    summary = StudyRunner(goog_db, spec, workers=2).run()
    rows = stored_trials(goog_db, summary.study_id)
    front = pareto_front(rows, spec)
    assert front and len(rows) == 10
    for t in front:  # nobody is at least as good on both and better on one
        assert not any(
            o.objective[0] >= t.objective[0]
            and o.objective[1] >= t.objective[1]
            and o.objective != t.objective
            for o in rows
            if o.status == "completed"
        )


def test_a_study_whose_bars_changed_does_not_resume(goog_db: Database) -> None:
    summary = StudyRunner(goog_db, sma_spec(["fast=5:10:5", "slow=30"]), workers=1).run()
    goog_db.connection.execute(
        "UPDATE bars SET close = close + 1 WHERE ts_event_ns = ?", [parse_when("2010-01-04")]
    )
    with pytest.raises(StudyError, match=f"the bars of study {summary.study_id} changed"):
        StudyRunner.resume(goog_db, summary.study_id, workers=1).run()
    assert len(stored_trials(goog_db, summary.study_id)) == 2


def test_local_workers_lower_their_own_priority_not_their_parents(
    goog_db: Database, flaky: type[Strategy], flaky_file: Path
) -> None:
    spec = flaky_spec(flaky, flaky_file, ["mode=0,2"])
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    backend = LocalBackend(1, nice=5)
    backend.start(_data(goog_db, spec))
    try:
        backend.submit(0, {"mode": 0})
        results: list[TrialResult] = []
        deadline = time.monotonic() + 60
        while not results and time.monotonic() < deadline:
            results += backend.poll(0.1)  # a result: the worker has lowered itself
        assert [r.status for r in results] == [TrialStatus.COMPLETED]
        worker = backend._pool[0].process.pid
        assert os.getpriority(os.PRIO_PROCESS, worker) == min(19, mine + 5)
    finally:
        backend.close()
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine
