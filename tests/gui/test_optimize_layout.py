"""The Optimize view fits the dock a 1440x900 window gives it: the progress bar and "Record
the best as a run" stay inside its right edge, the heatmap keeps a readable height and its best
cell's border is whole on the top row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from ostdesk.gui.config import ConfigDock
from ostdesk.gui.optimize import OptimizeView
from ostdesk.gui.optimize.heatmap import MIN_PLOT_HEIGHT, HeatmapView
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.studies import TrialRow

pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def view(qtbot: QtBot, db: Database) -> Iterator[OptimizeView]:
    install_demo_data(db)
    config = ConfigDock(db)
    qtbot.addWidget(config)
    qtbot.waitUntil(lambda: config.data.summary is not None)
    config.select_strategy("SmaCross")
    config.set_symbols(list(DEMO_SYMBOLS[:2]))
    view = OptimizeView(db, config)
    qtbot.addWidget(view)
    yield view
    assert view.shutdown()
    config.data.loader.wait()


def spec_and_trials() -> tuple[StudySpec, list[TrialRow]]:
    """fast 5..20 x slow 30..60, the best trial (highest Sharpe) on the top row."""
    from ostdesk.engine.strategy_loader import load_strategies

    sma = load_strategies().get("SmaCross")
    dims, _ = parse_space(sma.params, ["fast=5:20:5", "slow=30:60:10"])
    spec = StudySpec(
        "SmaCross", "built-in", (DEMO_SYMBOLS[0],), "minute", dims, (Objective("Sharpe Ratio"),)
    )
    trials = [
        TrialRow(
            number=n,
            params={"fast": fast, "slow": slow},
            status="completed",
            objective=(fast + slow,),
            feasible=True,
            stats={"Sharpe Ratio": float(fast + slow)},
            error=None,
            duration_s=0.1,
            worker="w",
        )
        for n, (fast, slow) in enumerate((f, s) for f in dims[0].values for s in dims[1].values)
    ]
    return spec, trials


def test_the_header_and_the_best_button_stay_inside_a_1440_wide_dock(
    qtbot: QtBot, view: OptimizeView
) -> None:
    view.resize(1440, 330)
    view.show()
    qtbot.waitExposed(view)
    for widget in (view.progress, view.best_button, view.tabs):
        right = widget.mapTo(view, QPoint(widget.width(), 0)).x()
        assert right < view.width(), widget
    assert view.progress.width() < view.width() // 2  # beside its line, not across the dock


def test_the_heatmap_keeps_a_readable_height_and_a_whole_best_border_on_the_top_row(
    qtbot: QtBot,
) -> None:
    heatmap = HeatmapView()
    qtbot.addWidget(heatmap)
    heatmap.resize(900, 200)  # what the QA's dock left it
    heatmap.show()
    qtbot.waitExposed(heatmap)
    spec, trials = spec_and_trials()
    heatmap.set_study(spec)
    best = max(trials, key=lambda t: t.objective[0])
    heatmap.set_trials(trials, best)
    grid = heatmap.grid
    assert grid is not None and grid.best == (3, 3)  # the top row
    assert heatmap.plot.height() >= MIN_PLOT_HEIGHT
    box = heatmap.best_box.rect()
    pen = heatmap.best_box.pen().widthF()
    (_, _), (_, top) = heatmap.plot.getPlotItem().viewRange()
    assert box.bottom() + pen / 2 <= top and box.bottom() + pen / 2 <= 4  # inside the cell
