"""The Optimize view on its own: a small grid study run from it to the end on demo data (real
engine, worker processes and DuckDB), the live table, the heatmap's best cell, cancel, stored
studies reopened and resumed, and what the form refuses next to the field."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QRectF, Qt
from pytestqt.qtbot import QtBot

from ostdesk.engine.strategy_loader import load_strategies
from ostdesk.gui.config import ConfigDock
from ostdesk.gui.optimize import OptimizeView
from ostdesk.gui.optimize.study_thread import ROWS_MS
from ostdesk.gui.optimize.trials_model import SORT_ROLE
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.studies import TrialRow, get_study, stored_trials

STUDY_TIMEOUT_MS = 90_000
pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def demo_db(db: Database) -> Database:
    install_demo_data(db)
    return db


@pytest.fixture
def view(qtbot: QtBot, demo_db: Database) -> Iterator[OptimizeView]:
    """The view beside a strategy dock set to SmaCross on one demo symbol, two workers."""
    config = ConfigDock(demo_db)
    qtbot.addWidget(config)
    qtbot.waitUntil(lambda: config.data.summary is not None)
    config.select_strategy("SmaCross")
    config.set_symbols([DEMO_SYMBOLS[0]])
    view = OptimizeView(demo_db, config)
    qtbot.addWidget(view)
    view.form.workers.setValue(2)
    yield view
    assert view.shutdown()
    config.data.loader.wait()


def set_range(view: OptimizeView, name: str, low: str, high: str, step: str) -> None:
    row = view.form.ranges.rows[name]
    row.vary.setChecked(True)
    row.low.setText(low)
    row.high.setText(high)
    row.step.setText(step)


def small_grid(view: OptimizeView) -> None:
    """fast 5..20 x slow 30..60: 16 combinations, none pruned."""
    set_range(view, "fast", "5", "20", "5")
    set_range(view, "slow", "30", "60", "10")


def test_a_grid_study_runs_from_the_view_to_the_end_and_fills_the_table(
    qtbot: QtBot, view: OptimizeView, demo_db: Database
) -> None:
    small_grid(view)
    assert view.form.size_label.text() == "16 combinations, each a trial"
    batches: list[int] = []
    view.study_thread.trialsReady.connect(lambda rows: batches.append(len(rows)))
    shown: list[tuple[int, int]] = []
    view.studyProgress.connect(lambda done, planned: shown.append((done, planned)))
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as done:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
        assert not view.start_button.isEnabled() and view.cancel_button.isEnabled()
    summary = done.args[0]
    assert summary.status == "completed"
    assert view.model.rowCount() == 16
    assert sum(batches) == 16  # every trial reached the table once
    stored = stored_trials(demo_db, summary.study_id)
    assert {r.number for r in stored} == {r.number for r in view.model.rows}
    assert view.progress.value() == view.progress.maximum() == 16
    assert shown[-1] == (16, 16)  # the status bar's progress follows the study
    assert "16 / 16 trials" in view.progress_label.text()
    assert view.start_button.isEnabled() and not view.cancel_button.isEnabled()
    # every statistic has a column, and sorting by the objective puts the best first
    column = view.model.columns.index("Sharpe Ratio")
    assert {"# Trades", "Return [%]", "Max. Drawdown [%]"} <= set(view.model.columns)
    view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    top = view.proxy.mapToSource(view.proxy.index(0, 0)).row()
    assert view.model.rows[top] is view.model.best


def test_trials_reach_the_table_at_most_four_times_a_second_and_all_before_the_end(
    qtbot: QtBot, view: OptimizeView
) -> None:
    set_range(view, "fast", "2", "20", "1")  # 19 x 4 cheap trials, finishing many a second
    set_range(view, "slow", "30", "60", "10")
    when: list[float] = []
    rows: list[int] = []
    view.study_thread.trialsReady.connect(
        lambda batch: (when.append(time.monotonic()), rows.append(len(batch)))
    )
    ended: list[int] = []
    view.studyFinished.connect(lambda _summary: ended.append(view.model.rowCount()))
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS):
        assert view.start()
    gaps = [b - a for a, b in itertools.pairwise(when[:-1])]  # the last batch: at the end
    assert len(when) >= 2 and min(gaps, default=ROWS_MS / 1000) >= ROWS_MS / 1000 - 0.005
    assert sum(rows) == ended[0] == 76


def test_the_tables_texts_are_of_the_study_shown_after_another_was(view: OptimizeView) -> None:
    dims, fixed = parse_space(load_strategies().get("SmaCross").params, ["fast=5:10:5"])
    spec = StudySpec("SmaCross", "built-in", ("X",), "day", dims, (Objective("Return [%]"),), fixed)
    one = TrialRow(0, {"fast": 5}, "completed", (1.0,), True, {"# Trades": 3.0}, None, 0.1, "a")
    other = dataclasses.replace(one, stats={"# Trades": 7.0}, worker="b")
    view.model.set_study(spec, [one])
    column = view.model.columns.index("# Trades")
    assert view.model.index(0, column).data() == "3"  # formatted once, then kept
    view.model.set_study(spec, [other])
    assert view.model.index(0, column).data() == "7"
    assert view.model.index(0, view.model.columns.index("Worker")).data() == "b"


def test_the_table_answers_an_invalid_index_with_nothing(view: OptimizeView) -> None:
    """The filter proxy passes invalid indexes on to the model: an empty study's table
    crashed the app, and one with trials answered with its last row's text."""
    assert view.proxy.data(QModelIndex()) is None  # no study yet
    dims, fixed = parse_space(load_strategies().get("SmaCross").params, ["fast=5:10:5"])
    spec = StudySpec("SmaCross", "built-in", ("X",), "day", dims, (Objective("Return [%]"),), fixed)
    row = TrialRow(0, {"fast": 5}, "completed", (1.0,), True, {"# Trades": 3.0}, None, 0.1, "a")
    view.model.set_study(spec, [row])
    assert view.model.data(QModelIndex()) is None
    assert view.proxy.data(QModelIndex()) is None


