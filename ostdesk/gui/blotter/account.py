"""The account line above the positions table: cash, equity, P&L and drawdown at a glance."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ostdesk.gui.blotter.book import AccountBook
from ostdesk.gui.blotter.format import money_text, percent_text
from ostdesk.gui.colors import MarketColors

_FIELDS = (
    "Cash",
    "Equity",
    "Total P&L",
    "Realised",
    "Unrealised",
    "Commission",
    "Drawdown",
    "Max DD",
)


class AccountBar(QFrame):
    """A strip of caption-over-value cells; P&L values take the chart's up/down colours."""

    def __init__(self, colors: MarketColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._colors = colors
        self.values: dict[str, QLabel] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(18)
        for name in _FIELDS:
            cell = QVBoxLayout()
            cell.setSpacing(0)
            caption = QLabel(name.upper())
            caption.setStyleSheet("color: palette(mid); font-size: 8pt;")
            value = QLabel("—")
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            value.setStyleSheet("font-weight: 600;")
            cell.addWidget(caption)
            cell.addWidget(value)
            row.addLayout(cell)
            self.values[name] = value
        row.addStretch(1)

    def set_colors(self, colors: MarketColors) -> None:
        self._colors = colors

    def show_account(self, account: AccountBook) -> None:
        p = account.portfolio
        equity = p.equity
        dd = account.drawdown
        dd_pct = dd / account.peak_equity if account.peak_equity > 0 else 0.0
        self._set("Cash", money_text(p.cash))
        self._set("Equity", money_text(equity))
        self._set("Total P&L", money_text(account.total_pnl), account.total_pnl)
        self._set("Realised", money_text(p.realized_pnl), p.realized_pnl)
        self._set("Unrealised", money_text(p.unrealized_pnl), p.unrealized_pnl)
        self._set("Commission", money_text(p.commission))
        self._set("Drawdown", f"{money_text(dd)} ({percent_text(dd_pct)})", -dd)
        self._set("Max DD", money_text(account.max_drawdown), -account.max_drawdown)

    def _set(self, name: str, text: str, sign: float = 0.0) -> None:
        label = self.values[name]
        label.setText(text)
        color: QColor | None = (
            self._colors.up if sign > 0 else self._colors.down if sign < 0 else None
        )
        style = "font-weight: 600;" + (f" color: {color.name()};" if color is not None else "")
        if label.styleSheet() != style:
            label.setStyleSheet(style)
