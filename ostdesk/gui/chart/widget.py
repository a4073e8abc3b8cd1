"""The live chart: price, volume, indicator and equity panes on one bar-index x axis.

The main window creates one ``ChartWidget`` and feeds it the batches the bridge drains from the
engine. Each feeding call is O(batch); the view work they imply (follow the latest bar, fit y,
refresh legends) is coalesced into one refresh per event-loop turn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QCursor, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ostdesk.gui.chart.candles import STYLES, PriceItem, VolumeItem
from ostdesk.gui.chart.crosshair import Crosshair
from ostdesk.gui.chart.layout import PaneStack
from ostdesk.gui.chart.markers import FillMarkersItem, RoundTripsItem, WorkingOrderLines
from ostdesk.gui.chart.navigation import Navigator
from ostdesk.gui.chart.panes import Pane
from ostdesk.gui.chart.series import EquitySeries, RoundTrips, SymbolData
from ostdesk.gui.chart.theme import default_theme
from ostdesk.gui.colors import MarketColors


class ChartWidget(QWidget):
    symbolChanged = Signal(str)
    followLatestChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._theme = default_theme()
        self._data: dict[str, SymbolData] = {}
        self._symbol: str | None = None
        self._equity = EquitySeries()
        self._pending_follow = False
        self._placeholder = SymbolData("")
        self.hover_text = ""
        self._cursor: QPointF | None = None  # the mouse's scene position over the chart
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._build_toolbar()
        self._view = pg.GraphicsLayoutWidget()
        self._view.setBackground(self._theme.background)
        self._view.installEventFilter(self)
        self._view.viewport().installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._toolbar)
        layout.addWidget(self._view, 1)

        m = self._theme.market
        self.crosshair = Crosshair(self._theme.crosshair, self._theme.background)
        self.panes = PaneStack(self._view.ci, self._theme, self._timestamps, self.crosshair)
        self.price_item = PriceItem(m.up, m.down, self._theme.equity)
        self.volume_item = VolumeItem(m.up, m.down)
        self.fill_markers = FillMarkersItem(m.buy, m.sell)
        self.round_trips_item = RoundTripsItem(m.up, m.down)
        self.panes.price.add(self.price_item)
        self.panes.price.add(self.round_trips_item, fit=False)
        self.panes.price.add(self.fill_markers, fit=False)
        self.fill_markers.setZValue(10)
        self.panes.volume.add(self.volume_item)
        self.order_lines = WorkingOrderLines(
            self.panes.price.vb, self._theme.limit_order, self._theme.stop_order
        )
        self.navigator = Navigator(self.panes.price.vb, lambda: len(self._current.bars))
        self.navigator.followChanged.connect(self.follow_button.setChecked)
        self.navigator.followChanged.connect(self.followLatestChanged)
        for pane in self.panes.all():
            self._connect_pane(pane)
        self.panes.paneAdded.connect(self._connect_pane)
        self.panes.price.vb.sigXRangeChanged.connect(self._on_x_changed)
        self._view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._bind_symbol()

    # -- toolbar ---------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self._symbol_box = QComboBox()
        self._symbol_box.setMinimumContentsLength(8)
        # as wide as the longest symbol offered: "DEMO-ALPHA" whole, not "DEMO-ALPH…"
        self._symbol_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._symbol_box.currentTextChanged.connect(self._on_symbol_selected)
        self._style_box = QComboBox()
        self._style_box.addItems(["Candles", "OHLC bars", "Line"])
        self._style_box.currentIndexChanged.connect(lambda i: self.set_style(STYLES[i]))
        self.follow_button = QToolButton()
        self.follow_button.setText("Follow latest")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the latest bar in view (End)")
        self.follow_button.toggled.connect(self.set_follow_latest)
        save = QToolButton()
        save.setText("Save PNG…")
        save.clicked.connect(self._on_save_clicked)
        self._toolbar = QHBoxLayout()
        self._toolbar.setContentsMargins(4, 2, 4, 0)
        for w in (QLabel("Symbol"), self._symbol_box, QLabel("Style"), self._style_box):
            self._toolbar.addWidget(w)
        self._toolbar.addStretch(1)
        self._toolbar.addWidget(self.follow_button)
        self._toolbar.addWidget(save)

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart", "chart.png", "PNG (*.png)")
        if path:
            self.save_png(path)

    # -- symbols ---------------------------------------------------------------------------
    @property
    def current_symbol(self) -> str | None:
        return self._symbol

    def set_symbols(self, symbols: Sequence[str]) -> None:
        """The selector's choices; keeps the current symbol if it is still offered."""
        for s in symbols:
            if s not in self._data:  # setdefault would build (and drop) one for every s
                self._data[s] = SymbolData(s)
        self._symbol_box.blockSignals(True)
        self._symbol_box.clear()
        self._symbol_box.addItems(list(symbols))
        self._symbol_box.blockSignals(False)
        if self._symbol is not None and self._symbol in symbols:
            self._symbol_box.setCurrentText(self._symbol)
        else:
            self.set_current_symbol(symbols[0] if symbols else None)

    def set_current_symbol(self, symbol: str | None) -> None:
        """Show ``symbol`` (None: nothing); emits ``symbolChanged``."""
        if symbol is not None and symbol not in self._data:
            raise KeyError(f"chart has no symbol {symbol!r}; known: {sorted(self._data)}")
        if symbol is not None and self._symbol_box.currentText() != symbol:
            self._symbol_box.setCurrentText(symbol)  # re-enters through the selector
            return
        if symbol != self._symbol:
            self._symbol = symbol
            self._bind_symbol()
            self.symbolChanged.emit(symbol or "")

    def bar_count(self, symbol: str | None = None) -> int:
        """Bars held for ``symbol``, or for every symbol when None."""
        if symbol is not None:
            data = self._data.get(symbol)
            return len(data.bars) if data is not None else 0
        return sum(len(d.bars) for d in self._data.values())

    def _on_symbol_selected(self, text: str) -> None:
        if text:
            self.set_current_symbol(text)

    def _symbol_data(self, symbol: str) -> SymbolData:
        data = self._data.get(symbol)
        if data is None:
            data = self._data[symbol] = SymbolData(symbol)
            self._symbol_box.addItem(symbol)
        if self._symbol is None:
            self.set_current_symbol(symbol)
        return data

    @property
    def _current(self) -> SymbolData:
        return self._data[self._symbol] if self._symbol is not None else self._placeholder

    def _timestamps(self) -> np.ndarray:
        return self._current.bars.ts.view

    def _bind_symbol(self) -> None:
        data = self._current
        self.price_item.set_bars(data.bars)
        self.volume_item.set_bars(data.bars)
        self.fill_markers.set_data(data.fills, data.bars)
        self.round_trips_item.set_data(data.round_trips, data.bars)
        self.order_lines.set_orders(data.working_orders)
        self.panes.bind(data, self._equity)
        self.navigator.show_latest()
        self._schedule_refresh()

    # -- feeding ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget all symbols, bars, trades and equity."""
        self._data.clear()
        self._equity = EquitySeries()
        self._symbol_box.blockSignals(True)
        self._symbol_box.clear()
        self._symbol_box.blockSignals(False)
        self._symbol = None
        self._bind_symbol()
        self.symbolChanged.emit("")

    def set_bars(
        self,
        symbol: str,
        ts_ns: ArrayLike,
        open: ArrayLike,
        high: ArrayLike,
        low: ArrayLike,
        close: ArrayLike,
        volume: ArrayLike,
    ) -> None:
        """Replace ``symbol``'s bars (a history load); its indicators are cut to the new length."""
        data = self._symbol_data(symbol)
        data.bars.append(ts_ns, open, high, low, close, volume, replace=True)
        for series in data.indicators.values():
            if len(series.values) > len(data.bars):
                series.extend(series.values.view[: len(data.bars)].copy(), replace=True)
        if symbol == self._symbol:
            self._bind_symbol()

    def append_bars(
        self,
        symbol: str,
        ts_ns: ArrayLike,
        open: ArrayLike,
        high: ArrayLike,
        low: ArrayLike,
        close: ArrayLike,
        volume: ArrayLike,
    ) -> None:
        """Append a batch of bars (ts strictly after the stored ones); O(batch)."""
        data = self._symbol_data(symbol)
        data.bars.append(ts_ns, open, high, low, close, volume)
        if symbol == self._symbol:
            self.price_item.data_appended()
            self.volume_item.data_appended()
            self.fill_markers.data_changed()
            self.panes.bars_appended()
            self._schedule_refresh(follow=True)

    def show_prefix(self, symbol: str, bars: int, fills: int) -> None:
        """Show only ``symbol``'s first ``bars`` bars (and indicator values) and ``fills``
        fills: a replay's moves. Cutting back hides the rest without dropping it, and a later
        call may show it again (until an append writes over it): nothing is copied."""
        data = self._symbol_data(symbol)
        back = bars < len(data.bars) or fills < len(data.fills)
        for series in (data.bars, *data.indicators.values()):
            series.resize(bars)
        data.fills.resize(fills)
        if symbol == self._symbol:
            for item in (self.price_item, self.volume_item):
                if back:
                    item.data_replaced()
                else:
                    item.data_appended()
            self.fill_markers.data_changed()
            self.panes.bars_prefix_changed(back=back)
            self._schedule_refresh(follow=True)

    def show_equity_prefix(self, points: int) -> None:
        """Show only the first ``points`` equity points (hidden ones can be shown again)."""
        back = points < len(self._equity)
        self._equity.resize(points)
        self.panes.equity_prefix_changed(back=back)
        self._schedule_refresh()

    def add_indicator(
        self, symbol: str, name: str, placement: str, pane: str | None = None
    ) -> None:
        """Declare a line; ``placement`` "price" overlays the price pane, "pane" gives it the
        pane named ``pane`` (default: its own), shared by lines that name the same pane
        (``pane="volume"`` overlays the volume pane)."""
        self._symbol_data(symbol).add_indicator(name, placement, pane)
        if symbol == self._symbol:
            self.panes.bind(self._current, self._equity)
            self._schedule_refresh()

    def append_indicator(self, symbol: str, name: str, values: ArrayLike) -> None:
        """Values for the bars appended since the last call (append the bars first)."""
        self._indicator(symbol, name, values, replace=False)

    def set_indicator(self, symbol: str, name: str, values: ArrayLike) -> None:
        """All values of a line, aligned with the symbol's bars."""
        self._indicator(symbol, name, values, replace=True)

    def _indicator(self, symbol: str, name: str, values: ArrayLike, *, replace: bool) -> None:
        data = self._symbol_data(symbol)
        arr = data.indicator_values(name, values, replace=replace)
        data.indicators[name].extend(arr, replace=replace)
        if symbol == self._symbol:
            self.panes.indicator_changed(name, replaced=replace)
            self._schedule_refresh()

    def add_fills(
        self,
        symbol: str,
        ts_ns: ArrayLike,
        side: ArrayLike,
        qty: ArrayLike,
        price: ArrayLike,
        order_id: ArrayLike,
    ) -> None:
        """Executions in time order; ``side`` is +1 (buy) or -1 (sell). Each marker sits on the
        last bar whose ts <= the fill's ts (so a fill may arrive before its bar)."""
        data = self._symbol_data(symbol)
        data.fills.append(ts_ns, side, qty, price, order_id)
        if symbol == self._symbol:
            self.fill_markers.data_changed()

    def set_round_trips(
        self,
        symbol: str,
        entry_ts: ArrayLike,
        entry_price: ArrayLike,
        exit_ts: ArrayLike,
        exit_price: ArrayLike,
        pnl: ArrayLike,
    ) -> None:
        """All closed trades of ``symbol``; lines are coloured by the sign of ``pnl``."""
        data = self._symbol_data(symbol)
        data.round_trips = RoundTrips.build(symbol, entry_ts, entry_price, exit_ts, exit_price, pnl)
        if symbol == self._symbol:
            self.round_trips_item.set_data(data.round_trips, data.bars)

    def set_working_orders(self, symbol: str, orders: Sequence[tuple[int, str, float]]) -> None:
        """The full set of ``(order_id, kind, price)`` working for ``symbol``: lines move on
        modify and vanish when an order is no longer in the set."""
        data = self._symbol_data(symbol)
        data.set_working_orders(orders)
        if symbol == self._symbol:
            self.order_lines.set_orders(data.working_orders)

    def set_equity(self, ts_ns: ArrayLike, equity: ArrayLike) -> None:
        """Account equity at bar times; drawdown is computed from the running peak."""
        self._equity.append(ts_ns, equity, replace=True)
        self.panes.bind(self._current, self._equity)
        self._schedule_refresh()

    def show_equity_panes(self) -> None:
        """Lay out the (empty) equity and drawdown panes now rather than at the first equity
        point: creating them costs a re-layout (~50 ms) that a window showing runs as they go
        had better pay at start-up than in the middle of its first run."""
        self.panes.always_equity = True
        self.panes.bind(self._current, self._equity)

    def append_equity(self, ts_ns: ArrayLike, equity: ArrayLike) -> None:
        had = len(self._equity)
        self._equity.append(ts_ns, equity)
        if not had:
            self.panes.bind(self._current, self._equity)
        self.panes.equity_appended()
        self._schedule_refresh()

    # -- appearance ------------------------------------------------------------------------
    def set_colors(self, up: QColor, down: QColor) -> None:
        """Rising/falling (and buy/sell, win/loss) colours; see ``ostdesk.gui.colors``."""
        self._theme = self._theme.with_market(MarketColors(QColor(up), QColor(down)))
        self.price_item.set_colors(up, down)
        self.volume_item.set_colors(up, down)
        self.fill_markers.set_colors(up, down)
        self.round_trips_item.set_colors(up, down)
        self._schedule_refresh()

    def set_style(self, style: str) -> None:
        """Draw prices as candlesticks ("candles"), OHLC bars ("ohlc") or a close "line"."""
        self.price_item.set_style(style)
        self._style_box.setCurrentIndex(STYLES.index(style))

    def save_png(self, path: str) -> None:
        """Write the chart (without the toolbar) as it is shown to a PNG file."""
        self.refresh()
        if not self._view.grab().save(path, "PNG"):
            raise OSError(f"could not save the chart as PNG to {path!r}")

    # -- view ------------------------------------------------------------------------------
    @property
    def follow_latest(self) -> bool:
        return self.navigator.follow

    def set_follow_latest(self, on: bool) -> None:
        self.navigator.set_follow(on)

    def center_on(self, ts_ns: int) -> None:
        """Centre the view on the bar at (or last before) ``ts_ns``; stops following."""
        bars = self._current.bars
        if len(bars):
            self.navigator.center_on(max(0, int(bars.index_at(np.array([ts_ns]))[0])))

    def x_range(self) -> tuple[float, float]:
        return self.navigator.x_range()

    def _on_x_changed(self) -> None:
        lo, hi = self.x_range()
        self.panes.fit_y(lo, hi)
        if self._cursor is not None:  # other bars are under a mouse that did not move
            self._place_crosshair(self._cursor)

    def _schedule_refresh(self, *, follow: bool = False) -> None:
        self._pending_follow = self._pending_follow or follow
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Apply pending view work now: follow the latest bar, fit y, update legends. The
        event loop does this after each batch of feeding calls."""
        self._refresh_timer.stop()
        before = self.x_range()
        if self._pending_follow and self.navigator.follow:
            self.navigator.show_latest()  # a new x range fits y on its own (sigXRangeChanged)
        self._pending_follow = False
        if self.x_range() == before:
            self._on_x_changed()
        self._update_legends()

    def _update_legends(self) -> None:
        index = self.crosshair.index
        self.panes.update_legends(self._current, index, self._theme.market)

    # -- interaction -----------------------------------------------------------------------
    def _connect_pane(self, pane: Pane) -> None:
        pane.vb.panRequested.connect(self.navigator.pan)
        pane.vb.zoomRequested.connect(self.navigator.zoom)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.navigator.key(event.key()):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        is_key = isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
        if is_key and self.navigator.key(event.key()):  # type: ignore[attr-defined]
            return True
        if event.type() == QEvent.Type.Leave and watched is self._view.viewport():
            self._on_mouse_left()
        return super().eventFilter(watched, event)

    def _on_mouse_left(self) -> None:
        self._cursor = None
        self._hide_crosshair()

    def _hide_crosshair(self) -> None:
        self.crosshair.hide()
        self.hover_text = ""
        self._update_legends()

    def _place_crosshair(self, scene_pos: QPointF) -> tuple[Pane, QPointF] | None:
        """Crosshair and readout at the bar under ``scene_pos``; the pane and the point in
        its view, None when no bar is there."""
        pane = self.panes.pane_at(scene_pos)
        n = len(self._current.bars)
        if pane is None or n == 0:
            self._hide_crosshair()
            return None
        pos = pane.vb.mapSceneToView(scene_pos)
        index = min(max(round(pos.x()), 0), n - 1)
        self.crosshair.move(index, pane.key, pos.y())
        self._update_legends()
        return pane, pos

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._cursor = QPointF(scene_pos)
        placed = self._place_crosshair(scene_pos)
        if placed is None:
            return
        pane, pos = placed
        self.hover_text = ""
        if pane is self.panes.price:
            near = self.fill_markers.fills_near(pos)
            self.hover_text = "\n\n".join(self.fill_markers.tooltip(i) for i in near[:4])
        if self.hover_text:
            QToolTip.showText(QCursor.pos(), self.hover_text, self._view)
        else:
            QToolTip.hideText()
