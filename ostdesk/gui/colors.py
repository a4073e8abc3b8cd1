"""Market colours shared by the chart and the blotters, following one user setting.

Western convention (green up, red down) by default; "red up" (China, Japan, Korea) on request.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

SETTINGS_KEY = "appearance/red_up"

_GREEN = "#26a69a"
_RED = "#ef5350"


@dataclasses.dataclass(frozen=True)
class MarketColors:
    up: QColor
    down: QColor

    @property
    def buy(self) -> QColor:
        return self.up

    @property
    def sell(self) -> QColor:
        return self.down


def market_colors(red_up: bool | None = None) -> MarketColors:
    """Colours for rising/buy and falling/sell; ``red_up`` defaults to the saved setting."""
    if red_up is None:
        red_up = bool(QSettings().value(SETTINGS_KEY, False, type=bool))
    up, down = (_RED, _GREEN) if red_up else (_GREEN, _RED)
    return MarketColors(QColor(up), QColor(down))


def set_red_up(red_up: bool) -> None:
    QSettings().setValue(SETTINGS_KEY, red_up)
