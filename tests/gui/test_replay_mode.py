"""Replay as a mode in the main window: the banner names the run, the status bar and title name
the same run, Exit replay / Esc / F6 leave it (F6 no longer restarts at bar 1), and opening another
run from Runs while replaying switches the replay to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from ostdesk.engine import events as ev
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.batches import RunProgress
from ostdesk.gui.main_window import MainWindow
from ostdesk.gui.replay.banner import run_title
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross
from ostdesk.timeparse import parse_when

pytestmark = pytest.mark.usefixtures("isolated_settings")
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int, int]]:
    """A database with two short recorded runs: SmaCross named "tuned" on two symbols, then
    an unnamed RsiReversion on one."""
    path = Path(tmp_path_factory.mktemp("replay-mode")) / "runs.duckdb"
    db = Database.open(path)
    symbols = tuple(install_demo_data(db)[:2])
    ids = []
    for strategy, on, name in ((SmaCross, symbols, "tuned"), (RsiReversion, symbols[:1], "")):
        config = BacktestConfig(
            strategy=strategy,
            symbols=on,
            period=ev.BarPeriod.MINUTE,
            end_ns=parse_when("2024-01-10"),
            name=name,
        )
        run = prepare_backtest(db, config)
        run.run()
        assert run.recording is not None and run.recording.run_id is not None, run.error
        ids.append(run.recording.run_id)
    db.close()
    yield path, ids[0], ids[1]


@pytest.fixture
def window(qtbot: QtBot, two_runs: tuple[Path, int, int]) -> Iterator[MainWindow]:
    db = Database.open(two_runs[0])
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    db.close()


def test_the_banner_names_the_run_and_the_status_bar_and_title_agree(
    window: MainWindow, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, _ = two_runs
    title = window.windowTitle()
    assert not window.replay_banner.isVisible()
    window.replay_run(sma)
    banner = window.replay_banner
    assert banner.isVisible()
    assert banner.text == f"Replaying run {sma} “tuned” · SmaCross on {', '.join(DEMO_SYMBOLS[:2])}"
    assert window.status.message.text() == f"Replaying run {sma}"
    assert window.windowTitle() == f"{title} — Replaying run {sma}"
    assert banner.exit_button.isVisible()
    assert window.replay_action.text() == "Exit re&play"


def test_a_run_without_a_name_is_titled_by_id_strategy_and_symbols() -> None:
    run = {"run_id": 7, "name": "", "strategy": "RsiReversion", "symbols": ["DEMO-ALPHA"]}
    assert run_title(run) == "run 7 · RsiReversion on DEMO-ALPHA"


def enter_replay(window: MainWindow, run_id: int) -> tuple[str, str]:
    """Replay ``run_id``; the title and status from before, which leaving must restore."""
    before = window.windowTitle(), window.status.message.text()
    window.replay_run(run_id)
    return before


def assert_left_replay(window: MainWindow, title: str, status: str) -> None:
    assert window.replay.timeline is None
    assert not window.replay_banner.isVisible()
    assert not window.replay_toolbar.isVisible()
    assert not window.docks["replay_log"].isVisible()
    assert window.windowTitle() == title
    assert window.status.message.text() == status
    assert window.replay_action.text() == "Re&play"


def test_exit_replay_leaves_the_mode_and_shows_the_run_whole(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, _ = two_runs
    title, status = enter_replay(window, sma)
    timeline = window.replay.timeline
    assert timeline is not None
    window.replay.seek(100)
    bars = sum(len(b.ts) for b in timeline.bars.values())
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        QTest.mouseClick(window.replay_banner.exit_button, Qt.MouseButton.LeftButton)
    assert_left_replay(window, title, status)
    assert window.chart.bar_count() == bars  # the whole run, not the replay's bar 101


def test_escape_leaves_replay(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, _ = two_runs
    title, status = enter_replay(window, sma)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.chart, Qt.Key.Key_Escape)
    assert_left_replay(window, title, status)
    QTest.keyClick(window.chart, Qt.Key.Key_Escape)  # nothing to leave: nothing happens
    assert window.replay.timeline is None


def test_f6_toggles_replay_and_never_restarts_it_at_bar_one(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, _ = two_runs
    title, status = window.windowTitle(), window.status.message.text()
    window.run_list.select_runs([sma])
    qtbot.waitUntil(lambda: window.run_list.selected_run_ids() == [sma], timeout=TIMEOUT_MS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.chart, Qt.Key.Key_F6)
    timeline = window.replay.timeline
    assert timeline is not None and timeline.run_id == sma
    window.replay.seek(250)
    QTest.keyClick(window.chart, Qt.Key.Key_F6)
    assert_left_replay(window, title, status)
    QTest.keyClick(window.chart, Qt.Key.Key_F6)
    assert window.replay.timeline is not None and window.replay.cursor == 0


def test_opening_another_run_from_runs_while_replaying_switches_to_it(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, rsi = two_runs
    title, status = enter_replay(window, sma)
    window.run_list.openRequested.emit(rsi)  # Runs > Open, Enter or a double click
    timeline = window.replay.timeline
    assert timeline is not None and timeline.run_id == rsi
    text = f"Replaying run {rsi} · RsiReversion on {DEMO_SYMBOLS[0]}"
    assert window.replay_banner.text == text
    assert window.status.message.text() == f"Replaying run {rsi}"
    assert window.windowTitle() == f"{title} — Replaying run {rsi}"
    assert window.replay_toolbar.isVisible()
    window.exit_replay()
    assert_left_replay(window, title, status)  # the title from before the first replay
    with qtbot.waitSignal(window.chart_loader.loaded, timeout=TIMEOUT_MS):
        window.run_list.openRequested.emit(sma)  # out of replay, Open opens
    assert window.replay.timeline is None


def test_the_status_bar_shows_the_replays_position_not_the_last_runs_speed(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, rsi = two_runs
    status = window.status
    status.show_progress(RunProgress(7, 1.0, 500, 500, 12_345.0, 0.04, "completed"))
    enter_replay(window, sma)
    timeline = window.replay.timeline
    assert timeline is not None
    assert not status.speed.isVisible() and not status.elapsed.isVisible()
    assert status.progress.text() == f"bar 1 of {len(timeline):,}"
    window.replay.seek(len(timeline) // 2)
    assert status.progress.text() == f"bar {len(timeline) // 2 + 1:,} of {len(timeline):,}"
    assert 400 <= status.progress.value() <= 600
    window.run_list.openRequested.emit(rsi)  # switching keeps the mode, with the new run's bars
    switched = window.replay.timeline
    assert switched is not None and status.progress.text() == f"bar 1 of {len(switched):,}"
    window.exit_replay()
    assert status.speed.isVisible() and status.speed.text() == "12,345 bars/s"
    assert status.progress.value() == status.progress.maximum()
    assert status.progress.text() == "100%"


def test_replay_in_the_runs_menu_replays_the_selected_run(
    window: MainWindow, qtbot: QtBot, two_runs: tuple[Path, int, int]
) -> None:
    _, sma, _ = two_runs
    window.run_list.select_runs([sma])
    qtbot.waitUntil(lambda: window.run_list.selected_run_ids() == [sma], timeout=TIMEOUT_MS)
    assert window.run_list.actions["replay"].isEnabled()
    window.run_list.actions["replay"].trigger()
    timeline = window.replay.timeline
    assert timeline is not None and timeline.run_id == sma
    assert window.replay_banner.isVisible()
