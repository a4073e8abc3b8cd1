"""The stack of panes: price and volume always, one pane per oscillator group, then equity and
drawdown once there is equity. Rebuilt when the symbol (and so its indicator set) changes."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QColor

from ostdesk.gui.chart import readout
from ostdesk.gui.chart.axis import DateTicks, compact_ticks, percent_ticks
from ostdesk.gui.chart.crosshair import Crosshair
from ostdesk.gui.chart.lines import EquityPlacement, EquitySource, IndicatorSource, LineItem
from ostdesk.gui.chart.panes import Pane
from ostdesk.gui.chart.series import EquitySeries, IntArray, SymbolData
from ostdesk.gui.chart.theme import LINE_PALETTE, ChartTheme
from ostdesk.gui.colors import MarketColors


class PaneStack(QObject):
    paneAdded = Signal(object)

    def __init__(
        self,
        layout: pg.GraphicsLayout,
        theme: ChartTheme,
        timestamps: Callable[[], IntArray],
        crosshair: Crosshair,
    ) -> None:
        super().__init__()
        self.always_equity = False  # equity panes even before any equity (see ChartWidget)
        self._layout = layout
        self._theme = theme
        self.date_ticks = DateTicks(timestamps)
        self._crosshair = crosshair
        layout.setContentsMargins(2, 2, 2, 2)
        layout.layout.setVerticalSpacing(0)
        self.price = self._pane("price", stretch=6, pad=(0.08, 0.08))
        self.volume = self._pane(
            "volume", stretch=1, value_format=compact_ticks, pad=(0.0, 0.12), floor_zero=True
        )
        self.indicator_panes: dict[str, Pane] = {}
        self.indicator_items: dict[str, LineItem] = {}
        self._item_pane: dict[str, str] = {}
        self.equity: Pane | None = None
        self.drawdown: Pane | None = None
        self.equity_item: LineItem | None = None
        self.drawdown_item: LineItem | None = None
        self._shown: list[Pane] = []
        self._relayout()

    def _pane(self, key: str, **kwargs: object) -> Pane:
        pane = Pane(key, self.date_ticks, self._theme, **kwargs)  # type: ignore[arg-type]
        if key != "price":
            pane.vb.setXLink(self.price.vb)
        self._crosshair.attach(pane)
        self.paneAdded.emit(pane)
        return pane

    def all(self) -> list[Pane]:
        """Panes in display order, top to bottom."""
        panes = [self.price, self.volume, *self.indicator_panes.values()]
        return panes + [p for p in (self.equity, self.drawdown) if p is not None]

    def _relayout(self) -> None:
        panes = self.all()
        if panes == self._shown:
            return
        for pane in self._shown:
            self._layout.removeItem(pane.plot)
        for row, pane in enumerate(panes):
            self._layout.addItem(pane.plot, row=row, col=0)
            self._layout.layout.setRowStretchFactor(row, pane.stretch)
            pane.show_dates(pane is panes[-1])
        self._shown = panes

    # -- binding to a symbol ---------------------------------------------------------------
    def bind(self, data: SymbolData, equity: EquitySeries) -> None:
        """Show ``data``'s indicators and ``equity`` mapped onto ``data``'s bars."""
        for name, item in self.indicator_items.items():
            self._pane_of(name).remove(item)
        self.indicator_items.clear()
        self._item_pane.clear()
        builtin = {"price": self.price, "volume": self.volume}
        wanted = {s.pane for s in data.indicators.values() if s.placement == "pane"}
        for key in [k for k in self.indicator_panes if k not in wanted]:
            self._crosshair.detach(self.indicator_panes.pop(key))
        counts: dict[str, int] = {}
        for series in data.indicators.values():
            key = "price" if series.placement == "price" else series.pane
            if key not in self.indicator_panes and key not in builtin:
                self.indicator_panes[key] = self._pane(key, stretch=2)
            pane = builtin.get(key) or self.indicator_panes[key]
            color = QColor(LINE_PALETTE[counts.get(key, 0) % len(LINE_PALETTE)])
            counts[key] = counts.get(key, 0) + 1
            item = LineItem(IndicatorSource(series), color)
            item.setZValue(5)
            pane.add(item)
            self._item_pane[series.name] = key
            self.indicator_items[series.name] = item
        self._bind_equity(data, equity)
        self._relayout()

    def _pane_of(self, name: str) -> Pane:
        key = self._item_pane[name]
        return {"price": self.price, "volume": self.volume}.get(key) or self.indicator_panes[key]

    def _bind_equity(self, data: SymbolData, equity: EquitySeries) -> None:
        """Equity and drawdown panes once there has been equity, placed on ``data``'s bars.

        The panes stay (empty) when the equity is cleared for a new run: creating them costs
        a re-layout of the whole chart (~50 ms), which would otherwise land on the new run's
        first live update."""
        if not len(equity) and self.equity_item is None and not self.always_equity:
            return
        placement = EquityPlacement(equity, data.bars)
        if self.equity_item is not None and self.drawdown_item is not None:
            self.equity_item.set_source(EquitySource(placement, "equity"))
            self.drawdown_item.set_source(EquitySource(placement, "drawdown"))
            return
        red = self._theme.market.down
        self.equity_item = LineItem(EquitySource(placement, "equity"), self._theme.equity)
        self.drawdown_item = LineItem(
            EquitySource(placement, "drawdown"), red, fill=self._theme.blend(red, 0.35)
        )
        self.equity = self._pane("equity", stretch=2, value_format=compact_ticks)
        self.drawdown = self._pane(
            "drawdown", stretch=1, value_format=percent_ticks, pad=(0.1, 0.0)
        )
        self.equity.add(self.equity_item)
        self.drawdown.add(self.drawdown_item)

    # -- data changes ----------------------------------------------------------------------
    def bars_appended(self) -> None:
        self.equity_appended()

    def equity_appended(self) -> None:
        for item in (self.equity_item, self.drawdown_item):
            if item is not None:
                item.data_appended()

    def bars_prefix_changed(self, *, back: bool) -> None:
        """The bars were cut back (``back``) or shown again: the indicator lines and the
        equity placed on the bars redraw, from scratch after a cut, else only what was added."""
        self._redraw([*self.indicator_items.values(), *self._equity_items()], back)

    def equity_prefix_changed(self, *, back: bool) -> None:
        """The equity was cut back or shown again: only its lines redraw."""
        self._redraw(self._equity_items(), back)

    def _equity_items(self) -> list[LineItem]:
        if self.equity_item is None or self.drawdown_item is None:
            return []
        source = self.equity_item.source
        assert isinstance(source, EquitySource)
        source.placement.truncate()
        return [self.equity_item, self.drawdown_item]

    @staticmethod
    def _redraw(items: list[LineItem], back: bool) -> None:
        for item in items:
            if back:
                item.data_replaced()
            else:
                item.data_appended()

    def indicator_changed(self, name: str, *, replaced: bool) -> None:
        item = self.indicator_items[name]
        (item.data_replaced if replaced else item.data_appended)()

    # -- view ------------------------------------------------------------------------------
    def fit_y(self, x0: float, x1: float) -> None:
        for pane in self._shown:
            pane.fit_y(x0, x1)

    def pane_at(self, scene_pos: QPointF) -> Pane | None:
        for pane in self._shown:
            if pane.vb.sceneBoundingRect().contains(scene_pos):
                return pane
        return None

    def update_legends(
        self,
        data: SymbolData,
        index: int | None,
        market: MarketColors,
    ) -> None:
        """Legends show the values at ``index`` (None: the latest bar)."""
        i = len(data.bars) - 1 if index is None else index
        lines: dict[str, list[tuple[str, float, QColor]]] = {}
        for name, item in self.indicator_items.items():
            key = self._item_pane[name]
            lines.setdefault(key, []).append((name, item.source.value_at(i), item.color))
        self.price.set_legend(
            readout.price_legend(
                data.symbol, data.bars, i, market.up, market.down, lines.get("price", [])
            )
        )
        vol = float(data.bars.volume.view[i]) if 0 <= i < len(data.bars) else float("nan")
        self.volume.set_legend(
            readout.pane_legend(
                "Volume", [("", vol, self._theme.foreground), *lines.get("volume", [])], "k"
            )
        )
        for key, pane in self.indicator_panes.items():
            pane.set_legend(readout.pane_legend(key, lines.get(key, [])))
        if self.equity is not None and self.drawdown is not None:
            assert self.equity_item is not None and self.drawdown_item is not None
            self.equity.set_legend(
                readout.pane_legend(
                    "Equity", [("", self.equity_item.source.value_at(i), self.equity_item.color)]
                )
            )
            self.drawdown.set_legend(
                readout.pane_legend(
                    "Drawdown",
                    [("", self.drawdown_item.source.value_at(i), self.drawdown_item.color)],
                    "%",
                )
            )
