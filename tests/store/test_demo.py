"""Demo data: deterministic, plausible, labelled synthetic, and quick to install."""

from __future__ import annotations

import time

import numpy as np

from ostdesk.store import Database, has_market_data, install_demo_data, list_instruments, load_bars
from ostdesk.store.demo import DEMO_SYMBOLS, demo_bars

MINUTE_NS = 60_000_000_000


def test_demo_bars_are_the_same_every_time() -> None:
    a, b = demo_bars(), demo_bars()
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_install_demo_data_fills_an_empty_store(db: Database) -> None:
    assert not has_market_data(db)
    started = time.perf_counter()
    symbols = install_demo_data(db)
    elapsed = time.perf_counter() - started
    assert symbols == list(DEMO_SYMBOLS) and 4 <= len(symbols) <= 5
    assert all(s.startswith("DEMO-") for s in symbols)
    assert has_market_data(db)
    assert all("synthetic" in i.description.lower() for i in list_instruments(db))
    assert elapsed < 5.0  # ~0.1 s measured; generous for a loaded 2-core machine


def test_installing_twice_replaces_rather_than_duplicates(db: Database) -> None:
    install_demo_data(db)
    first = db.connection.execute("SELECT count(*), sum(close) FROM bars").fetchone()
    install_demo_data(db)
    assert db.connection.execute("SELECT count(*), sum(close) FROM bars").fetchone() == first


def test_demo_bars_are_valid_and_in_weekday_sessions(db: Database) -> None:
    install_demo_data(db)
    for symbol in DEMO_SYMBOLS:
        bars = load_bars(db, symbol, "minute")
        o, h, lo, c, v = (bars[k] for k in ("open", "high", "low", "close", "volume"))
        assert np.all(h >= np.maximum(o, c)) and np.all(lo <= np.minimum(o, c)) and np.all(lo > 0)
        assert np.all(v >= 0)
        ts = bars["ts_event_ns"].astype("datetime64[ns]")
        minutes = (bars["ts_event_ns"] // MINUTE_NS) % (24 * 60)
        assert minutes.min() == 14 * 60 + 30 and minutes.max() == 20 * 60 + 59
        assert np.all(np.is_busday(ts.astype("datetime64[D]")))
        days = len(np.unique(ts.astype("datetime64[D]")))
        assert days >= 15  # several weeks
        assert len(ts) == days * 390


def test_demo_volume_is_u_shaped_within_the_session() -> None:
    bars = demo_bars()
    minute = (bars["ts_event_ns"] // MINUTE_NS) % (24 * 60) - (14 * 60 + 30)
    volume = bars["volume"]
    edges = volume[(minute < 30) | (minute >= 360)].mean()
    middle = volume[(minute >= 180) & (minute < 210)].mean()
    assert edges > 1.5 * middle


def test_demo_volatility_clusters() -> None:
    bars = demo_bars()
    first = bars["symbol"] == DEMO_SYMBOLS[0]
    r = np.diff(np.log(bars["close"][first]))
    a = np.abs(r) - np.abs(r).mean()
    autocorr = float(np.dot(a[:-1], a[1:]) / np.dot(a, a))
    assert autocorr > 0.05  # absolute returns are correlated: calm and busy spells