def test_the_heatmaps_best_cell_is_the_tables_best_trial(qtbot: QtBot, view: OptimizeView) -> None:
    small_grid(view)
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS):
        assert view.start()
    view.tabs.setCurrentWidget(view.heatmap)
    grid = view.heatmap.grid
    assert grid is not None and grid.best is not None
    assert grid.x_labels == ("5", "10", "15", "20") and grid.y_labels == ("30", "40", "50", "60")
    best = view.model.best
    assert best is not None
    ix, iy = grid.best
    assert (grid.x_labels[ix], grid.y_labels[iy]) == (
        str(best.params["fast"]),
        str(best.params["slow"]),
    )
    assert grid.z[iy, ix] == best.stats["Sharpe Ratio"]
    rect = view.heatmap.best_box.rect()
    assert QRectF(ix, iy, 1, 1).contains(rect) and rect.width() > 0.8
    assert view.heatmap.best_box.isVisible()
    assert "Best Sharpe Ratio" in view.heatmap.summary.text()


def test_a_study_takes_the_docks_leverage_cap(qtbot: QtBot, view: OptimizeView) -> None:
    small_grid(view)
    view.config.account.leverage_spin.setValue(2.0)
    cls = view.config.strategy()
    assert cls is not None
    spec = view.form.spec(cls, view.config.strategy_source(), view.config.saved_config())
    assert spec.max_leverage == 2.0


def test_each_heatmap_cell_shows_its_value_at_its_centre(qtbot: QtBot, view: OptimizeView) -> None:
    small_grid(view)
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS):
        assert view.start()
    view.tabs.setCurrentWidget(view.heatmap)
    grid = view.heatmap.grid
    assert grid is not None
    texts = {(x, y): text for x, y, text in view.heatmap.texts.cells}
    finite = list(zip(*np.nonzero(np.isfinite(grid.z)), strict=True))
    assert len(texts) == len(finite) > 0
    for iy, ix in finite:
        assert texts[(ix + 0.5, iy + 0.5)] == f"{grid.z[iy, ix]:.3g}"
    assert not view.heatmap.plot.grab().isNull()  # painted (an error in paint fails the test)


