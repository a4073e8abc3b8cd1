"""Store test helpers: an open database and the real market data shipped by ``backtesting``."""

from __future__ import annotations

from pathlib import Path

import backtesting
import pytest

from ostdesk.store import Database

BACKTESTING_DATA = Path(backtesting.__file__).parent / "test"


@pytest.fixture
def goog_csv() -> Path:
    return BACKTESTING_DATA / "GOOG.csv"


@pytest.fixture
def eurusd_csv() -> Path:
    return BACKTESTING_DATA / "EURUSD.csv"


def snapshot(db: Database) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Everything stored, to prove a failed import changed nothing."""
    con = db.connection
    bars = con.execute("SELECT * FROM bars ORDER BY symbol, period, ts_event_ns").fetchall()
    instruments = con.execute("SELECT * FROM instruments ORDER BY symbol").fetchall()
    return bars, instruments
