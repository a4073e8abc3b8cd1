"""A recorded run's strategy messages: loaded once as columns, sorted by their bar's time,
turned into lines only when shown (a run may hold a million of them).

Qt-free: the replay's log view asks for the lines up to the cursor, Run details for the first
lines of the run (:func:`ostdesk.gui.strategy_log.load_recorded_log`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.engine.log_echo import format_log_line
from ostdesk.store.database import DbOrCursor
from ostdesk.store.runs import run_logs


@dataclasses.dataclass(frozen=True, slots=True)
class RunMessages:
    """Messages in the order logged (by bar time, then as logged within a bar)."""

    ts: npt.NDArray[np.int64]
    strategy_id: npt.NDArray[Any]
    symbol: npt.NDArray[Any]
    message: npt.NDArray[Any]
    with_symbol: bool = False
    """Whether a line names the message's symbol (the run traded several)."""

    @classmethod
    def load(
        cls, db: DbOrCursor, run_id: int, *, with_symbol: bool, limit: int | None = None
    ) -> RunMessages:
        """Run ``run_id``'s messages, the first ``limit`` of them if given."""
        rows = run_logs(db, run_id, limit=limit)
        return cls(
            np.asarray(rows["ts"], dtype=np.int64),
            rows["strategy_id"],
            rows["symbol"],
            rows["message"],
            with_symbol,
        )

    @classmethod
    def empty(cls) -> RunMessages:
        none = np.empty(0, dtype=object)
        return cls(np.empty(0, dtype=np.int64), none, none, none)

    def __len__(self) -> int:
        return len(self.ts)

    def count_until(self, ts_ns: int) -> int:
        """How many messages were logged at or before the bar at ``ts_ns``."""
        return int(np.searchsorted(self.ts, ts_ns, side="right"))

    def lines(self, start: int, stop: int) -> list[str]:
        """Messages ``start`` to ``stop`` (excluded) as the lines a person reads."""
        with_symbol = self.with_symbol
        return [
            format_log_line(ts, sid, symbol, message, with_symbol=with_symbol)
            for ts, sid, symbol, message in zip(
                self.ts[start:stop].tolist(),
                self.strategy_id[start:stop],
                self.symbol[start:stop],
                self.message[start:stop],
                strict=True,
            )
        ]
