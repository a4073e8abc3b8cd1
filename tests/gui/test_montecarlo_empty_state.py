"""The Monte Carlo tab shows charts only of the run it names: none (an empty state, not
placeholder axes) before Run, and none of the previous run once another is opened; its
histograms keep their titles whole."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

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
