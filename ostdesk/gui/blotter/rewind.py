"""The blotters' books at any point of a recorded run, without folding the run from its start.

A replay that moves back (or far ahead) needs the order book and the account as they stood after
the run's first ``e`` events. Folding those events again costs ~1.4 µs each: 80 ms at the end of
a 57,000-event run, on every step back. Instead the run is folded once, when the replay opens,
noting after each event how many orders, fills and lifecycle steps the book held. The book after
``e`` events is then the full book cut to those counts: its orders, fills and steps are prefixes
of the full book's, and an order's record there is already its state after ``e`` events unless a
later event changed it. Only those orders, the ones still live at ``e`` (a handful), are rebuilt
from their own events. The account comes from a copy taken every ``CHECKPOINT_FILLS`` fills
plus the fills since. Exact by construction: the same handlers fold the same events.
"""

from __future__ import annotations

import copy
from array import array
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ostdesk.engine import events as ev
from ostdesk.gui.blotter.book import AccountBook, OrderBook, OrderRecord

CHECKPOINT_FILLS = 256

Ints = npt.NDArray[np.int64]


class BookRewind:
    """Books after any number of a run's events; see the module docstring."""

    def __init__(self, events: Sequence[ev.EventBase], capital: float) -> None:
        self._events = events
        self._capital = capital
        full = self._full = OrderBook()
        account = AccountBook(capital)
        self._accounts = [copy.deepcopy(account)]  # after 0, 256, 512, ... fills
        orders, fills, steps = array("q"), array("q"), array("q")  # sizes after each event
        n_orders, n_fills = full.orders.__len__, full.fills.__len__
        log = full.log_steps
        handle, fill_type = full.handle, ev.FillEvent
        for event in events:
            handle(event)
            if type(event) is fill_type:
                account.apply((event,))
                if n_fills() % CHECKPOINT_FILLS == 0:
                    self._accounts.append(copy.deepcopy(account))
            orders.append(n_orders())
            fills.append(n_fills())
            steps.append(len(log))
        self._orders: Ints = np.frombuffer(orders, np.int64)
        self._fills: Ints = np.frombuffer(fills, np.int64)
        self._steps: Ints = np.frombuffer(steps, np.int64)
        # the event that wrote each lifecycle step, and each order's last step
        self._step_event: Ints = np.searchsorted(self._steps, np.arange(len(log)), side="right")
        self._last_step: Ints = np.fromiter(
            (o.last_step for o in full.orders), np.int64, len(full.orders)
        )

    def __len__(self) -> int:
        return len(self._events)

    def books_at(self, e: int) -> tuple[OrderBook, AccountBook]:
        """New order book and account as they stood after the first ``e`` events (not yet
        marked to any bar: the caller applies the latest bars, as the live bridge does)."""
        if not 0 <= e <= len(self._events):
            raise IndexError(f"event count {e} is outside the run's 0..{len(self._events)}")
        if e == 0:
            return OrderBook(), AccountBook(self._capital)
        full = self._full
        if full.had_duplicates:  # duplicate ids pair events by counting: fold from the start
            book, account = OrderBook(), AccountBook(self._capital)
            book.apply(self._events[:e])
            account.apply(self._events[:e])
            return book, account
        n_orders, n_fills, n_steps = (
            int(a[e - 1]) for a in (self._orders, self._fills, self._steps)
        )
        orders = full.orders[:n_orders]
        for index in np.flatnonzero(self._last_step[:n_orders] >= n_steps).tolist():
            orders[index] = self._rebuild(full.orders[index], n_steps)
        account = self._account_after(n_fills)
        book = full.prefix(orders, n_fills, n_steps, copy.deepcopy(account.portfolio))
        return book, account

    def _rebuild(self, order: OrderRecord, n_steps: int) -> OrderRecord:
        """``order`` as it stood once the book held ``n_steps`` steps: its own events folded."""
        scratch = OrderBook()
        steps = [s for s in self._full.steps_of(order) if s < n_steps]
        for step in steps:
            scratch.handle(self._events[int(self._step_event[step])])
        record = scratch.orders[0]
        record.index = order.index
        record.last_step = steps[-1]
        return record

    def _account_after(self, n_fills: int) -> AccountBook:
        checkpoint = n_fills // CHECKPOINT_FILLS
        account = copy.deepcopy(self._accounts[checkpoint])
        account.apply(self._full.fills[checkpoint * CHECKPOINT_FILLS : n_fills])
        return account
