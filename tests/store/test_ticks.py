"""Slippage is counted in each symbol's own tick: stored, or read from its price grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ostdesk import Strategy
from ostdesk.engine.events import BarPeriod, BarReceived
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, import_bars
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.demo import TICK_SIZE, install_demo_data
from ostdesk.store.ticks import price_grid, tick_sizes


def test_the_price_grid_is_the_largest_power_of_ten_every_price_is_a_multiple_of() -> None:
    assert price_grid(np.array([100.0, 104.06, 95.96])) == 0.01
    assert price_grid(np.array([1.0716, 1.07083, 1.07219])) == 1e-5
    assert price_grid(np.array([4150.0, 4175.0])) == 1.0
    # no grid (computed prices): about a basis point of the median price
    assert price_grid(np.array([1 / 3, 2 / 3, 1.1])) == 1e-5
    assert price_grid(np.array([301.0 / 3, 302.0 / 3, 299.0 / 3])) == 0.01


def test_a_stored_tick_size_wins_and_imported_data_gets_its_price_grid(
    db: Database, goog_csv: Path, eurusd_csv: Path
) -> None:
    install_demo_data(db)
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    import_bars(db, eurusd_csv, symbol="EURUSD", period="hour")
    assert tick_sizes(db, ("GOOG", "DEMO-ALPHA"), BarPeriod.DAY) == {
        "GOOG": 0.01,
        "DEMO-ALPHA": TICK_SIZE,
    }
    assert tick_sizes(db, ("EURUSD",), BarPeriod.HOUR) == {"EURUSD": 1e-5}
    assert tick_sizes(db, ("EURUSD",), BarPeriod.DAY) == {}


class _BuyOnce(Strategy):
    """Buys 1,000 units at the market on the first bar."""

    def on_bar(self, bar: BarReceived) -> None:
        if not self.position and not self.orders:
            self.buy(1_000)


@pytest.mark.parametrize(("symbol", "period", "tick"), [("EURUSD", "hour", 1e-5)])
def test_slippage_on_eurusd_is_ticks_of_its_quote_not_cents(
    db: Database, eurusd_csv: Path, symbol: str, period: str, tick: float
) -> None:
    import_bars(db, eurusd_csv, symbol=symbol, period=period)
    config = BacktestConfig(
        strategy=_BuyOnce,
        symbols=(symbol,),
        period=BarPeriod.parse(period),
        end_ns=int(np.datetime64("2017-04-20", "ns").astype(np.int64)),
        slippage_ticks=2,
    )
    run = prepare_backtest(db, config)
    run.run()
    assert run.status is RunStatus.COMPLETED
    run_id = run.recording.run_id if run.recording else None
    price, ts = db.connection.execute(
        "SELECT price, ts FROM run_fills WHERE run_id = ?", [run_id]
    ).fetchone()
    (open_,) = db.connection.execute(
        "SELECT open FROM bars WHERE symbol = ? AND ts_event_ns = ?", [symbol, ts]
    ).fetchone()
    assert price == pytest.approx(open_ + 2 * tick, abs=1e-12)  # 2 ticks of 0.00001, not 0.02


def test_a_tick_size_that_is_not_a_positive_number_is_refused() -> None:
    with pytest.raises(ValueError, match="tick size of X must be a positive number"):
        BacktestConfig(strategy=_BuyOnce, symbols=("X",), period=BarPeriod.DAY, tick_sizes={"X": 0})
