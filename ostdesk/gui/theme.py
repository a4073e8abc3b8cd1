"""Follow the system's light or dark appearance, also where Qt's default style would not.

Qt >= 6.5 reports the system colour scheme, and Fusion (the default on Linux without KDE)
takes a dark palette from platform themes that provide one. Two gaps are closed here: the
classic Windows style ("windowsvista") ignores dark mode, so a dark session switches to Fusion;
and where the scheme is dark but the platform theme still hands out a light palette (plain X11,
some GNOME set-ups), a dark Fusion palette is set. Widgets that paint their own colours
(charts) listen for ``QEvent.PaletteChange``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

_LIGHT_ONLY_STYLES = {"windowsvista", "windows"}


def follow_system_color_scheme(app: QApplication) -> None:
    hints = app.styleHints()
    apply_color_scheme(app, hints.colorScheme())
    hints.colorSchemeChanged.connect(lambda scheme: apply_color_scheme(app, scheme))


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_color_scheme(app: QApplication, scheme: Qt.ColorScheme) -> None:
    if scheme == Qt.ColorScheme.Dark:
        if app.style().name().lower() in _LIGHT_ONLY_STYLES:
            app.setStyle(QStyleFactory.create("Fusion"))
        if not is_dark(app.palette()):
            app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and is_dark(app.palette()):
        app.setPalette(app.style().standardPalette())


def dark_palette() -> QPalette:
    """A restrained dark palette for Fusion (greys, one blue accent)."""
    p = QPalette()
    roles = QPalette.ColorRole
    colors = {
        roles.Window: "#2b2d30",
        roles.WindowText: "#dfe1e5",
        roles.Base: "#1e1f22",
        roles.AlternateBase: "#26282b",
        roles.ToolTipBase: "#3c3f41",
        roles.ToolTipText: "#dfe1e5",
        roles.PlaceholderText: "#8c8f94",
        roles.Text: "#dfe1e5",
        roles.Button: "#35373a",
        roles.ButtonText: "#dfe1e5",
        roles.BrightText: "#ff6b68",
        roles.Light: "#45484c",
        roles.Midlight: "#3a3d40",
        roles.Mid: "#2f3134",
        roles.Dark: "#1b1c1e",
        roles.Shadow: "#000000",
        roles.Highlight: "#3574f0",
        roles.HighlightedText: "#ffffff",
        roles.Link: "#589df6",
        roles.LinkVisited: "#9a7ee6",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(disabled, role, QColor("#7a7d82"))
    p.setColor(disabled, roles.Highlight, QColor("#4a4d52"))
    return p
