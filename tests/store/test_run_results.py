"""A run's results come from the bar and fill columns the recorder wrote, handed over in
memory: they must be what the database holds, so recomputing them from the stored rows gives
the stored results exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.runner import BacktestConfig
from ostdesk.store import Database, import_bars, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.run_results import compute_results, split_market
from ostdesk.store.runs import run_bars, run_equity, run_fills, run_stats, run_trades
from ostdesk.strategies.sma_cross import SmaCross


def test_split_market_places_symbols_with_gaps_on_the_shared_timeline() -> None:
    rng = np.random.default_rng(7)
    times = np.arange(1, 301, dtype=np.int64) * 60
    symbols = ("BBB", "AAA", "ZZZ", "CCC")  # ZZZ has no bar
    rows = sorted(
        (int(t), code)
        for code, keep in ((0, 0.5), (1, 0.9), (3, 0.2))
        for t in times[rng.random(len(times)) < keep]
    )
    ts = np.array([t for t, _ in rows], dtype=np.int64)
    codes = np.array([c for _, c in rows], dtype=np.int32)
    high, low, close = ts % 97 + 2.0, ts % 89 + 0.0, ts % 83 + 1.0

    timeline, market = split_market(ts, codes, symbols, high, low, close)

    assert timeline.tolist() == sorted(set(ts.tolist()))
    assert list(market) == ["AAA", "BBB", "CCC"]
    for symbol, bars in market.items():
        mine = codes == symbols.index(symbol)
        for field, column in (("ts", ts), ("high", high), ("low", low), ("close", close)):
            assert bars[field].tolist() == column[mine].tolist()
        by_time = dict(zip(ts[mine].tolist(), close[mine].tolist(), strict=True))
        for t, value in zip(timeline.tolist(), bars["timeline_close"].tolist(), strict=True):
            assert value == by_time[t] if t in by_time else np.isnan(value)


def _write_csv(path: Path, days: list[str], closes: np.ndarray) -> Path:
    lines = ["Date,Open,High,Low,Close,Volume"]
    for day, c in zip(days, closes.tolist(), strict=True):
        lines.append(f"{day},{c},{c * 1.01},{c * 0.99},{c},1000")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_stored_results_equal_a_recomputation_from_the_recorded_rows(
    db: Database, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    days = [str(d) for d in np.arange("2020-01-01", "2021-06-01", dtype="datetime64[D]")]
    for symbol, keep in (("AAA", 1.0), ("BBB", 0.6)):  # BBB misses days: gaps on the timeline
        mine = [d for d in days if rng.random() < keep]
        closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(mine))))
        import_bars(
            db, _write_csv(tmp_path / f"{symbol}.csv", mine, closes), symbol=symbol, period="day"
        )
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("BBB", "AAA"),
        period=BarPeriod.DAY,
        params={"fast": 3, "slow": 8},
    )
    run = prepare_backtest(db, config)
    run.run()
    run_id = run.recording.run_id

    parts = [(s, run_bars(db, run_id, s)) for s in config.symbols]
    ts = np.concatenate([b["ts"] for _, b in parts])
    codes = np.concatenate([np.full(len(b["ts"]), k) for k, (_, b) in enumerate(parts)])
    order = np.argsort(ts, kind="stable")
    columns = {f: np.concatenate([b[f] for _, b in parts])[order] for f in ("high", "low", "close")}
    market = split_market(ts[order], codes[order], config.symbols, **columns)
    recomputed = compute_results(market, run_fills(db, run_id), config.capital)
    assert recomputed is not None
    equity, trades, stats = recomputed

    assert len(trades) > 10
    stored_equity = run_equity(db, run_id)
    np.testing.assert_array_equal(stored_equity["ts"], equity.ts)
    np.testing.assert_array_equal(stored_equity["equity"], equity.equity)
    stored_trades = run_trades(db, run_id)
    np.testing.assert_array_equal(np.sort(stored_trades["pnl"]), np.sort(trades.pnl))
    stored = run_stats(db, run_id)
    assert stored["# Trades"] == stats["# Trades"]
    assert stored["Equity Final [$]"] == stats["Equity Final [$]"]
    assert stored["Sharpe Ratio"] == stats["Sharpe Ratio"]


class _Idle(Strategy):
    """Never trades."""

    def on_bar(self, bar: BarReceived) -> None:
        pass


def test_a_run_without_fills_stores_a_flat_equity_and_no_trades(db: Database) -> None:
    symbols = install_demo_data(db)[:2]
    config = BacktestConfig(strategy=_Idle, symbols=tuple(symbols), period=BarPeriod.MINUTE)
    run = prepare_backtest(db, config)
    run.run()
    run_id = run.recording.run_id
    equity = run_equity(db, run_id)
    assert len(equity["ts"]) == run.bars_processed // len(symbols)
    assert set(equity["equity"].tolist()) == {config.capital}
    assert len(run_trades(db, run_id)["pnl"]) == 0
    assert run_stats(db, run_id)["# Trades"] == 0