def test_cancel_stops_the_study_and_it_resumes_without_running_stored_trials(
    qtbot: QtBot, view: OptimizeView, demo_db: Database
) -> None:
    set_range(view, "fast", "2", "20", "1")
    set_range(view, "slow", "30", "120", "10")  # 190 trials: far from done when cancelled
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as done:
        assert view.start()
        qtbot.waitUntil(lambda: view.model.rowCount() >= 2, timeout=STUDY_TIMEOUT_MS)
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    summary = done.args[0]
    assert summary.status == "cancelled"
    first = {r.number for r in stored_trials(demo_db, summary.study_id)}
    assert 2 <= len(first) < 190
    # the line says where it stopped, and no time left (it kept "ETA 1:05:15")
    text = view.progress_label.text()
    assert text.startswith(f"cancelled at {summary.progress.done} / 190 trials"), text
    assert "ETA" not in text and "cancelling" not in text
    assert get_study(demo_db, summary.study_id)["status"] == "cancelled"

    view.studies.refresh()
    qtbot.waitUntil(
        lambda: (
            {r["study_id"]: r["status"] for r in view.studies.rows}.get(summary.study_id)
            == "cancelled"
        )
    )
    view.studies.select(summary.study_id)
    assert view.studies.resume_button.isEnabled()
    seen: list[int] = []
    view.study_thread.trialsReady.connect(lambda rows: seen.extend(r.number for r in rows))
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as resumed:
        qtbot.mouseClick(view.studies.resume_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: len(seen) >= 1 or bool(view.reason.text()), timeout=STUDY_TIMEOUT_MS
        )
        assert not view.reason.text()
        view.cancel()
    assert resumed.args[0].study_id == summary.study_id
    assert not first & set(seen)  # no stored trial ran again
    assert view.model.rowCount() == len(first) + len(seen)  # stored ones shown, then the new


def test_a_stored_study_reopens_with_its_trials(qtbot: QtBot, view: OptimizeView) -> None:
    small_grid(view)
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as done:
        assert view.start()
    study_id = done.args[0].study_id
    view.model.set_study(None)
    qtbot.waitUntil(lambda: any(r["study_id"] == study_id for r in view.studies.rows))
    view.open_study(study_id)
    qtbot.waitUntil(lambda: view.model.rowCount() == 16)
    assert view.study_id == study_id
    assert "completed" in view.title.text()


def test_an_empty_space_is_refused_next_to_the_parameters(view: OptimizeView) -> None:
    for row in view.form.ranges.rows.values():
        row.vary.setChecked(False)
    assert view.form.ranges.error.text() == "Tick at least one parameter to vary"
    assert view.form.ranges.error.isVisibleTo(view)
    assert not view.start_button.isEnabled()
    assert not view.start() and view.model.rowCount() == 0


def test_an_invalid_range_is_refused_under_its_row(view: OptimizeView) -> None:
    set_range(view, "fast", "50", "10", "5")
    row = view.form.ranges.rows["fast"]
    assert "the range is empty" in row.error.text() and row.error.isVisibleTo(view)
    assert not view.start_button.isEnabled()
    assert not view.start()
    set_range(view, "fast", "1", "10", "1")  # fast declares min=2
    assert "fast" in row.error.text() or "2" in row.error.text()
    set_range(view, "fast", "5", "10", "x")
    assert "must be numbers" in row.error.text()
    set_range(view, "fast", "5", "10", "5")
    assert not row.error.isVisibleTo(view) and view.start_button.isEnabled()


def test_a_constraint_that_cannot_be_read_is_refused_beside_it(view: OptimizeView) -> None:
    view.form.constraints.setText("# Trades >= thirty")
    assert "is not a number" in view.form.constraints_error.text()
    assert not view.start_button.isEnabled()
    view.form.constraints.setText("# Trades >= 3")
    assert view.form.constraints_error.isHidden() and view.start_button.isEnabled()


def test_the_filter_keeps_rows_meeting_its_conditions(qtbot: QtBot, view: OptimizeView) -> None:
    small_grid(view)
    with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS):
        assert view.start()
    view.filter.setText("fast >= 15, slow < 50")
    kept = {
        (
            view.model.rows[view.proxy.mapToSource(view.proxy.index(i, 0)).row()].params["fast"],
            view.model.rows[view.proxy.mapToSource(view.proxy.index(i, 0)).row()].params["slow"],
        )
        for i in range(view.proxy.rowCount())
    }
    assert kept == {(15, 30), (15, 40), (20, 30), (20, 40)}
    view.filter.setText("nonsense > 3")
    assert view.filter_error.text() == "no column 'nonsense'"
    assert view.proxy.index(0, 0).data(SORT_ROLE) is not None


