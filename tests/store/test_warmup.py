"""The first tradable bar: where the indicators' warm-up ends and Buy & Hold starts, followed
from the indicator blocks as a run is recorded and read back from its stored rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived, IndicatorBlock
from ostdesk.engine.runner import BacktestConfig
from ostdesk.indicators import SMA
from ostdesk.store import Database, import_bars
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.rows import first_row
from ostdesk.store.run_results import compute_results, split_market
from ostdesk.store.runs import run_bars, run_fills, run_stats
from ostdesk.store.warmup import WarmUp

NAN = np.nan


def recorded_warmup_end(db: Database, run_id: int) -> int | None:
    """:attr:`WarmUp.end_ns` of a recorded run found another way: in SQL, from the indicator
    rows the database holds (the latest, over every line, of its first value's time)."""
    row = first_row(
        db.connection.execute(
            "SELECT max(first_ts) FROM (SELECT min(ts) FILTER (WHERE NOT isnan(value)) AS"
            " first_ts FROM run_indicators WHERE run_id = ? GROUP BY strategy_id, symbol, name)",
            [run_id],
        )
    )
    return None if row is None or row[0] is None else int(row[0])


def _block(
    strategy: str, ts: list[int], symbol: list[int], values: list[list[float]]
) -> IndicatorBlock:
    return IndicatorBlock(
        ts_event_ns=ts[-1],
        strategy_id=strategy,
        names=("fast", "slow"),
        symbols=("X", "Y"),
        ts=np.array(ts, dtype=np.int64),
        symbol_index=np.array(symbol, dtype=np.int32),
        values=np.array(values, dtype=np.float64),
    )


def test_warm_up_ends_when_every_line_of_every_symbol_has_a_value() -> None:
    warmup = WarmUp()
    assert warmup.end_ns is None
    warmup.add(
        _block("A", [1, 1, 2, 2], [0, 1, 0, 1], [[NAN, NAN], [NAN, NAN], [5, NAN], [NAN, NAN]])
    )
    assert warmup.end_ns == 2  # X's fast line so far
    warmup.add(_block("A", [3, 3, 4, 4], [0, 1, 0, 1], [[5, 6], [7, NAN], [5, 6], [7, 8]]))
    assert warmup.end_ns == 4  # Y's slow line, the last to get a value
    warmup.add(_block("A", [5, 5], [0, 1], [[NAN, NAN], [NAN, NAN]]))  # a later gap changes nothing
    assert warmup.end_ns == 4


def test_a_block_after_some_lines_have_values_counts_the_others_at_their_own_times() -> None:
    warmup = WarmUp()
    warmup.add(_block("A", [1, 1], [0, 1], [[5, NAN], [6, NAN]]))  # both symbols' fast lines
    warmup.add(_block("A", [2, 2, 3, 3], [0, 1, 0, 1], [[5, NAN], [6, NAN], [9, 7], [NAN, NAN]]))
    assert warmup.end_ns == 3  # X's slow line; Y's not yet
    warmup.add(_block("A", [4, 4], [0, 1], [[NAN, NAN], [NAN, 8]]))
    assert warmup.end_ns == 4


def test_a_line_that_never_has_a_value_does_not_hold_the_warm_up_back() -> None:
    """As in backtesting.py, where the argmin of an all-NaN indicator is bar 0."""
    warmup = WarmUp()
    warmup.add(_block("A", [1, 2, 3], [0, 0, 0], [[NAN, NAN], [1, NAN], [1, NAN]]))
    warmup.add(_block("B", [1, 2, 3], [0, 0, 0], [[NAN, NAN], [NAN, NAN], [NAN, 1]]))
    assert warmup.end_ns == 3  # B's slow line; A's slow line and Y never count


class _Warming(Strategy):
    """Never trades; declares indicators of three lengths, one longer than the data."""

    fast = 5
    slow = 12

    def setup(self) -> None:
        self.indicator(SMA(self.fast))
        self.indicator(SMA(self.slow))
        self.indicator(SMA(100_000))

    def on_bar(self, bar: BarReceived) -> None:
        pass


def _recorded(db: Database, symbols: tuple[str, ...], period: BarPeriod) -> int:
    run = prepare_backtest(db, BacktestConfig(strategy=_Warming, symbols=symbols, period=period))
    run.run()
    assert run.recording is not None and run.recording.run_id is not None
    return run.recording.run_id


def _recomputed(db: Database, run_id: int, symbols: tuple[str, ...]) -> dict[str, object]:
    """The statistics recomputed from what the database holds of the run."""
    parts = [(s, run_bars(db, run_id, s)) for s in symbols]
    ts = np.concatenate([b["ts"] for _, b in parts])
    codes = np.concatenate([np.full(len(b["ts"]), k) for k, (_, b) in enumerate(parts)])
    order = np.argsort(ts, kind="stable")
    columns = {f: np.concatenate([b[f] for _, b in parts])[order] for f in ("high", "low", "close")}
    market = split_market(ts[order], codes[order], symbols, **columns)
    results = compute_results(
        market, run_fills(db, run_id), 100_000.0, recorded_warmup_end(db, run_id)
    )
    assert results is not None
    return results[2]


def _assert_stored_equal(stored: dict[str, object], recomputed: dict[str, object]) -> None:
    for key, value in recomputed.items():
        if isinstance(value, float):
            assert stored[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key
        else:
            assert stored[key] == value, key


def test_buy_and_hold_starts_at_the_first_bar_where_every_indicator_has_a_value(
    db: Database, goog_csv: Path
) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    run_id = _recorded(db, ("GOOG",), BarPeriod.DAY)

    bars = run_bars(db, run_id, "GOOG")
    close, k = bars["close"], _Warming.slow - 1  # SMA(12) has its first value at bar 11
    assert recorded_warmup_end(db, run_id) == bars["ts"][k]
    stats = run_stats(db, run_id)
    assert stats["Buy & Hold Return [%]"] == pytest.approx(100 * (close[-1] / close[k] - 1))
    _assert_stored_equal(stats, _recomputed(db, run_id, ("GOOG",)))


def _write_csv(path: Path, days: np.ndarray, closes: np.ndarray) -> Path:
    lines = ["Date,Open,High,Low,Close,Volume"]
    lines += [f"{d},{c},{c * 1.01},{c * 0.99},{c},1000" for d, c in zip(days, closes, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_multi_symbol_buy_and_hold_holds_every_symbol_from_the_last_warm_up(
    db: Database, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    days = np.arange("2021-01-01", "2021-07-01", dtype="datetime64[D]")
    closes = {}
    for symbol, first_day in (("AAA", 0), ("BBB", 20)):  # BBB starts 20 days later
        mine = days[first_day:]
        closes[symbol] = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, len(mine))))
        path = _write_csv(tmp_path / f"{symbol}.csv", mine, closes[symbol])
        import_bars(db, path, symbol=symbol, period="day")
    run_id = _recorded(db, ("AAA", "BBB"), BarPeriod.DAY)

    k_bbb = _Warming.slow - 1  # BBB's warm-up ends last, on its own 12th bar
    assert recorded_warmup_end(db, run_id) == run_bars(db, run_id, "BBB")["ts"][k_bbb]
    k_aaa = 20 + k_bbb  # the same day in AAA's bars
    held = [closes["AAA"][-1] / closes["AAA"][k_aaa], closes["BBB"][-1] / closes["BBB"][k_bbb]]
    stats = run_stats(db, run_id)
    assert stats["Buy & Hold Return [%]"] == pytest.approx(100 * (np.mean(held) - 1))
    _assert_stored_equal(stats, _recomputed(db, run_id, ("AAA", "BBB")))
