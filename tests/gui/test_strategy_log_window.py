"""A strategy's messages in the window: the log dock while the run goes, Run details' Log tab
for an opened run, and the replay's log up to its cursor (never ahead, never twice)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.log_echo import format_log_line
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.gui.blotter import Blotters
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.main_window import MainWindow
from ostdesk.gui.replay.controller import ReplayController
from ostdesk.gui.replay.log_view import REPLAY_LOG_LINES, ReplayLogView
from ostdesk.gui.replay.messages import RunMessages
from ostdesk.store import Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.runs import run_log_count, run_logs
from tests.gui.test_main_window import RUN_TIMEOUT_MS, window_running

pytestmark = pytest.mark.usefixtures("isolated_settings")


class Narrator(Strategy):
    """Logs once in setup, on every 1,000th bar of each symbol, and at the end."""

    def setup(self) -> None:
        self.log("starting")

    def on_bar(self, bar: BarReceived) -> None:
        if len(self.close) % 1_000 == 0:
            self.log(f"{len(self.close)} bars of {bar.symbol}, close {bar.close:.2f}")

    def on_stop(self) -> None:
        self.log("the end")


def recorded_lines(db: Database, run_id: int) -> list[str]:
    """The run's messages as the window writes them (several symbols: each names its own)."""
    rows = run_logs(db, run_id)
    return [
        format_log_line(ts, sid, symbol, message, with_symbol=True)
        for ts, sid, symbol, message in zip(
            rows["ts"].tolist(), rows["strategy_id"], rows["symbol"], rows["message"], strict=True
        )
    ]


def run_in_window(qtbot: QtBot, db: Database) -> tuple[MainWindow, int]:
    window = window_running(qtbot, db, Narrator)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        assert window.start_run() is not None
    run = finished.args[0]
    assert run.status is RunStatus.COMPLETED, run.error
    return window, run.recording.run_id


def test_a_live_runs_messages_reach_the_log_dock_with_bar_time_strategy_and_symbol(
    qtbot: QtBot, db: Database
) -> None:
    window, run_id = run_in_window(qtbot, db)
    expected = recorded_lines(db, run_id)
    assert len(expected) == 2 + 5 * 7  # setup, 7 per symbol (7,800 bars each), on_stop
    assert expected[1].startswith("2024-") and " Narrator [" in expected[1]
    dock = window.log_view.toPlainText().splitlines()
    # each strategy line: its run, then the message's line (its bar's time, not the clock's)
    mine = f"run {run_id} · "
    assert [line.removeprefix(mine) for line in dock if line.startswith(mine)] == expected
    assert not [line for line in dock if re.match(r"\d\d:\d\d:\d\d  .*Narrator:", line)]
    window.close()


def test_the_log_dock_says_which_run_started_before_its_messages(
    qtbot: QtBot, db: Database
) -> None:
    window, run_id = run_in_window(qtbot, db)
    dock = window.log_view.toPlainText().splitlines()
    symbols = ", ".join(window.config_panel.config().symbols)
    started = [
        i
        for i, line in enumerate(dock)
        if line.endswith(f"  run {run_id} started: Narrator on {symbols}")
    ]
    first_message = next(i for i, line in enumerate(dock) if line.startswith(f"run {run_id} · "))
    assert len(started) == 1 and started[0] < first_message
    assert "UTC" in window.log_view.placeholderText() and "UTC" in window.log_view.toolTip()
    window.close()


def test_an_opened_run_lists_its_messages_in_run_details_under_its_run(
    qtbot: QtBot, db: Database
) -> None:
    window, run_id = run_in_window(qtbot, db)
    window.run_details.clear()
    window.open_run(run_id)
    details = window.run_details
    qtbot.waitUntil(lambda: details.log_view.lines == recorded_lines(db, run_id))
    assert f"Run {run_id}" in details.header.text()
    tabs = details.tabs
    assert (
        tabs.tabText(tabs.indexOf(details.log_page)) == f"Log ({len(recorded_lines(db, run_id))})"
    )
    window.close()


def test_export_log_writes_every_message_of_the_run_shown(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    window, run_id = run_in_window(qtbot, db)
    window.open_run(run_id)
    details = window.run_details
    qtbot.waitUntil(details.export_log_button.isEnabled)
    out = tmp_path / "log.csv"
    with qtbot.waitSignal(details.logExported, timeout=RUN_TIMEOUT_MS) as said:
        details.export_log(out)
    count = run_log_count(db, run_id)
    assert said.args[0] == f"wrote {count:,} messages to {out}" == details.export_status.text()
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["message"] for r in rows] == list(run_logs(db, run_id)["message"])
    with qtbot.waitSignal(details.logExported, timeout=RUN_TIMEOUT_MS) as said:
        details.export_log(tmp_path / "log.txt")  # no format: refused in one line, no file
    assert "cannot tell the format" in details.export_status.text()
    assert not (tmp_path / "log.txt").exists() and details.export_log_button.isEnabled()
    window.close()


