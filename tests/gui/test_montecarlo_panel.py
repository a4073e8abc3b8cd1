"""Run details' Monte Carlo tab on real recorded runs: the fan chart and histograms show the
simulation of the run's stored round trips, computed off the GUI thread; a run it cannot
resample says why."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from ostdesk.gui.runs import RunDetails, RunWorker
from ostdesk.gui.runs.montecarlo import MonteCarloPanel
from ostdesk.research import montecarlo
from ostdesk.research.montecarlo import run_montecarlo
from ostdesk.store import Database
from tests.gui.test_runs_browser import insert_runs, real_db, real_runs_template  # noqa: F401
from tests.gui.test_runs_details import worker  # noqa: F401 - the run worker on real_db


@pytest.fixture
def panel(qtbot: QtBot, worker: RunWorker) -> Iterator[MonteCarloPanel]:  # noqa: F811
    widget = MonteCarloPanel(worker)
    qtbot.addWidget(widget)
    yield widget
    widget.wait()


def run_panel(qtbot: QtBot, panel: MonteCarloPanel) -> object:
    with qtbot.waitSignal(panel.computed, timeout=20_000) as signal:
        panel.run_button.click()
    return signal.args[0]


def test_the_fan_and_histograms_show_the_simulation_of_the_runs_stored_trades(
    qtbot: QtBot,
    panel: MonteCarloPanel,
    real_db: Database,  # noqa: F811
) -> None:
    panel.set_run(2)
    panel.paths.setValue(2_000)
    panel.seed.setValue(9)
    panel.method.setCurrentIndex(panel.method.findData("permutation"))
    panel.ruin.setValue(5.0)
    shown = run_panel(qtbot, panel)
    expected = run_montecarlo(real_db, 2, paths=2_000, seed=9, method="permutation", ruin_pct=5)
    assert np.array_equal(shown.max_drawdown_pct, expected.max_drawdown_pct)
    x, median = panel._band_curves[2].getData()
    assert np.array_equal(x, expected.steps) and np.array_equal(median, expected.bands[2])
    assert np.array_equal(panel._run_curve.getData()[1], expected.actual)
    _, counts = panel._drawdown_hist.getData()
    assert counts.sum() == 2_000
    assert "Risk of ruin (losing 5% of the capital)" in panel.status.text()
    assert f"{expected.summary()['risk_of_ruin_pct']:.2f}% of paths" in panel.status.text()
    dd = expected.summary()["max_drawdown_pct"]["closed_trades_of_the_run"]
    assert f"(closed trades of the run: {dd:.1f}%)" in panel.status.text()
    assert "(the run:" not in panel.status.text()  # it is not the run's Max. Drawdown
    assert "differ from the run's Max. Drawdown and Return" in panel.status.text()


def test_the_simulation_runs_off_the_gui_thread_while_the_window_keeps_working(
    qtbot: QtBot, panel: MonteCarloPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel's simulate() runs on another thread, and GUI timers fire meanwhile."""
    simulated_on: list[threading.Thread] = []
    real = montecarlo.simulate
    ticks: list[int] = []
    ticked = threading.Event()

    def spy(*args: object, **kwargs: object) -> object:
        simulated_on.append(threading.current_thread())
        assert ticked.wait(10)  # the GUI thread runs its timers while this one computes
        return real(*args, **kwargs)  # type: ignore[arg-type]

    def tick() -> None:
        ticks.append(1)
        if len(ticks) >= 3:
            ticked.set()

    monkeypatch.setattr("ostdesk.gui.runs.montecarlo.simulate", spy)
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    panel.set_run(1)
    panel.paths.setValue(500)
    run_panel(qtbot, panel)
    timer.stop()
    assert simulated_on and simulated_on[0] is not threading.main_thread()
    assert panel.run_button.isEnabled() and not panel.busy


def test_a_run_without_round_trips_says_why_it_cannot_be_resampled(
    qtbot: QtBot,
    panel: MonteCarloPanel,
    real_db: Database,  # noqa: F811
) -> None:
    insert_runs(real_db, 1)  # run 4: no trades recorded
    panel.set_run(4)
    with qtbot.waitSignal(panel.failed, timeout=10_000) as signal:
        panel.run_button.click()
    assert "run 4: the run has no round trip: a Monte Carlo needs at least two" in signal.args[0]
    assert panel.status.text().startswith("Cannot resample: run 4")
    assert panel.run_button.isEnabled()


def test_a_result_for_a_run_no_longer_shown_is_dropped(
    qtbot: QtBot, panel: MonteCarloPanel
) -> None:
    panel.set_run(1)
    panel.paths.setValue(500)
    panel.run_button.click()
    panel.set_run(3)  # before run 1's result arrives
    shown = run_panel(qtbot, panel)
    assert panel.result is shown and panel.run_id == 3
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in panel._threads), timeout=10_000)
    assert panel.result is shown  # run 1's late result did not replace it


def test_run_details_has_a_monte_carlo_tab_for_the_run_it_shows(
    qtbot: QtBot,
    worker: RunWorker,  # noqa: F811
) -> None:
    details = RunDetails(worker)
    qtbot.addWidget(details)
    with qtbot.waitSignal(details.loaded, timeout=10_000):
        details.load(2)
    tab = details.tabs.indexOf(details.montecarlo)
    assert details.tabs.tabText(tab) == "Monte Carlo"
    assert details.montecarlo.run_id == 2 and details.montecarlo.run_button.isEnabled()
    details.clear()
    assert details.montecarlo.run_id is None and not details.montecarlo.run_button.isEnabled()
