"""Queries over stored bars: listing, coverage, loading, and chunked reads for the datafeed."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ostdesk.engine.bar_chunk import BarChunk
from ostdesk.engine.bus import EventBus
from ostdesk.engine.datafeed import HistoricalDatafeed
from ostdesk.engine.events import BarPeriod, BarReceived, EventBase
from ostdesk.engine.subscriber import Subscriber
from ostdesk.store import (
    Database,
    StoreError,
    UnknownSymbolError,
    bar_chunks,
    count_bars,
    coverage,
    has_market_data,
    import_bars,
    install_demo_data,
    list_instruments,
    load_bars,
)
from ostdesk.store.demo import DEMO_SYMBOLS


def test_an_empty_store_has_no_market_data(db: Database) -> None:
    assert not has_market_data(db)
    assert list_instruments(db) == []


def test_imported_symbols_are_listed_with_coverage(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    assert has_market_data(db)
    assert [i.symbol for i in list_instruments(db)] == ["GOOG"]
    first, last, count = coverage(db, ["GOOG"], "day")["GOOG"]
    assert count == 2148 and first < last
    assert coverage(db, None, "day").keys() == {"GOOG"}


def test_unknown_symbols_raise_a_clear_error(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    with pytest.raises(UnknownSymbolError, match="'MSFT'"):
        load_bars(db, "MSFT", "day")
    with pytest.raises(UnknownSymbolError, match="'GOOG' with period minute"):
        count_bars(db, ["GOOG"], "minute")


def test_load_bars_limits_to_a_half_open_range(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    every = load_bars(db, "GOOG", "day")
    start, end = int(every["ts_event_ns"][10]), int(every["ts_event_ns"][20])
    part = load_bars(db, "GOOG", "day", start, end)
    assert part["ts_event_ns"].tolist() == every["ts_event_ns"][10:20].tolist()
    assert part["ts_event_ns"].dtype == np.int64 and part["close"].dtype == np.float64


def test_count_bars_of_an_empty_range_is_an_error(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    with pytest.raises(StoreError, match="no day bars of GOOG from 1970-01-01"):
        count_bars(db, ["GOOG"], "day", start_ns=0, end_ns=1)


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        (None, "2003-01-01T14:30", " before 2003-01-01 14:30:00 UTC"),
        (
            "2003-01-01",
            "2003-01-31T23:59:59.999999999",
            " from 2003-01-01 00:00:00 UTC through 2003-01-31",
        ),
        ("2013-03-02", None, " from 2013-03-02 00:00:00 UTC"),
    ],
)
def test_an_empty_range_is_named_as_it_was_asked(
    db: Database, goog_csv: Path, start: str | None, end: str | None, said: str
) -> None:
    """An end date takes its whole day (up to its last nanosecond): "through" that date reads
    right, where 23:59:59.999999999 did not; a time ends the half-open range: "before" it."""
    import_bars(db, goog_csv, symbol="GOOG", period="day")

    def ns(text: str | None) -> int | None:
        return None if text is None else int(np.datetime64(text, "ns").astype(np.int64))

    with pytest.raises(StoreError) as info:
        count_bars(db, ["GOOG"], "day", start_ns=ns(start), end_ns=ns(end))
    assert str(info.value) == f"no day bars of GOOG{said}"


def concat(chunks: list[BarChunk]) -> dict[str, np.ndarray]:
    return {
        name: np.concatenate([getattr(c, name) for c in chunks])
        for name in ("ts", "symbol_index", "open", "close")
    }


def test_bar_chunks_come_in_time_then_symbol_order(db: Database) -> None:
    install_demo_data(db)
    symbols = [DEMO_SYMBOLS[2], DEMO_SYMBOLS[0]]
    chunks = list(bar_chunks(db, symbols, "minute", chunk_rows=1000))
    assert len(chunks) > 10
    assert all(len(c) <= 1000 for c in chunks)
    bars = concat(chunks)
    assert len(bars["ts"]) == count_bars(db, symbols, "minute")
    order = np.lexsort((bars["symbol_index"], bars["ts"]))
    assert np.array_equal(order, np.arange(len(order)))
    assert set(bars["symbol_index"].tolist()) == {0, 1}
    first = load_bars(db, symbols[0], "minute")
    assert np.array_equal(bars["close"][bars["symbol_index"] == 0], first["close"])


def test_bar_chunks_respect_the_range(db: Database) -> None:
    install_demo_data(db)
    ts = load_bars(db, DEMO_SYMBOLS[0], "minute")["ts_event_ns"]
    start, end = int(ts[100]), int(ts[200])
    bars = concat(list(bar_chunks(db, DEMO_SYMBOLS[:2], "minute", start, end, chunk_rows=64)))
    assert bars["ts"].min() == start and bars["ts"].max() == int(ts[199])
    assert len(bars["ts"]) == 200


def test_bar_chunks_read_in_another_thread_with_their_own_cursor(db: Database) -> None:
    install_demo_data(db)
    chunks = bar_chunks(db, DEMO_SYMBOLS, "minute")
    counted: list[int] = []
    thread = threading.Thread(target=lambda: counted.append(sum(len(c) for c in chunks)))
    thread.start()
    thread.join()
    assert counted == [count_bars(db, DEMO_SYMBOLS, "minute")]


class Closes(Subscriber):
    def __init__(self, bus: EventBus, closes: list[float]) -> None:
        self.closes = closes
        super().__init__(bus)

    def _on_event(self, event: EventBase) -> None:
        assert isinstance(event, BarReceived)
        self.closes.append(event.close)


def test_the_datafeed_replays_stored_bars_in_order(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    install_demo_data(db)
    bus = EventBus()
    closes: list[float] = []
    total = count_bars(db, ["GOOG"], "day")
    chunks = bar_chunks(db, ["GOOG"], BarPeriod.DAY, chunk_rows=500)
    feed = HistoricalDatafeed(bus, ["GOOG"], BarPeriod.DAY, chunks, total)

    sub = Closes(bus, closes)
    bus.subscribe(sub, BarReceived)
    feed.start()
    assert feed.join(30)
    sub.shutdown()
    assert feed.error is None and feed.progress == 1.0
    assert closes == load_bars(db, "GOOG", "day")["close"].tolist()
