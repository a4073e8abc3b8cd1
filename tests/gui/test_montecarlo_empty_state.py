"""The Monte Carlo tab shows charts only of the run it names: none (an empty state, not
placeholder axes) before Run, and none of the previous run once another is opened; its
histograms keep their titles whole; its plots are built only when the tab first shows."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ostdesk.gui.runs import RunDetails, RunWorker
from ostdesk.gui.runs.montecarlo import MonteCarloPanel
from ostdesk.store import Database
from tests.gui.test_montecarlo_panel import panel, run_panel  # noqa: F401
from tests.gui.test_runs_browser import insert_runs, real_db, real_runs_template  # noqa: F401
from tests.gui.test_runs_details import worker  # noqa: F401


def test_no_charts_until_run_and_none_of_the_previous_run_after_another_opens(
    qtbot: QtBot,
    panel: MonteCarloPanel,  # noqa: F811
    real_db: Database,  # noqa: F811
) -> None:
    panel.set_run(2)
    assert panel.pages.currentWidget() is panel.empty_state  # no -400..400 axes
    panel.paths.setValue(500)
    run_panel(qtbot, panel)
    assert panel.pages.currentWidget() is panel.charts
    panel.set_run(1)
    assert panel.pages.currentWidget() is panel.empty_state
    assert len(panel._band_curves[2].getData()[0] or []) == 0
    run_panel(qtbot, panel)
    assert panel.pages.currentWidget() is panel.charts


def test_the_histograms_are_never_narrower_than_their_titles(
    qtbot: QtBot,
    panel: MonteCarloPanel,  # noqa: F811
) -> None:
    panel.resize(480, 300)  # a narrow dock cut "Max drawdown (%)" to "Max drawdowr"
    panel.show()
    qtbot.waitExposed(panel)
    for plot in (panel.drawdowns, panel.returns):
        title = plot.getAxis("bottom").label.boundingRect().width()
        assert plot.width() > title + 40


def test_the_plots_are_built_when_the_tab_first_shows_not_with_run_details(
    qtbot: QtBot,
    worker: RunWorker,  # noqa: F811
) -> None:
    details = RunDetails(worker)
    qtbot.addWidget(details)
    details.show()
    qtbot.waitExposed(details)
    with qtbot.waitSignal(details.loaded, timeout=10_000):
        details.load(2)
    mc = details.montecarlo
    assert mc.charts is None  # the Trades tab in front: ~60 ms of every start saved
    details.tabs.setCurrentWidget(mc)
    assert mc.charts is not None and mc.pages.currentWidget() is mc.empty_state
    mc.paths.setValue(500)
    run_panel(qtbot, mc)
    assert mc.pages.currentWidget() is mc.charts
    assert len(mc._band_curves[2].getData()[0]) > 0
    mc.wait()