def test_a_study_a_crash_left_running_is_shown_interrupted_and_resumes_to_the_end(
    qtbot: QtBot, demo_db: Database
) -> None:
    from ostdesk.engine.events import BarPeriod
    from ostdesk.engine.strategy_loader import load_strategies
    from ostdesk.research.space import parse_space
    from ostdesk.research.spec import Objective, StudySpec
    from ostdesk.store.runs import data_fingerprint
    from ostdesk.store.studies import create_study

    sma = load_strategies().get("SmaCross")
    dims, _ = parse_space(sma.params, ["fast=5:20:5", "slow=30:60:10"])
    spec = StudySpec(
        "SmaCross", "built-in", (DEMO_SYMBOLS[0],), "minute", dims, (Objective("Sharpe Ratio"),)
    )
    study_id = create_study(  # as a process that died mid-study leaves it
        demo_db,
        name="crashed",
        strategy="SmaCross",
        method="grid",
        objectives="max Sharpe Ratio",
        spec=spec.to_json(),
        fingerprint=data_fingerprint(
            demo_db.connection, spec.symbols, BarPeriod.MINUTE, None, None
        ),
        backend="local",
        workers=2,
        planned=16,
    )
    config = ConfigDock(demo_db)
    qtbot.addWidget(config)
    view = OptimizeView(demo_db, config)
    qtbot.addWidget(view)
    view.form.workers.setValue(2)
    try:
        qtbot.waitUntil(lambda: [r["status"] for r in view.studies.rows] == ["interrupted"])
        view.studies.select(study_id)
        assert view.studies.resume_button.isEnabled()
        with qtbot.waitSignal(view.studyFinished, timeout=STUDY_TIMEOUT_MS) as done:
            view.studies.resume_button.click()
        assert done.args[0].study_id == study_id and done.args[0].status == "completed"
        assert view.model.rowCount() == 16
        assert get_study(demo_db, study_id)["status"] == "completed"
    finally:
        assert view.shutdown()
        config.data.loader.wait()


def test_opening_a_stored_study_loads_its_set_up_into_the_form(
    qtbot: QtBot, view: OptimizeView, demo_db: Database
) -> None:
    from ostdesk.engine.events import BarPeriod
    from ostdesk.research.space import parse_space
    from ostdesk.research.spec import Constraint, Objective, StudySpec
    from ostdesk.store.runs import data_fingerprint
    from ostdesk.store.studies import create_study

    sma = view.config.strategy()
    assert sma is not None
    dims, _ = parse_space(sma.params, ["fast=3:9:3", "fraction=0.5:0.9:0.2"])
    spec = StudySpec(
        "SmaCross",
        "built-in",
        (DEMO_SYMBOLS[1],),
        "minute",
        dims,
        (Objective("Return [%]"), Objective("Max. Drawdown [%]", minimize=True)),
        fixed={"slow": 45},
        constraints=(Constraint.parse("# Trades >= 5"),),
        method="random",
        n_trials=7,
        capital=50_000.0,
    )
    study_id = create_study(
        demo_db,
        name="stored",
        strategy="SmaCross",
        method="random",
        objectives="max Return [%], min Max. Drawdown [%]",
        spec=spec.to_json(),
        fingerprint=data_fingerprint(
            demo_db.connection, spec.symbols, BarPeriod.MINUTE, None, None
        ),
        backend="local",
        workers=2,
        planned=7,
    )
    small_grid(view)  # the form shows another set-up
    view.open_study(study_id)
    qtbot.waitUntil(lambda: view.study_id == study_id and view.loaded_note.isVisibleTo(view))
    form = view.form
    assert form.ranges.varied() == ["fast", "fraction"]
    fast, fraction = form.ranges.rows["fast"], form.ranges.rows["fraction"]
    assert (fast.low.text(), fast.high.text(), fast.step.text()) == ("3", "9", "3")
    assert (fraction.low.text(), fraction.high.text(), fraction.step.text()) == (
        "0.5",
        "0.9",
        "0.2",
    )
    assert form.objectives() == spec.objectives
    assert form.parsed_constraints() == spec.constraints
    assert form.method_key() == "random" and form.trials.value() == 7
    assert view.config.data.symbols() == [DEMO_SYMBOLS[1]]
    assert view.config.form.values()["slow"] == 45
    assert view.config.account.capital() == 50_000.0
    assert f"study {study_id} loaded" in view.loaded_note.text()
    # Start now runs the study opened, on its data
    again = form.spec(sma, "built-in", view.config.saved_config())
    assert (again.space, again.objectives, again.symbols) == (
        spec.space,
        spec.objectives,
        spec.symbols,
    )
