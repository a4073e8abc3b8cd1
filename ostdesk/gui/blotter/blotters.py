"""The four blotters together, fed one bridge batch at a time: what the main window docks."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ostdesk.engine.events import EventBase
from ostdesk.gui.blotter.account import AccountBar
from ostdesk.gui.blotter.book import AccountBook, OrderBook
from ostdesk.gui.blotter.format import PricePrecision
from ostdesk.gui.blotter.models import (
    BlotterModel,
    FillsModel,
    OrdersModel,
    PositionsModel,
    WorkingOrdersModel,
)
from ostdesk.gui.blotter.views import BlotterView
from ostdesk.gui.colors import MarketColors, market_colors

DEFAULT_CAPITAL = 100_000.0


class Blotters(QWidget):
    """Working orders, order history, fills and positions as tabs.

    The views are public so a main window can move each into its own dock instead. ``apply``
    takes each bridge batch (events in publication order); ``load_events`` shows a recorded run
    or the state at a replay cursor by folding its events through the same books in one go.
    """

    # symbol, ts_ns: centre the chart there. qint64: a plain ``int`` signal argument is 32-bit.
    centerRequested = Signal(str, "qint64")  # type: ignore[arg-type]

    def __init__(
        self,
        initial_capital: float = DEFAULT_CAPITAL,
        *,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.order_book = OrderBook()
        self.account = AccountBook(initial_capital)
        colors = market_colors()
        self._prices = prices = PricePrecision()
        self.working_model = WorkingOrdersModel(self.order_book, prices, colors)
        self.orders_model = OrdersModel(self.order_book, prices, colors)
        self.fills_model = FillsModel(self.order_book, prices, colors)
        self.positions_model = PositionsModel(self.account, prices, colors)

        self.working_view = BlotterView("working", self.working_model, settings=settings)
        self.orders_view = BlotterView("orders", self.orders_model, settings=settings)
        self.fills_view = BlotterView("fills", self.fills_model, statuses=False, settings=settings)
        self.positions_view = BlotterView(
            "positions", self.positions_model, statuses=False, settings=settings
        )
        self.account_bar = AccountBar(colors)
        self.positions_view.add_banner(self.account_bar)
        self.account_bar.show_account(self.account)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for view in self._views():
            self.tabs.addTab(view, "")
            view.rowActivated.connect(lambda row, model=view.model: self._locate(model, row))
        self._update_titles()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def _views(self) -> tuple[BlotterView, ...]:
        return (self.working_view, self.orders_view, self.fills_view, self.positions_view)

    def apply(self, events: Sequence[EventBase]) -> None:
        """Show one bridge batch: one insert and one update per blotter, never a reset."""
        self._prices.learn(events)
        changes = self.order_book.apply(events)
        symbols = self.account.apply(events)
        self.working_model.apply(changes)
        self.orders_model.apply(changes)
        self.fills_model.apply(changes)
        self.positions_model.apply(symbols)
        if symbols:
            self.account_bar.show_account(self.account)
        if changes.inserted or changes.working_ended or changes.fills or symbols:
            self._update_titles()

    def load_events(self, events: Sequence[EventBase]) -> None:
        """Replace what is shown by a whole run's events (a recording, a replay cursor)."""
        self.reset(self.account.portfolio.initial_capital, events)

    def clear(self) -> None:
        """Empty the blotters for a new run with the same starting capital."""
        self.reset(self.account.portfolio.initial_capital)

    def reset(self, capital: float, events: Sequence[EventBase] = ()) -> None:
        """Start over with ``capital`` (and optionally a run's events), one model reset each;
        the columns fit the run's first rows."""
        self.fit_next_rows()
        book, account = OrderBook(), AccountBook(capital)
        self._prices.learn(events)
        book.apply(events)
        account.apply(events)
        self.show_books(book, account)

    def fit_next_rows(self) -> None:
        """Fit each view's columns to the next rows it shows (a new run's), not at every
        later reset (a replay's seeks)."""
        for view in self._views():
            view.fit_next_rows()

    def learn_prices(self, events: Sequence[EventBase]) -> None:
        """Size the price columns for these events before their rows are shown."""
        self._prices.learn(events)

    def show_books(self, book: OrderBook, account: AccountBook) -> None:
        """Show books built elsewhere (a replay's rewind), one model reset each; later
        ``apply`` calls fold into them."""
        self.order_book = book
        self.account = account
        self.working_model.set_book(self.order_book)
        self.orders_model.set_book(self.order_book)
        self.fills_model.set_book(self.order_book)
        self.positions_model.set_account(self.account)
        self.account_bar.show_account(self.account)
        self._update_titles()

    def set_colors(self, colors: MarketColors) -> None:
        """Follow the chart's colour setting (red up / green up)."""
        for view in self._views():
            view.model.set_colors(colors)
        self.account_bar.set_colors(colors)
        self.account_bar.show_account(self.account)

    def _locate(self, model: BlotterModel, row: int) -> None:
        target = model.locate(row)
        if target is not None:
            self.centerRequested.emit(*target)

    def _update_titles(self) -> None:
        counts = (
            ("Working", self.working_model.rowCount()),
            ("Orders", self.orders_model.rowCount()),
            ("Fills", self.fills_model.rowCount()),
            ("Positions", self.positions_model.rowCount()),
        )
        for i, (name, n) in enumerate(counts):
            self.tabs.setTabText(i, f"{name} ({n:,})")
