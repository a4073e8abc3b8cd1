"""``run_market``: the timeline and per-symbol bars that a run's results are computed from."""

from __future__ import annotations

import numpy as np

from ostdesk.store import Database
from ostdesk.store.run_results import run_market


def test_symbols_with_gaps_are_split_and_placed_on_the_shared_timeline(db: Database) -> None:
    rng = np.random.default_rng(7)
    times = np.arange(1, 301, dtype=np.int64) * 60_000_000_000
    rows = []
    for symbol, keep in (("BBB", 0.5), ("AAA", 0.9), ("CCC", 0.2)):
        for t in times[rng.random(len(times)) < keep]:
            rows.append((7, int(t), symbol, 1.0, float(t % 97) + 2, float(t % 89), float(t % 83)))
    rows += [(8, int(times[0]), "AAA", 9.0, 9.0, 9.0, 9.0)]  # another run's bar
    order = rng.permutation(len(rows))  # inserted out of time order
    con = db.cursor()
    con.executemany(
        "INSERT INTO run_bars VALUES (?, ?, ?, ?, ?, ?, ?, 1.0)", [rows[i] for i in order]
    )

    timeline, market = run_market(con, 7)

    mine = [r for r in rows if r[0] == 7]
    assert timeline.tolist() == sorted({r[1] for r in mine})
    assert list(market) == ["AAA", "BBB", "CCC"]
    for symbol, bars in market.items():
        expected = sorted(r for r in mine if r[2] == symbol)
        assert bars["ts"].tolist() == [r[1] for r in expected]
        assert bars["high"].tolist() == [r[4] for r in expected]
        assert bars["low"].tolist() == [r[5] for r in expected]
        assert bars["close"].tolist() == [r[6] for r in expected]
        by_time = {r[1]: r[6] for r in expected}
        aligned = bars["timeline_close"]
        assert len(aligned) == len(timeline)
        for t, value in zip(timeline.tolist(), aligned.tolist(), strict=True):
            assert value == by_time[t] if t in by_time else np.isnan(value)
    con.close()


def test_a_run_without_bars_has_an_empty_timeline(db: Database) -> None:
    con = db.cursor()
    timeline, market = run_market(con, 123)
    assert len(timeline) == 0 and market == {}
    con.close()
