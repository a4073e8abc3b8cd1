"""Chart colours: market up/down from the shared setting, the rest from the application palette."""

from __future__ import annotations

import dataclasses

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ostdesk.gui.colors import MarketColors, market_colors

#: Indicator line colours, assigned in declaration order within a pane.
LINE_PALETTE = (
    "#2962ff",
    "#ff9800",
    "#ab47bc",
    "#00acc1",
    "#ec407a",
    "#7cb342",
    "#8d6e63",
    "#78909c",
)


@dataclasses.dataclass(frozen=True)
class ChartTheme:
    background: QColor
    foreground: QColor
    grid_alpha: float
    crosshair: QColor
    equity: QColor
    limit_order: QColor
    stop_order: QColor
    market: MarketColors

    @property
    def dark(self) -> bool:
        return self.background.lightnessF() < 0.5

    def with_market(self, market: MarketColors) -> ChartTheme:
        return dataclasses.replace(self, market=market)

    def blend(self, color: QColor, amount: float) -> QColor:
        """``color`` mixed into the background; opaque, so overlapping fills do not darken."""
        bg = self.background
        return QColor.fromRgbF(
            bg.redF() + (color.redF() - bg.redF()) * amount,
            bg.greenF() + (color.greenF() - bg.greenF()) * amount,
            bg.blueF() + (color.blueF() - bg.blueF()) * amount,
        )


def default_theme() -> ChartTheme:
    """Dark chart under a dark application palette, light otherwise."""
    app = QApplication.instance()
    window = (
        app.palette().color(QPalette.ColorRole.Window)  # type: ignore[attr-defined]
        if app is not None
        else QColor("white")
    )
    if window.lightnessF() < 0.5:
        return ChartTheme(
            background=QColor("#131722"),
            foreground=QColor("#b2b5be"),
            grid_alpha=0.12,
            crosshair=QColor("#9598a1"),
            equity=QColor("#2962ff"),
            limit_order=QColor("#42a5f5"),
            stop_order=QColor("#ffa726"),
            market=market_colors(),
        )
    return ChartTheme(
        background=QColor("#ffffff"),
        foreground=QColor("#434651"),
        grid_alpha=0.10,
        crosshair=QColor("#787b86"),
        equity=QColor("#2962ff"),
        limit_order=QColor("#1e88e5"),
        stop_order=QColor("#f57c00"),
        market=market_colors(),
    )
