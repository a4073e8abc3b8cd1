"""One trial in this process: its bars replayed from the worker's tape (built once per study)
give exactly the statistics streamed chunks give; a data set too large for a tape streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ostdesk.engine import bar_tape
from ostdesk.engine.bar_tape import BarTape
from ostdesk.engine.events import BarPeriod
from ostdesk.research import trial
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec, TrialStatus
from ostdesk.research.trial import StudyData, bars_of, run_trial
from ostdesk.store import Database
from ostdesk.store.market_data import bar_chunks, count_bars
from ostdesk.strategies.sma_cross import SmaCross


def _data(db: Database) -> StudyData:
    dims, fixed = parse_space(SmaCross.params, ["fast=5:15:5", "slow=30"])
    spec = StudySpec(
        "SmaCross", "built-in", ("GOOG",), "day", dims, (Objective("Sharpe Ratio"),), fixed
    )
    chunks = tuple(bar_chunks(db, spec.symbols, BarPeriod.DAY))
    return StudyData(spec, chunks, count_bars(db, spec.symbols, BarPeriod.DAY), {})


@pytest.fixture(autouse=True)
def _no_tape_kept() -> Iterator[None]:
    """Each test starts, and leaves, this process with no study's tape."""
    trial._tape = None
    yield
    trial._tape = None


def test_a_study_s_trials_share_one_tape_and_the_next_study_builds_its_own(
    goog_db: Database,
) -> None:
    data = _data(goog_db)
    tape = bars_of(data)
    assert isinstance(tape, BarTape) and tape.total_bars == data.total_bars == 2148
    assert bars_of(data) is tape
    other = _data(goog_db)
    assert bars_of(other) is not tape
    assert trial._tape is not None and trial._tape[0] is other  # the old one is not kept


def test_a_data_set_too_large_for_a_tape_streams_its_chunks(
    goog_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bar_tape, "TAPE_MAX_BARS", 2000)
    data = _data(goog_db)
    assert list(bars_of(data)) == list(data.chunks)  # type: ignore[arg-type]
    assert trial._tape is None


def test_a_trial_from_the_tape_has_the_statistics_of_one_streamed(
    goog_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data(goog_db)
    params = {"fast": 10, "slow": 30, "size": 1}
    taped = [run_trial(data, SmaCross, n, params)[0] for n in range(2)]
    monkeypatch.setattr(bar_tape, "TAPE_MAX_BARS", 0)
    streamed, usable = run_trial(data, SmaCross, 2, params)
    assert usable and streamed.status is TrialStatus.COMPLETED
    assert streamed.stats is not None and streamed.stats["# Trades"] > 10
    assert all(t.status is TrialStatus.COMPLETED for t in taped)
    assert all(t.stats == streamed.stats for t in taped)
    assert all((t.returns == streamed.returns).all() for t in taped)
