"""Replay on a real chart and real blotters: what they show at bar k is what the live run had
there, steps and seeks are exact, playback reaches the end, and the toolbar's keys work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QMainWindow
from pytestqt.qtbot import QtBot

from ostdesk.gui.blotter import Blotters
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.replay.controller import ReplayController
from ostdesk.gui.replay.toolbar import ReplayToolbar
from ostdesk.store.runs import UnknownRunError
from tests.gui.test_replay_timeline import (  # noqa: F401  (``runs`` is a fixture)
    Recorded,
    fill_rows,
    live_state,
    order_rows,
    probe_bars,
    runs,
)

PNG = "/tmp/ostdesk-replay.png"


@dataclass
class Replay:
    window: QMainWindow
    chart: ChartWidget
    blotters: Blotters
    controller: ReplayController
    toolbar: ReplayToolbar
    recorded: Recorded


def open_replay(qtbot: QtBot, recorded: Recorded) -> Replay:
    """``recorded`` open in replay in a window: toolbar, chart and blotters."""
    window = QMainWindow()
    chart, blotters = ChartWidget(), Blotters()
    window.setCentralWidget(chart)
    dock = QDockWidget("Blotters")
    dock.setWidget(blotters)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    controller = ReplayController(recorded.db, chart, blotters, window)
    toolbar = ReplayToolbar(controller)
    window.addToolBar(toolbar)
    window.resize(1300, 850)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller.open(recorded.run_id)
    return Replay(window, chart, blotters, controller, toolbar, recorded)


@pytest.fixture
def replay(qtbot: QtBot, runs: dict[str, Recorded]) -> Iterator[Replay]:  # noqa: F811
    """The RsiReversion run open in replay."""
    r = open_replay(qtbot, runs["rsi"])
    yield r
    r.controller.pause()


def shown(r: Replay) -> dict[str, object]:
    """Everything the chart and blotters show, as plain values."""
    chart, blotters = r.chart, r.blotters
    state: dict[str, object] = {
        "orders": order_rows(blotters.order_book),
        "fills": fill_rows(blotters.order_book.fills),
        "working rows": blotters.working_model.rowCount(),
        "positions": {
            s: (p.quantity, p.avg_price, p.realized_pnl, p.last_price)
            for s, p in blotters.account.portfolio.positions.items()
        },
        "cash": blotters.account.portfolio.cash,
        "peak": blotters.account.peak_equity,
        "equity": list(chart._equity.equity.view),
    }
    for symbol, data in chart._data.items():
        state[symbol] = (
            list(data.bars.ts.view),
            list(data.bars.close.view),
            {n: list(np.nan_to_num(s.values.view, nan=-1.0)) for n, s in data.indicators.items()},
            list(data.fills.ts.view),
            list(data.fills.price.view),
            list(data.round_trips.exit_ts),
            data.working_orders,
        )
    return state


def assert_live_state_at(r: Replay, k: int) -> None:
    """The chart and blotters show what the live run had at bar ``k``."""
    t = r.controller.timeline
    assert t is not None and r.controller.cursor == k
    cut = int(t.ts[k])
    live = live_state(r.recorded.live, cut, t.capital)
    blotters = r.blotters
    assert order_rows(blotters.order_book) == order_rows(live.book), f"bar {k}"
    assert fill_rows(blotters.order_book.fills) == fill_rows(live.book.fills)
    mine = blotters.account.portfolio
    theirs = live.account.portfolio
    assert mine.cash == theirs.cash
    assert {s: (p.quantity, p.avg_price, p.last_price) for s, p in mine.positions.items()} == {
        s: (p.quantity, p.avg_price, p.last_price) for s, p in theirs.positions.items()
    }
    working = {  # a market order has no price to draw a line at
        o.order_id
        for o in (live.book.orders[i] for i in live.book.working())
        if o.limit_price is not None or o.stop_price is not None
    }
    lines = set()
    for symbol in t.symbols:
        data = r.chart._data[symbol]
        assert list(data.bars.ts.view) == [b.ts_event_ns for b in live.bars.get(symbol, [])]
        live_fills = [f for f in live.book.fills if f.symbol == symbol]
        assert list(data.fills.ts.view) == [f.ts_event_ns for f in live_fills]
        assert list(data.fills.price.view) == [f.price for f in live_fills]
        processed = live.indicators.get(symbol, [])
        for name, series in data.indicators.items():
            want = [p.values[p.names.index(name)] for p in processed]
            np.testing.assert_array_equal(series.values.view, np.array(want, dtype=float))
        assert (data.round_trips.exit_ts <= cut).all()
        lines |= {o.order_id for o in data.working_orders}
    assert lines == working
    equity = r.chart._equity.equity.view
    assert len(equity) == k + 1
    assert equity[-1] == pytest.approx(live.account.equity, rel=1e-12)


def test_opening_shows_the_first_bar_only(replay: Replay) -> None:
    assert replay.controller.cursor == 0
    assert_live_state_at(replay, 0)
    assert replay.toolbar.slider.maximum() == len(replay.recorded.timeline) - 1


@pytest.mark.parametrize("name", ["rsi", "busy"])
def test_state_at_bar_k_equals_the_live_state_at_bar_k(
    qtbot: QtBot,
    runs: dict[str, Recorded],  # noqa: F811
    name: str,
) -> None:
    replay = open_replay(qtbot, runs[name])
    t = replay.recorded.timeline
    bars = probe_bars(t)[::3]
    for k in bars:  # forward moves, mostly incremental
        replay.controller.seek(k)
        assert_live_state_at(replay, k)
    for k in reversed(bars[:-1]):  # backward moves, rebuilt
        replay.controller.seek(k)
        assert_live_state_at(replay, k)


def test_a_working_order_is_drawn_while_it_works(replay: Replay) -> None:
    t = replay.recorded.timeline
    k = next(k for k in range(len(t)) if t.working_orders_at(k))
    order = t.working_orders_at(k)[0]
    replay.chart.set_current_symbol(order.symbol)
    replay.controller.seek(k)
    assert order.order_id in replay.chart.order_lines.lines
    replay.controller.seek(k - 1)
    assert order.order_id not in replay.chart.order_lines.lines


def test_step_back_then_forward_is_the_identity(replay: Replay) -> None:
    t = replay.recorded.timeline
    for k in (t.next_fill_bar(1000), t.next_fill_bar(5000), 2000):
        assert k is not None
        replay.controller.seek(k)
        before = shown(replay)
        replay.controller.step(-1)
        assert shown(replay) != before or k == 0
        replay.controller.step(1)
        assert shown(replay) == before


def test_stepping_back_equals_seeking_there_directly(replay: Replay) -> None:
    t = replay.recorded.timeline
    k = t.next_fill_bar(3000)
    assert k is not None
    replay.controller.seek(k + 5)
    for _ in range(6):
        replay.controller.step(-1)
    stepped = shown(replay)
    replay.controller.seek(0)
    replay.controller.seek(k - 1)
    assert shown(replay) == stepped


def test_seeking_to_the_end_shows_the_final_state(replay: Replay) -> None:
    t = replay.recorded.timeline
    replay.controller.seek(10**9)
    assert replay.controller.cursor == t.last
    assert_live_state_at(replay, t.last)
    assert len(replay.blotters.order_book.fills) == len(t.fills)
    final = replay.recorded.db.connection.execute(
        "SELECT equity_final FROM runs WHERE run_id = ?", [replay.recorded.run_id]
    ).fetchone()
    assert final is not None
    assert replay.blotters.account.equity == pytest.approx(final[0], rel=1e-12)


def test_playing_at_max_speed_reaches_the_end(replay: Replay, qtbot: QtBot) -> None:
    t = replay.recorded.timeline
    replay.controller.set_speed(None)
    stopped = qtbot.waitSignal(
        replay.controller.playingChanged, timeout=60_000, check_params_cb=lambda on: not on
    )
    with stopped:
        replay.controller.play()
        assert replay.controller.playing
    assert replay.controller.cursor == t.last
    assert_live_state_at(replay, t.last)


def test_playing_at_a_speed_never_runs_ahead_of_it(replay: Replay, qtbot: QtBot) -> None:
    replay.controller.set_speed(100)
    start = time.perf_counter()
    replay.controller.play()
    qtbot.waitUntil(lambda: replay.controller.cursor >= 20, timeout=10_000)
    elapsed = time.perf_counter() - start
    replay.controller.pause()
    assert not replay.controller.playing
    assert elapsed >= 0.95 * replay.controller.cursor / 100
    assert_live_state_at(replay, replay.controller.cursor)


def test_fill_navigation_jumps_between_fills(replay: Replay) -> None:
    t = replay.recorded.timeline
    fill_bars = sorted({int(b) for b in t.bar_at_or_before(t.fill_ts)})
    assert replay.controller.next_fill()
    assert replay.controller.cursor == fill_bars[0]
    assert replay.controller.next_fill()
    assert replay.controller.cursor == fill_bars[1]
    assert replay.controller.prev_fill()
    assert replay.controller.cursor == fill_bars[0]
    assert not replay.controller.prev_fill()


def test_keyboard_shortcuts_drive_the_replay(replay: Replay, qtbot: QtBot) -> None:
    window, controller = replay.window, replay.controller
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    target = replay.chart
    controller.seek(100)
    QTest.keyClick(target, Qt.Key.Key_Right)
    assert controller.cursor == 101
    QTest.keyClick(target, Qt.Key.Key_Left)
    QTest.keyClick(target, Qt.Key.Key_Left)
    assert controller.cursor == 99
    QTest.keyClick(target, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert controller.cursor == replay.recorded.timeline.next_fill_bar(99)
    controller.set_speed(1)
    QTest.keyClick(target, Qt.Key.Key_Space)
    assert controller.playing
    QTest.keyClick(target, Qt.Key.Key_Space)
    assert not controller.playing


def test_the_slider_seeks_and_shows_the_trades(replay: Replay, qtbot: QtBot) -> None:
    slider = replay.toolbar.slider
    slider.setValue(4000)
    assert replay.controller.cursor == 4000
    replay.controller.seek(10)
    assert slider.value() == 10
    slider.grab()
    assert slider.marks_painted > 0
    t = replay.recorded.timeline
    k = next(k for k in range(5000, len(t)) if t.working_orders_at(k))
    replay.chart.set_current_symbol(t.working_orders_at(k)[0].symbol)
    replay.controller.seek(k)
    replay.blotters.tabs.setCurrentWidget(replay.blotters.positions_view)
    replay.chart.refresh()  # the view work the event loop would do before painting
    replay.window.grab().save(PNG)


def test_go_to_date_seeks_to_the_bar_at_or_before_it(replay: Replay, qtbot: QtBot) -> None:
    t = replay.recorded.timeline
    edit = replay.toolbar.date_edit
    edit.setText("2024-01-17 15:03:30")
    edit.returnPressed.emit()
    k = replay.controller.cursor
    assert t.ts[k] == np.datetime64("2024-01-17T15:03", "ns").astype(np.int64)
    edit.setText("the 17th")
    with qtbot.waitSignal(replay.toolbar.goToFailed) as failed:
        edit.returnPressed.emit()
    assert "cannot read 'the 17th'" in failed.args[0]
    assert replay.controller.cursor == k


def test_the_symbol_selector_works_during_replay(replay: Replay) -> None:
    t = replay.recorded.timeline
    a, b = t.symbols
    replay.controller.seek(3000)
    replay.chart.set_current_symbol(b)
    assert len(replay.chart.price_item.bars) == t.bar_count(b, 3000)
    replay.controller.step(7)
    replay.controller.step(-3)
    assert replay.chart.current_symbol == b
    assert len(replay.chart.price_item.bars) == t.bar_count(b, 3004)
    replay.chart.set_current_symbol(a)
    assert len(replay.chart.price_item.bars) == t.bar_count(a, 3004)


def test_opening_a_missing_run_fails_and_keeps_the_replay(replay: Replay) -> None:
    replay.controller.seek(1234)
    before = shown(replay)
    with pytest.raises(UnknownRunError):
        replay.controller.open(424242)
    assert replay.controller.cursor == 1234
    assert shown(replay) == before


def test_a_speed_must_be_positive(replay: Replay) -> None:
    with pytest.raises(ValueError, match="positive bars per second, got 0"):
        replay.controller.set_speed(0)
    assert replay.controller.speed == 10


def test_closing_disables_the_toolbar(replay: Replay) -> None:
    replay.controller.close()
    assert not replay.toolbar.play_action.isEnabled()
    with pytest.raises(RuntimeError, match="no run is open"):
        replay.controller.seek(3)