def test_the_replay_shows_each_message_once_its_bar_is_reached_and_only_once(
    qtbot: QtBot, db: Database
) -> None:
    symbols = tuple(install_demo_data(db)[:2])
    config = BacktestConfig(strategy=Narrator, symbols=symbols, period=BarPeriod.MINUTE)
    run = prepare_backtest(db, config).run()
    run_id = run.recording.run_id
    chart, blotters = ChartWidget(), Blotters()
    qtbot.addWidget(chart)
    qtbot.addWidget(blotters)
    replay = ReplayController(db, chart, blotters)
    qtbot.addWidget(replay.log_view)
    timeline = replay.open(run_id)
    rows = run_logs(db, run_id)
    lines = recorded_lines(db, run_id)

    def due(k: int) -> list[str]:
        """The lines of messages logged at or before bar ``k``."""
        return [line for ts, line in zip(rows["ts"], lines, strict=True) if ts <= timeline.ts[k]]

    view = replay.log_view
    assert view.lines == due(0) == lines[:1]  # only setup's message at the first bar
    first_bar = timeline.bar_at_or_before(int(rows["ts"][1]))
    replay.seek(first_bar - 1)
    assert view.lines == lines[:1]  # the bar before the first message's: not yet
    replay.step()
    assert view.lines == due(first_bar) == lines[:3]  # both symbols' 1,000th bars
    for k in (first_bar + 5, first_bar - 1, first_bar, 3_500, 100, 7_799, 2_000, 2_001):
        replay.seek(k)
        assert view.lines == due(k), k  # back and forth: never ahead, never twice
    replay.seek(timeline.last)
    assert view.lines == lines
    replay.close()


def test_a_replay_names_its_run_and_shows_its_log_beside_the_blotters(
    qtbot: QtBot, db: Database
) -> None:
    window, run_id = run_in_window(qtbot, db)
    window.resize(1366, 768)  # the blotters' least width and the log's fit
    replay_log, blotters = window.docks["replay_log"], window.docks["blotters"]
    blotters.raise_()  # the finished run raised Run details: the trader picks the blotters tab
    qtbot.waitUntil(lambda: blotters.width() > 1_000)  # laid out at that size
    before = window.status.message.text()
    window.replay_selected()  # the last run
    assert replay_log.windowTitle() == f"Replay log — run {run_id}"
    assert window.status.message.text() == f"Replaying run {run_id}"
    qtbot.waitUntil(lambda: replay_log.widget().isVisible() and blotters.widget().isVisible())
    qtbot.waitUntil(lambda: replay_log.width() > window.width() // 4)
    assert replay_log.geometry().left() > blotters.geometry().right()  # side by side
    window.open_run(run_id)  # leaves the replay
    assert replay_log.windowTitle() == "Replay log"
    assert window.status.message.text() == before
    window.close()


def test_the_replay_log_holds_the_latest_lines_before_the_cursor_whatever_the_moves(
    qtbot: QtBot,
) -> None:
    n = REPLAY_LOG_LINES * 3
    text = np.array([f"m{i}" for i in range(n)], dtype=object)
    messages = RunMessages(
        ts=np.arange(1, n + 1, dtype=np.int64) * 60_000_000_000,
        strategy_id=np.full(n, "S", dtype=object),
        symbol=np.full(n, "A", dtype=object),
        message=text,
    )
    view = ReplayLogView()
    qtbot.addWidget(view)
    view.reset(messages, 7)
    moves = (3, 5, 2, 0, 4, 4, REPLAY_LOG_LINES + 10, REPLAY_LOG_LINES + 3, n, n - 5, 100, 1)
    before = 0
    for count in moves:
        view.show_count(count)
        held = [line.rsplit(": ", 1)[1] for line in view.lines]
        # the latest messages up to the cursor, in order, none after it and none twice
        assert held == text[count - len(held) : count].tolist(), count
        assert len(held) <= REPLAY_LOG_LINES and (len(held) > 0) == (count > 0)
        if count > before:  # forward: as many as the view holds
            assert len(held) == min(count, REPLAY_LOG_LINES)
        before = count


def test_the_replay_log_shows_a_message_of_several_lines_as_one_line_whatever_the_moves(
    qtbot: QtBot,
) -> None:
    n = 40
    text = [f"m{i}\nsecond\r\nthird\u2029" if i % 2 else f"m{i}" for i in range(n)]
    messages = RunMessages(
        ts=np.arange(1, n + 1, dtype=np.int64) * 60_000_000_000,
        strategy_id=np.full(n, "S", dtype=object),
        symbol=np.full(n, "A", dtype=object),
        message=np.array(text, dtype=object),
    )
    shown = [f"m{i} ⏎ second ⏎ third" if i % 2 else f"m{i}" for i in range(n)]
    view = ReplayLogView()
    qtbot.addWidget(view)
    view.reset(messages, 7)
    for count in (3, 10, 7, 8, 2, 9, 30, 11, n, 1, 0, 6):
        view.show_count(count)
        # one line per message up to the cursor, its breaks marked: none past the cursor
        assert [line.split(": ", 1)[1] for line in view.lines] == shown[:count], count
        assert view.document().blockCount() == max(count, 1), count


def test_the_replay_log_keeps_its_latest_line_in_sight_from_its_start(qtbot: QtBot) -> None:
    n = REPLAY_LOG_LINES * 3
    messages = RunMessages(
        ts=np.arange(1, n + 1, dtype=np.int64) * 60_000_000_000,
        strategy_id=np.full(n, "S", dtype=object),
        symbol=np.full(n, "A", dtype=object),
        message=np.array([f"m{i} " + "x" * 200 for i in range(n)], dtype=object),
    )
    view = ReplayLogView()
    qtbot.addWidget(view)
    view.reset(messages, 7)
    view.show_count(5)  # while hidden, as a replay opens
    view.resize(100, 120)  # then shown narrower than a line
    view.show()
    qtbot.waitExposed(view)
    # a rebuild (a seek past what the view holds), a step forward, back, another rebuild
    for count in (
        5,
        REPLAY_LOG_LINES * 2,
        REPLAY_LOG_LINES * 2 + 10,
        REPLAY_LOG_LINES * 2 - 90,
        20,
    ):
        view.show_count(count)
        last = view.document().lastBlock()
        assert view.textCursor().block() == last, count
        assert view.viewport().rect().contains(view.cursorRect()), count  # in sight
        assert view.horizontalScrollBar().value() == 0, count  # from its start
