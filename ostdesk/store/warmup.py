"""Where a run's indicator warm-up ends: its first tradable bar, from which Buy & Hold starts.

backtesting.py (0.6, ``_indicator_warmup_nbars``) takes, over every indicator line the
strategy declared, the index of the line's first value that is not NaN, and the largest of
those is the first tradable bar ``k``: Buy & Hold Return is ``c[-1] / c[k] - 1`` (Alpha follows
from it), while ``Strategy.next`` is first called one bar later, at ``k + 1``, "to have at
least two entries available" (that +1 applies to its loop, not to the statistics). A line that
never has a value does not move ``k`` (NumPy's ``argmin`` of an all-NaN line is 0), nor does a
strategy without indicators.

ostdesk defines it the same way on the bar timeline, as a time: the latest, over every
strategy, every symbol it trades and every indicator line, of the first bar at which that line
has a value. For a multi-symbol run (backtesting.py has no equivalent) it is so the first bar
at which every declared indicator of every symbol has a value. The recorder follows the
``IndicatorBlock`` events as they pass (:class:`WarmUp`).
"""

from __future__ import annotations

import numpy as np

from ostdesk.engine.events import IndicatorBlock

_NONE_YET = np.iinfo(np.int64).max  # no value seen yet for a (symbol, line)


class WarmUp:
    """Follows a run's indicator blocks and keeps, per strategy, symbol and line, the time of
    the first value. A strategy stops being looked at once all its lines have one, so after
    the warm-up a block costs one set lookup, and during it only the lines still without a
    value are looked at (a line that never has one would otherwise keep every line in play)."""

    __slots__ = ("_done", "_first")

    def __init__(self) -> None:
        self._first: dict[str, np.ndarray[tuple[int, int], np.dtype[np.int64]]] = {}
        self._done: set[str] = set()

    def add(self, block: IndicatorBlock) -> None:
        """Take the times of ``block``'s first values (its rows are in time order; across
        blocks the earliest time stays)."""
        if block.strategy_id in self._done:
            return
        first = self._first.get(block.strategy_id)
        if first is None:
            shape = (len(block.symbols), len(block.names))
            first = self._first[block.strategy_id] = np.full(shape, _NONE_YET, dtype=np.int64)
        pending = np.flatnonzero((first == _NONE_YET).any(axis=0))
        valued = ~np.isnan(block.values[:, pending])
        for k, line in enumerate(pending.tolist()):
            rows = np.flatnonzero(valued[:, k])
            if len(rows):
                symbols, at = np.unique(block.symbol_index[rows], return_index=True)
                column = first[:, line]
                column[symbols] = np.minimum(column[symbols], block.ts[rows[at]])
        if (first != _NONE_YET).all():
            self._done.add(block.strategy_id)

    @property
    def end_ns(self) -> int | None:
        """The first tradable bar's time; None while no line has a value (bar 0 then)."""
        seen = [f[f != _NONE_YET] for f in self._first.values()]
        return max((int(s.max()) for s in seen if s.size), default=None)
