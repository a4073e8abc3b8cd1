"""What a blotter's filter box asks for: a symbol substring, a side and a set of statuses."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events import Side
from ostdesk.gui.blotter.book import OrderStatus

WORKING = frozenset(s for s in OrderStatus if not s.is_final)
DONE = frozenset(s for s in OrderStatus if s.is_final)


@dataclasses.dataclass(frozen=True, slots=True)
class RowFilter:
    """Accept rows whose symbol contains ``symbol`` (any case), on ``side``, in ``statuses``.

    ``None`` means "any"; rows without a status (fills, positions) pass any status filter.
    """

    symbol: str = ""
    side: Side | None = None
    statuses: frozenset[OrderStatus] | None = None

    @property
    def active(self) -> bool:
        return bool(self.symbol) or self.side is not None or self.statuses is not None

    def accepts(self, symbol: str, side: Side | None, status: OrderStatus | None) -> bool:
        if self.symbol and self.symbol.casefold() not in symbol.casefold():
            return False
        if self.side is not None and side is not self.side:
            return False
        return self.statuses is None or status is None or status in self.statuses
