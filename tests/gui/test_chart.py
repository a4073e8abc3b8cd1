"""The live chart: data fed in batches lands in its items, level of detail, following the latest
bar, y fitting, trade overlays, symbols, and what a screenshot of it looks like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from ostdesk.gui.chart import lod
from ostdesk.gui.chart.axis import date_ticks
from ostdesk.gui.chart.navigation import RIGHT_MARGIN
from ostdesk.gui.chart.series import BarSeries, GrowableArray
from ostdesk.gui.chart.widget import ChartWidget
from ostdesk.gui.colors import market_colors

MINUTE = 60 * 10**9
T0 = int(np.datetime64("2024-03-04T14:30", "ns").astype(np.int64))
PNG = Path("/tmp/ostdesk-chart.png")


def make_bars(n: int, start: int = 0, seed: int = 1) -> tuple[np.ndarray, ...]:
    """``n`` one-minute bars from bar index ``start`` (a random walk around 100)."""
    rng = np.random.default_rng(seed + start)
    ts = T0 + (start + np.arange(n, dtype=np.int64)) * MINUTE
    close = 100 + np.cumsum(rng.normal(0, 0.3, n))
    open_ = close + rng.normal(0, 0.2, n)
    high = np.maximum(open_, close) + rng.uniform(0.05, 0.3, n)
    low = np.minimum(open_, close) - rng.uniform(0.05, 0.3, n)
    volume = rng.integers(100, 1000, n).astype(np.float64)
    return ts, open_, high, low, close, volume


@pytest.fixture
def chart(qtbot) -> ChartWidget:  # type: ignore[no-untyped-def]
    widget = ChartWidget()
    widget.resize(1000, 640)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def feed(chart: ChartWidget, n: int, batch: int = 50, symbol: str = "AAA") -> None:
    """Append ``n`` bars in batches, as the bridge does, then let the chart refresh."""
    for start in range(0, n, batch):
        chart.append_bars(symbol, *make_bars(min(batch, n - start), start))
    chart.refresh()


def painted(chart: ChartWidget) -> QImage:
    chart.refresh()
    return chart.grab().toImage()


def view_pixel(chart: ChartWidget, x: float, y: float) -> QPoint:
    """Viewport pixel of data point (x, y) in the price pane."""
    scene = chart.panes.price.vb.mapViewToScene(QPointF(x, y))
    return chart._view.mapFromScene(scene)


# -- Qt-free data and level of detail ---------------------------------------------------------


def test_growable_array_appends_in_place_and_hands_out_views() -> None:
    arr = GrowableArray(np.float64, capacity=16)
    reallocations = 0
    for i in range(1000):
        before = arr._data
        arr.extend(np.array([float(i)]))
        reallocations += arr._data is not before
    assert np.array_equal(arr.view, np.arange(1000.0))
    assert np.shares_memory(arr.view, arr._data)
    assert reallocations <= 7  # doubling: amortised O(1) per append


def test_bad_bars_are_rejected_and_stored_bars_stay() -> None:
    bars = BarSeries("AAA")
    bars.append(*make_bars(10))
    ts, o, h, low, c, v = make_bars(5, 20)
    ts[3] = ts[2]
    with pytest.raises(ValueError, match=r"'AAA'.*ts_ns\[3\]"):
        bars.append(ts, o, h, low, c, v)
    with pytest.raises(ValueError, match="does not follow the stored last ts"):
        bars.append(*make_bars(5, 0))
    c[1] = np.nan
    with pytest.raises(ValueError, match=r"close\[1\] is not finite"):
        bars.append(make_bars(5, 20)[0], o, h, low, c, v)
    assert len(bars) == 10


def test_merged_buckets_take_first_open_max_high_min_low_last_close() -> None:
    _, o, h, low, c, v = make_bars(1000)
    m = lod.merge_bars(o, h, low, c, v, 64, 1000, 32)
    assert len(m) == 30  # 936 bars: 29 full buckets and a partial one
    for k, first in enumerate(range(64, 1000, 32)):
        sl = slice(first, min(first + 32, 1000))
        assert m.open[k] == o[sl][0] and m.close[k] == c[sl][-1]
        assert m.high[k] == h[sl].max() and m.low[k] == low[sl].min()
        assert m.volume[k] == pytest.approx(v[sl].sum())
        assert m.x[k] == first + 15.5


def test_bucket_size_is_a_power_of_two_giving_each_bucket_enough_pixels() -> None:
    assert lod.bucket_size(100, 1000, 3) == 1
    b = lod.bucket_size(200_000, 1000, 3)
    assert b & (b - 1) == 0 and 200_000 / b * 3 <= 1000 < 200_000 / (b / 2) * 3


def test_date_labels_adapt_to_zoom() -> None:
    ts = T0 + np.arange(200_000, dtype=np.int64) * MINUTE
    zoomed_in = list(date_ticks(ts, 1000, 1100, 1000).values())
    zoomed_out = list(date_ticks(ts, 0, 200_000, 1000).values())
    assert all(":" in label or label[:3].isalpha() for label in zoomed_in)
    assert sum(":" in label for label in zoomed_in) >= 3
    assert not any(":" in label for label in zoomed_out)
    assert {"Apr", "May"} <= set(zoomed_out)


# -- feeding -----------------------------------------------------------------------------------


def test_batches_appended_land_in_the_price_and_volume_items(chart: ChartWidget) -> None:
    feed(chart, 120, batch=40)
    expected = make_bars(40, 80)
    bars = chart.price_item.bars
    assert bars is chart.volume_item.bars is not None
    assert len(bars) == 120
    assert np.array_equal(bars.close.view[80:], expected[4])
    assert np.array_equal(bars.volume.view[80:], expected[5])
    painted(chart)
    lo, hi = chart.x_range()
    visible = min(120, int(hi)) - max(0, int(np.ceil(lo)))
    assert chart.price_item.shapes_drawn >= 2 * visible  # a wick and a body per candle


def test_appending_a_bar_draws_it_without_rebuilding_the_cached_span(chart: ChartWidget) -> None:
    feed(chart, 300)
    painted(chart)
    rebuilds, shapes = chart.price_item.rebuilds, chart.price_item.shapes_drawn
    chart.append_bars("AAA", *make_bars(1, 300))
    painted(chart)
    assert chart.price_item.rebuilds == rebuilds
    assert chart.price_item.shapes_drawn >= shapes  # the new candle is drawn (the view moved)
    assert len(chart.price_item.bars) == 301


def test_zoomed_out_200k_bars_draws_a_few_thousand_shapes_at_most(chart: ChartWidget) -> None:
    bars = make_bars(200_000)
    chart.set_bars("AAA", *bars)
    every = np.arange(0, 200_000, 10)  # 20,000 fills
    chart.add_fills(
        "AAA",
        bars[0][every],
        np.where(every % 20, 1, -1),
        np.ones(len(every)),
        bars[4][every],
        every,
    )
    chart.set_follow_latest(False)
    chart.navigator.set_x_range(0, 200_000)
    painted(chart)
    assert 200 < chart.price_item.shapes_drawn <= 4000
    assert 100 < chart.volume_item.shapes_drawn <= 2000
    assert 50 < chart.fill_markers.shapes_drawn <= 2 * chart.width() / 13 + 2


def test_the_date_axis_keeps_its_height_when_labels_appear(chart: ChartWidget) -> None:
    """Sized from the labels it drew, the axis shrank at the first paint with data and every
    pane was laid out and painted again."""
    axis = chart.panes.all()[-1].date_axis  # the bottom pane shows the dates
    painted(chart)
    before = axis.height()
    feed(chart, 500)
    for _ in range(3):  # a relayout is a posted event, and may need another paint
        painted(chart)
        QApplication.processEvents()
    assert axis.height() == before
    assert axis.textHeight + axis.style["tickTextOffset"][1] <= axis.height(), "labels fit"
    bigger = QFont(axis.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    axis.setFont(bigger)
    QApplication.processEvents()
    assert axis.height() > before, "a larger font gets a taller axis"


def test_indicators_share_a_pane_by_group_and_overlay_price(chart: ChartWidget) -> None:
    chart.add_indicator("AAA", "SMA(5)", "price")
    chart.add_indicator("AAA", "MACD.macd", "pane", pane="MACD")
    chart.add_indicator("AAA", "MACD.signal", "pane", pane="MACD")
    chart.add_indicator("AAA", "RSI(14)", "pane")
    for start in (0, 50):
        chart.append_bars("AAA", *make_bars(50, start))
        values = np.arange(start, start + 50, dtype=np.float64)
        for name in ("SMA(5)", "MACD.macd", "MACD.signal", "RSI(14)"):
            chart.append_indicator("AAA", name, values)
    painted(chart)
    assert list(chart.panes.indicator_panes) == ["MACD", "RSI(14)"]
    macd = chart.panes.indicator_panes["MACD"]
    items = chart.panes.indicator_items
    assert items["MACD.macd"] in macd.fit_items and items["MACD.signal"] in macd.fit_items
    assert items["SMA(5)"] in chart.panes.price.fit_items
    assert items["MACD.macd"].color != items["MACD.signal"].color
    x, y = items["RSI(14)"].source.xy(0, 100)
    assert np.array_equal(x, np.arange(100.0)) and np.array_equal(y, np.arange(100.0))
    assert "signal" in macd._legend_html and "99" in macd._legend_html


def test_indicator_pane_volume_overlays_volume_and_equity_is_reserved(chart: ChartWidget) -> None:
    chart.add_indicator("AAA", "VOL_MA(5)", "pane", pane="volume")
    with pytest.raises(ValueError, match="pane 'equity' is the chart's own"):
        chart.add_indicator("AAA", "X", "pane", pane="equity")
    item = chart.panes.indicator_items["VOL_MA(5)"]
    assert item in chart.panes.volume.fit_items and chart.panes.indicator_panes == {}


def test_indicator_values_beyond_the_bars_are_rejected(chart: ChartWidget) -> None:
    chart.add_indicator("AAA", "SMA(5)", "price")
    chart.append_bars("AAA", *make_bars(10))
    chart.append_indicator("AAA", "SMA(5)", np.ones(10))
    with pytest.raises(ValueError, match=r"SMA\(5\).*11 values but only 10 bars"):
        chart.append_indicator("AAA", "SMA(5)", np.ones(1))
    with pytest.raises(KeyError, match="not declared"):
        chart.append_indicator("AAA", "EMA(3)", np.ones(1))
    assert len(chart.panes.indicator_items["SMA(5)"].source.series.values) == 10


# -- following and navigating --------------------------------------------------------------------


def test_follow_latest_keeps_the_newest_bar_at_the_right_edge(chart: ChartWidget) -> None:
    feed(chart, 400)
    assert chart.follow_latest
    assert chart.x_range()[1] == pytest.approx(399.5 + RIGHT_MARGIN)
    feed(chart, 0)
    chart.append_bars("AAA", *make_bars(10, 400))
    chart.refresh()
    assert chart.x_range()[1] == pytest.approx(409.5 + RIGHT_MARGIN)


def test_panning_back_turns_follow_off_and_the_button_back_on(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    feed(chart, 400)
    with qtbot.waitSignal(chart.followLatestChanged) as changed:
        chart.panes.price.vb.panRequested.emit(-20.0)  # what a mouse drag emits
    assert changed.args == [False] and not chart.follow_button.isChecked()
    frozen = chart.x_range()
    chart.append_bars("AAA", *make_bars(10, 400))
    chart.refresh()
    assert chart.x_range() == frozen
    qtbot.mouseClick(chart.follow_button, Qt.MouseButton.LeftButton)
    assert chart.follow_latest
    assert chart.x_range()[1] == pytest.approx(409.5 + RIGHT_MARGIN)


def test_mouse_drag_to_the_past_stops_following(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    feed(chart, 400)
    vp = chart._view.viewport()
    start = view_pixel(chart, chart.x_range()[0] + 40, 100)
    before = chart.x_range()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for dx in range(10, 200, 10):
        QTest.mouseMove(vp, start + QPoint(dx, 0))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(200, 0))
    assert chart.x_range()[0] < before[0] - 10
    assert not chart.follow_latest


def test_keys_step_jump_and_zoom(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    feed(chart, 400)
    lo, hi = chart.x_range()
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.x_range() == pytest.approx((lo - 1, hi - 1))
    assert not chart.follow_latest
    qtbot.keyClick(chart, Qt.Key.Key_Plus)
    assert chart.x_range()[1] - chart.x_range()[0] < hi - lo
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.x_range()[0] < 0 < chart.x_range()[1]
    qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chart.follow_latest and chart.x_range()[1] == pytest.approx(399.5 + RIGHT_MARGIN)


def test_center_on_puts_that_bar_in_the_middle_and_stops_following(chart: ChartWidget) -> None:
    feed(chart, 400)
    chart.center_on(T0 + 100 * MINUTE + 30 * 10**9)  # inside bar 100
    lo, hi = chart.x_range()
    assert (lo + hi) / 2 == pytest.approx(100)
    assert not chart.follow_latest


def test_y_range_fits_the_visible_bars_not_all_bars(chart: ChartWidget) -> None:
    ts, o, h, low, c, v = make_bars(400)
    h[:50] += 1000  # a spike far outside the view
    chart.set_bars("AAA", ts, o, h, low, c, v)
    chart.refresh()
    i0, i1 = int(np.ceil(chart.x_range()[0])), 400
    y0, y1 = chart.panes.price.vb.viewRange()[1]
    assert y0 < low[i0:i1].min() < h[i0:i1].max() < y1
    assert y1 - y0 < 2 * (h[i0:i1].max() - low[i0:i1].min())


def test_y_range_scaled_by_the_user_stays_until_double_click(chart: ChartWidget) -> None:
    feed(chart, 400)
    vb = chart.panes.price.vb
    vb._scale_y(2.0, 100.0)  # what a wheel or drag on the price axis does
    fixed = vb.viewRange()[1]
    chart.append_bars("AAA", *make_bars(50, 400, seed=9))
    chart.refresh()
    assert vb.viewRange()[1] == pytest.approx(fixed)
    vb.autoYRequested.emit()  # a double click
    assert vb.viewRange()[1][1] - vb.viewRange()[1][0] < fixed[1] - fixed[0]


# -- trades --------------------------------------------------------------------------------------


def test_fill_markers_sit_at_the_last_bar_at_or_before_the_fill(chart: ChartWidget) -> None:
    feed(chart, 200)
    ts = np.array([T0 + 150 * MINUTE + 20 * 10**9, T0 + 170 * MINUTE])
    chart.add_fills(
        "AAA",
        ts,
        np.array([1, -1]),
        np.array([10.0, 5.0]),
        np.array([99.5, 101.0]),
        np.array([7, 8]),
    )
    idx, bar = chart.fill_markers.visible(0, 199)
    assert list(idx) == [0, 1] and list(bar) == [150, 170]
    image = painted(chart)
    assert chart.fill_markers.shapes_drawn == 2
    buy = market_colors().buy
    # the buy triangle is just below its price: sample a few pixels down from the anchor
    anchor = chart._view.viewport().mapTo(chart, view_pixel(chart, 150, 99.5))
    below = [image.pixelColor(anchor + QPoint(0, dy)) for dy in range(3, 12)]
    assert any(_close(p, buy) for p in below)


def test_hovering_a_fill_shows_its_details(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    feed(chart, 200)
    price = round(float(chart.price_item.bars.high.view[150]), 2)
    chart.add_fills(
        "AAA",
        np.array([T0 + 150 * MINUTE]),
        np.array([-1]),
        np.array([3.0]),
        np.array([price]),
        np.array([42]),
    )
    painted(chart)
    tip = view_pixel(chart, 150, price) + QPoint(0, -9)  # the sell marker is above
    QTest.mouseMove(chart._view.viewport(), tip)
    qtbot.waitUntil(lambda: chart.hover_text != "")
    assert chart.hover_text == f"2024-03-04 17:00\nSELL 3 @ {price:.2f}\norder #42"
    assert chart.crosshair.index == 150


def test_round_trips_are_coloured_by_win_or_loss(chart: ChartWidget) -> None:
    feed(chart, 200)
    chart.set_round_trips(
        "AAA",
        np.array([T0 + 10 * MINUTE, T0 + 50 * MINUTE]),
        np.array([100.0, 101.0]),
        np.array([T0 + 20 * MINUTE, T0 + 60 * MINUTE]),
        np.array([102.0, 100.0]),
        np.array([2.0, -1.0]),
    )
    lines, won = chart.round_trips_item.segments(0, 200)
    assert lines.tolist() == [[10, 100, 20, 102], [50, 101, 60, 100]]
    assert won.tolist() == [True, False]


def test_working_order_lines_move_on_modify_and_vanish_when_done(chart: ChartWidget) -> None:
    feed(chart, 50)
    chart.set_working_orders("AAA", [(1, "limit", 99.0), (2, "stop", 103.0)])
    lines = chart.order_lines.lines
    assert {k: v.value() for k, v in lines.items()} == {1: 99.0, 2: 103.0}
    first = lines[1]
    chart.set_working_orders("AAA", [(1, "limit", 98.5), (2, "stop", 103.0)])
    assert lines[1] is first and first.value() == 98.5
    assert "98.5" in first.label.format
    chart.set_working_orders("AAA", [(2, "stop", 103.0)])
    assert list(lines) == [2] and first.scene() is None
    chart.set_working_orders("AAA", [])
    assert lines == {}


# -- symbols, equity, appearance ---------------------------------------------------------------


def test_switching_symbol_shows_that_symbols_bars_and_panes(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    chart.set_symbols(["AAA", "BBB"])
    chart.add_indicator("AAA", "RSI(14)", "pane")
    feed(chart, 100, symbol="AAA")
    chart.append_bars("BBB", *make_bars(30, 0, seed=5))
    assert chart.current_symbol == "AAA" and len(chart.price_item.bars) == 100
    with qtbot.waitSignal(chart.symbolChanged) as changed:
        chart._symbol_box.setCurrentText("BBB")
    assert changed.args == ["BBB"] and chart.current_symbol == "BBB"
    assert len(chart.price_item.bars) == 30 and chart.panes.indicator_panes == {}
    chart.set_current_symbol("AAA")
    assert "RSI(14)" in chart.panes.indicator_panes


def test_equity_maps_to_bars_by_time_with_drawdown_from_the_peak(chart: ChartWidget) -> None:
    feed(chart, 100)
    ts = T0 + np.arange(100, dtype=np.int64) * MINUTE
    equity = np.full(100, 1000.0)
    equity[40:60] = 900.0
    chart.append_equity(ts[:50], equity[:50])
    chart.append_equity(ts[50:], equity[50:])
    chart.refresh()
    item = chart.panes.drawdown_item
    assert item is not None and chart.panes.equity is not None
    x, dd = item.source.xy(0, 100)
    assert np.array_equal(x, np.arange(100.0))
    assert dd[45] == pytest.approx(-0.1) and dd[70] == 0.0
    assert chart.panes.all()[-1] is chart.panes.drawdown


def test_truncating_equals_a_chart_fed_only_the_prefix(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    """A replay stepping back cuts the chart; appending afterwards carries on from the cut."""

    bars = make_bars(300)

    def fill(chart: ChartWidget, n_bars: int) -> None:
        chart.append_bars("AAA", *(column[:n_bars] for column in bars))
        chart.add_indicator("AAA", "SMA(5)", "price")
        chart.append_indicator("AAA", "SMA(5)", np.arange(float(n_bars)))
        ts = T0 + np.arange(n_bars, dtype=np.int64) * MINUTE
        fills = np.arange(10, n_bars, 40)
        chart.add_fills(
            "AAA", ts[fills], np.ones(len(fills), int), np.ones(len(fills)), 100.0 + fills, fills
        )
        equity = 1000.0 + np.sin(np.arange(n_bars) / 7.0) * 50
        chart.append_equity(ts, equity)
        chart.refresh()

    fill(chart, 300)
    chart.show_prefix("AAA", 120, 3)
    chart.show_equity_prefix(120)
    other = ChartWidget()
    qtbot.addWidget(other)
    fill(other, 120)
    mine, theirs = chart._data["AAA"], other._data["AAA"]
    assert np.array_equal(mine.bars.close.view, theirs.bars.close.view)
    assert (mine.bars.price_min, mine.bars.price_max) == (
        theirs.bars.price_min,
        theirs.bars.price_max,
    )
    assert np.array_equal(mine.fills.ts.view, theirs.fills.ts.view)
    assert mine.indicators["SMA(5)"].vmax == theirs.indicators["SMA(5)"].vmax == 119.0
    assert np.array_equal(chart._equity.drawdown.view, other._equity.drawdown.view)
    assert chart._equity.vmax == other._equity.vmax
    x, equity = chart.panes.equity_item.source.xy(0, 300)  # type: ignore[union-attr]
    assert np.array_equal(x, np.arange(120.0)) and len(equity) == 120
    chart.show_prefix("AAA", 200, 5)  # a replay moving forward again: nothing copied
    chart.show_equity_prefix(200)
    fuller = ChartWidget()
    qtbot.addWidget(fuller)
    fill(fuller, 200)
    assert np.array_equal(mine.bars.high.view, fuller._data["AAA"].bars.high.view)
    assert mine.bars.price_max == fuller._data["AAA"].bars.price_max
    assert mine.indicators["SMA(5)"].vmax == 199.0 and len(mine.fills) == 5
    assert np.array_equal(chart._equity.drawdown.view, fuller._equity.drawdown.view)
    with pytest.raises(ValueError, match="cannot reveal 301 values"):
        chart.show_prefix("AAA", 301, 5)
    chart.show_prefix("AAA", 120, 3)
    chart.append_bars("AAA", *(column[120:125] for column in bars))  # writes over the rest
    assert len(chart._data["AAA"].bars) == 125
    with pytest.raises(ValueError, match="0 hidden"):
        chart.show_prefix("AAA", 126, 3)
    painted(chart)
    assert chart.price_item.shapes_drawn > 0


def test_screenshot_of_a_small_chart_is_not_blank(chart: ChartWidget) -> None:
    chart.add_indicator("AAA", "SMA(10)", "price")
    for start in (0, 60):
        chart.append_bars("AAA", *make_bars(60, start))
    close = chart.price_item.bars.close.view
    sma = np.convolve(close, np.ones(10) / 10)[:120]
    sma[:9] = np.nan
    chart.set_indicator("AAA", "SMA(10)", sma)
    chart.add_fills(
        "AAA",
        np.array([T0 + 80 * MINUTE]),
        np.array([1]),
        np.array([1.0]),
        np.array([chart.price_item.bars.low.view[80]]),
        np.array([1]),
    )
    image = painted(chart)
    colors = {
        image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)
    }
    assert len(colors) > 20
    m = market_colors()
    pixels = [
        image.pixelColor(x, y)
        for x in range(0, image.width(), 2)
        for y in range(40, image.height() // 2, 2)
    ]
    assert any(_close(p, m.up) for p in pixels) and any(_close(p, m.down) for p in pixels)
    chart.save_png(str(PNG))
    assert QImage(str(PNG)).size() == chart._view.size()


def test_ohlc_and_line_styles_draw_their_shapes(chart: ChartWidget) -> None:
    feed(chart, 100)
    chart.set_style("ohlc")
    painted(chart)
    assert chart.price_item.shapes_drawn == 3 * 100  # bar, open tick, close tick
    chart.set_style("line")
    painted(chart)
    assert chart.price_item.shapes_drawn == 1
    with pytest.raises(ValueError, match="'bars' is not one of"):
        chart.set_style("bars")


def test_clear_forgets_symbols_trades_and_equity(chart: ChartWidget) -> None:
    feed(chart, 50)
    chart.add_indicator("AAA", "RSI(14)", "pane")
    chart.append_equity(make_bars(50)[0], np.full(50, 1000.0))
    chart.clear()
    assert chart.current_symbol is None and chart.price_item.bars is not None
    assert len(chart.price_item.bars) == 0
    panes = chart.panes
    # indicator panes go; equity panes stay, empty, so the next run's first point does not
    # re-lay the chart out mid-run
    assert panes.all() == [panes.price, panes.volume, panes.equity, panes.drawdown]
    assert len(chart._equity) == 0
    painted(chart)
    assert chart.price_item.shapes_drawn == 0
    feed(chart, 10, symbol="BBB")
    assert chart.current_symbol == "BBB" and len(chart.price_item.bars) == 10


def test_red_up_colours_the_candles(chart: ChartWidget) -> None:
    red = market_colors(red_up=True)
    chart.set_colors(red.up, red.down)
    feed(chart, 50)
    assert chart.price_item._up == red.up == QColor("#ef5350")


def _close(a: QColor, b: QColor, tol: int = 12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def test_the_readout_follows_the_view_moving_under_a_still_mouse(qtbot, chart: ChartWidget) -> None:  # type: ignore[no-untyped-def]
    """Keys, the wheel, follow-latest and new bars move the bars under a mouse that does not
    move: the crosshair and the OHLC readout are those of the bar now under it."""
    feed(chart, 400)
    chart.set_follow_latest(False)
    chart.center_on(T0 + 200 * MINUTE)
    painted(chart)
    mid = chart._view.viewport().rect().center()
    QTest.mouseMove(chart._view.viewport(), mid)
    qtbot.waitUntil(lambda: chart.crosshair.index is not None)

    def under_mouse() -> int:
        pos = chart.panes.price.vb.mapSceneToView(chart._view.mapToScene(mid))
        return round(pos.x())

    def readout_close() -> str:
        return f"{chart.price_item.bars.close.view[under_mouse()]:,.2f}"

    first = chart.crosshair.index
    assert first == under_mouse()
    qtbot.keyClick(chart, Qt.Key.Key_Left)  # the view moves one bar, the mouse stays
    chart.refresh()
    assert chart.crosshair.index == under_mouse() == first - 1
    assert readout_close() in chart.panes.price._legend_html
    for _ in range(30):
        qtbot.keyClick(chart, Qt.Key.Key_Left)
    chart.refresh()
    assert chart.crosshair.index == under_mouse() == first - 31
    assert readout_close() in chart.panes.price._legend_html
    qtbot.keyClick(chart, Qt.Key.Key_End)  # follow the latest bar
    chart.append_bars("AAA", *make_bars(50, 400))  # and new bars arrive
    chart.refresh()
    assert chart.crosshair.index == under_mouse() > first
