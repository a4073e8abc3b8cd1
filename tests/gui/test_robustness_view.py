"""The Optimize view's robustness summary: the study's statistics with their definitions as
tooltips, from the trials in memory; a study with nothing to judge says why."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from ostdesk.gui.optimize.robustness import ROWS, RobustnessView
from ostdesk.research.overfitting import DEFINITIONS, probability_of_overfitting
from ostdesk.research.robustness import robustness_of
from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.store.studies import TrialRow
from ostdesk.strategies.sma_cross import SmaCross

SPEC = StudySpec(
    strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
    space=(
        parse_dimension(SmaCross.params["fast"], "5:15:5"),
        parse_dimension(SmaCross.params["slow"], "20:60:20"),
    ),
    objectives=(Objective("Sharpe Ratio"),),
)  # fmt: skip


RETURNS = np.random.default_rng(5).normal(0.0005, 0.01, (400, 9))


def trials(status: str = "completed") -> list[TrialRow]:
    return [
        TrialRow(
            number=3 * i + j,
            params={"fast": fast, "slow": slow},
            status=status,
            objective=[sharpe],
            feasible=True,
            stats={"Sharpe Ratio": sharpe, "Duration": 3 * 365 * 86_400.0},
            error=None,
            duration_s=0.1,
            worker="w",
        )
        for i, fast in enumerate((5, 10, 15))
        for j, slow in enumerate((20, 40, 60))
        for sharpe in [0.2 + 0.3 * i - 0.2 * abs(j - 1) + (0.9 if (i, j) == (1, 1) else 0.0)]
    ]


@pytest.fixture
def view(qtbot: QtBot) -> RobustnessView:
    widget = RobustnessView()
    qtbot.addWidget(widget)
    widget.set_study(SPEC)
    return widget


def shown(view: RobustnessView) -> dict[str, str]:
    return {view.table.item(r, 0).text(): view.table.item(r, 1).text() for r in range(len(ROWS))}


def test_the_summary_shows_each_statistic_with_its_definition(
    qtbot: QtBot, view: RobustnessView
) -> None:
    rows = [dataclasses.replace(t, returns=tuple(RETURNS[:, k])) for k, t in enumerate(trials())]
    with qtbot.waitSignal(view.shown):
        view.set_trials(rows, None)
    expected = robustness_of(rows, Objective("Sharpe Ratio"), study_id=0, method="grid")
    assert expected.deflated is not None and expected.plateau is not None
    values = shown(view)
    assert values["Deflated Sharpe Ratio"] == f"{expected.deflated.dsr:.3f}"
    assert values["Plateau score"] == f"{expected.plateau.score:.2f} (8 neighbours)"
    assert "Best trial 4 (fast=10 slow=40) of 9 completed." in view.note.text()
    for r, name in enumerate(ROWS):
        assert view.table.item(r, 0).toolTip() == DEFINITIONS[name]
        assert view.table.item(r, 1).toolTip() == DEFINITIONS[name]


def test_without_stored_returns_the_dsr_and_pbo_are_not_available_and_the_note_says_why(
    qtbot: QtBot, view: RobustnessView
) -> None:
    with qtbot.waitSignal(view.shown):
        view.set_trials(trials(), None)
    values = shown(view)
    assert values["Deflated Sharpe Ratio"] == values["Probability of Backtest Overfitting"] == "n/a"
    assert values["Plateau score"] != "n/a"
    assert "DSR and PBO need every trial's per-period returns" in view.note.text()


def test_a_sampled_studys_plateau_counts_its_nearest_trials(
    qtbot: QtBot, view: RobustnessView
) -> None:
    view.set_study(dataclasses.replace(SPEC, method="random", n_trials=9))
    with qtbot.waitSignal(view.shown):
        view.set_trials(trials(), None)
    assert shown(view)["Plateau score"].endswith("(4 nearest trials)")  # 2 x 2 parameters


def test_a_study_without_a_completed_trial_says_why_and_shows_no_numbers(
    qtbot: QtBot, view: RobustnessView
) -> None:
    with qtbot.waitSignal(view.shown):
        view.set_trials(trials("failed"), None)
    assert set(shown(view).values()) == {"n/a"} and view.summary is None
    assert view.note.text() == (
        "The study has no completed, feasible trial with a value of Sharpe Ratio"
    )
    view.set_study(dataclasses.replace(SPEC))
    assert view.note.text().startswith("Run or open a study")


def test_trials_with_their_returns_show_the_pbo_computed_off_the_main_thread_latest_first(
    qtbot: QtBot, view: RobustnessView
) -> None:
    returns = RETURNS
    rows = [dataclasses.replace(t, returns=tuple(returns[:, k])) for k, t in enumerate(trials())]
    shown_pbo: list[str] = []
    view.shown.connect(lambda: shown_pbo.append(shown(view)["Probability of Backtest Overfitting"]))
    with qtbot.waitSignal(view.shown):
        view.set_trials(rows[:5], None)  # computing when the next batch comes
        view.set_trials(rows, None)
    qtbot.waitUntil(lambda: not view.busy)
    expected = probability_of_overfitting(returns, 16).pbo
    assert shown_pbo == [f"{expected:.2f}"]  # the older trials' summary is never shown
    assert view.summary is not None and view.summary.overfitting is not None
    assert view.summary.overfitting.pbo == expected


def test_a_short_study_shows_the_pbo_over_the_blocks_its_periods_allow(
    qtbot: QtBot, view: RobustnessView
) -> None:
    returns = RETURNS[:19]  # 16 blocks would need 32 periods: 8 blocks of 2 or 3
    rows = [dataclasses.replace(t, returns=tuple(returns[:, k])) for k, t in enumerate(trials())]
    with qtbot.waitSignal(view.shown):
        view.set_trials(rows, None)
    expected = probability_of_overfitting(returns, 8).pbo
    assert shown(view)["Probability of Backtest Overfitting"] == f"{expected:.2f}"
    assert "PBO over 8 blocks: the most, up to 16, with at least 2 of the 19" in view.note.text()
