"""Order, fill and position blotters: Qt models over a Qt-free order book and account."""

from ostdesk.gui.blotter.blotters import Blotters

__all__ = ["Blotters"]
