"""Time in force per bar period: how long DAY, GTD and GTC orders are live on minute, hour and
day bars, and when their expiry is published with which time (``engine/time_in_force.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import backtesting
import pytest

from ostdesk import Strategy
from ostdesk.engine.events import (
    BarPeriod,
    BarReceived,
    OrderRejected,
    OrderType,
    RejectionReason,
    TimeInForce,
)
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.importer import import_bars
from tests.engine.period_harness import PeriodHarness, t

QUIET = (95.0, 96.0, 94.0, 95.0)  # never reaches the buy limit at 90
REACH = (95.0, 96.0, 89.0, 91.0)  # trades through it: a buy limit at 90 fills at 90


class TifHarness(PeriodHarness):
    """Bars and buy limits at 90 given by their time as text."""

    def at(self, when: str, prices: tuple[float, float, float, float]) -> None:
        self.bar(t(when), *prices)

    def buy_limit(self, when: str, tif: TimeInForce, expire: str | None = None) -> int:
        """A buy limit at 90, decided on the bar of ``when``."""
        expire_ns = None if expire is None else t(expire)
        return self.submit(
            t(when),
            order_type=OrderType.LIMIT,
            limit_price=90.0,
            time_in_force=tif,
            expire_ns=expire_ns,
        )


@pytest.fixture
def harness() -> Iterator[Callable[[BarPeriod], TifHarness]]:
    made: list[TifHarness] = []

    def make(period: BarPeriod) -> TifHarness:
        made.append(TifHarness(period))
        return made[-1]

    yield make
    for h in made:
        h.close()


# -- DAY on intraday bars: live until the end of the UTC day of its first bar ------------------
def test_minute_day_order_is_live_until_its_day_ends(harness: Callable[..., TifHarness]) -> None:
    h = harness(BarPeriod.MINUTE)
    h.at("2024-01-02T14:30", QUIET)
    h.buy_limit("2024-01-02T14:30", TimeInForce.DAY)
    h.at("2024-01-02T14:31", QUIET)
    h.at("2024-01-02T20:59", REACH)
    assert h.fills() == [(t("2024-01-02T20:59"), 90.0, 1)]


def test_minute_day_order_expires_at_the_next_days_first_bar_when_the_session_ends_early(
    harness: Callable[..., TifHarness],
) -> None:
    """The last bar (20:59) closes before midnight UTC: only the next day's bar shows the day
    has ended, so the expiry carries that bar's time and comes before it is matched."""
    h = harness(BarPeriod.MINUTE)
    h.at("2024-01-02T14:30", QUIET)
    h.buy_limit("2024-01-02T14:30", TimeInForce.DAY)
    h.at("2024-01-02T20:59", QUIET)
    assert h.expiries() == []
    h.at("2024-01-03T14:30", REACH)
    assert h.expiries() == [t("2024-01-03T14:30")]
    assert h.fills() == []


def test_minute_day_order_decided_on_the_days_last_bar_is_live_the_next_day(
    harness: Callable[..., TifHarness],
) -> None:
    h = harness(BarPeriod.MINUTE)
    h.at("2024-01-02T20:59", QUIET)
    h.buy_limit("2024-01-02T20:59", TimeInForce.DAY)
    h.at("2024-01-03T14:30", QUIET)
    h.at("2024-01-03T15:00", REACH)
    assert h.expiries() == []
    assert h.fills() == [(t("2024-01-03T15:00"), 90.0, 1)]


def test_hour_day_order_expires_with_the_bar_that_closes_at_midnight(
    harness: Callable[..., TifHarness],
) -> None:
    """Round-the-clock hourly bars: the 23:00 bar ends the day, so an unfilled DAY order expires
    right after it, stamped 23:00, and the 00:00 bar cannot fill it."""
    h = harness(BarPeriod.HOUR)
    h.at("2024-01-02T22:00", QUIET)
    h.buy_limit("2024-01-02T22:00", TimeInForce.DAY)
    h.at("2024-01-02T23:00", QUIET)
    assert h.expiries() == [t("2024-01-02T23:00")]
    h.at("2024-01-03T00:00", REACH)
    assert h.fills() == []


def test_hour_day_order_decided_at_23h_is_live_the_whole_next_day(
    harness: Callable[..., TifHarness],
) -> None:
    h = harness(BarPeriod.HOUR)
    h.at("2024-01-02T23:00", QUIET)
    h.buy_limit("2024-01-02T23:00", TimeInForce.DAY)
    for hour in range(12):
        h.at(f"2024-01-03T{hour:02d}:00", QUIET)
    h.at("2024-01-03T12:00", REACH)
    assert h.fills() == [(t("2024-01-03T12:00"), 90.0, 1)]


# -- DAY on daily bars: live for the next bar, whatever its date ---------------------------
def test_daily_day_order_placed_on_bar_t_fills_on_bar_t_plus_1(
    harness: Callable[..., TifHarness],
) -> None:
    h = harness(BarPeriod.DAY)
    h.at("2024-01-02", QUIET)
    h.buy_limit("2024-01-02", TimeInForce.DAY)
    h.at("2024-01-03", REACH)
    assert h.expiries() == []
    assert h.fills() == [(t("2024-01-03"), 90.0, 1)]


def test_daily_day_order_unfilled_on_bar_t_plus_1_expires_stamped_with_that_bar(
    harness: Callable[..., TifHarness],
) -> None:
    """Published with bar T+1, before T+2 arrives: the strategy knows before deciding on T+1."""
    h = harness(BarPeriod.DAY)
    h.at("2024-01-02", QUIET)
    h.buy_limit("2024-01-02", TimeInForce.DAY)
    h.at("2024-01-03", QUIET)
    assert h.expiries() == [t("2024-01-03")]
    h.at("2024-01-04", REACH)
    assert h.fills() == []


def test_daily_day_order_of_a_friday_is_live_on_monday(
    harness: Callable[..., TifHarness],
) -> None:
    h = harness(BarPeriod.DAY)
    h.at("2024-01-05", QUIET)  # a Friday
    h.buy_limit("2024-01-05", TimeInForce.DAY)
    h.at("2024-01-08", REACH)  # the Monday
    assert h.fills() == [(t("2024-01-08"), 90.0, 1)]


def test_daily_day_order_lives_one_bar_when_daily_bars_are_not_at_midnight_utc(
    harness: Callable[..., TifHarness],
) -> None:
    """Daily bars imported in Europe/Berlin are stamped 23:00 UTC the day before: still one bar."""
    h = harness(BarPeriod.DAY)
    h.at("2024-01-01T23:00", QUIET)
    h.buy_limit("2024-01-01T23:00", TimeInForce.DAY)
    h.at("2024-01-02T23:00", QUIET)
    assert h.expiries() == [t("2024-01-02T23:00")]


# -- GTD and GTC ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prices", "fills", "expiries"),
    [
        pytest.param(REACH, [(t("2024-01-03"), 90.0, 1)], [], id="reached: fills"),
        pytest.param(QUIET, [], [t("2024-01-03")], id="not reached: expires with that bar"),
    ],
)
def test_daily_gtd_expiring_inside_the_next_bar_is_live_for_that_bar(
    harness: Callable[..., TifHarness],
    prices: tuple[float, float, float, float],
    fills: list[tuple[int, float, float]],
    expiries: list[int],
) -> None:
    """The bar opens before the expiry (16:00) and does not say when its low traded."""
    h = harness(BarPeriod.DAY)
    h.at("2024-01-02", QUIET)
    h.buy_limit("2024-01-02", TimeInForce.GTD, expire="2024-01-03T16:00")
    h.at("2024-01-03", prices)
    assert (h.fills(), h.expiries()) == (fills, expiries)


def test_gtd_expiring_before_the_next_bar_opens_never_trades(
    harness: Callable[..., TifHarness],
) -> None:
    h = harness(BarPeriod.DAY)
    h.at("2024-01-02", QUIET)
    h.buy_limit("2024-01-02", TimeInForce.GTD, expire="2024-01-02T16:00")
    h.at("2024-01-03", REACH)
    assert (h.fills(), h.expiries()) == ([], [t("2024-01-03")])


@pytest.mark.parametrize(
    ("expire", "fills", "expiries"),
    [
        pytest.param("2024-01-02T10:30", [], [t("2024-01-02T10:29")], id="at the bar's close"),
        pytest.param(
            "2024-01-02T10:30:30", [(t("2024-01-02T10:30"), 90.0, 1)], [], id="inside a bar"
        ),
    ],
)
def test_minute_gtd_is_live_on_the_bars_that_open_before_its_expiry(
    harness: Callable[..., TifHarness],
    expire: str,
    fills: list[tuple[int, float, float]],
    expiries: list[int],
) -> None:
    h = harness(BarPeriod.MINUTE)
    h.at("2024-01-02T10:28", QUIET)
    h.buy_limit("2024-01-02T10:28", TimeInForce.GTD, expire=expire)
    h.at("2024-01-02T10:29", QUIET)
    h.at("2024-01-02T10:30", REACH)
    assert (h.fills(), h.expiries()) == (fills, expiries)


@pytest.mark.parametrize("period", [BarPeriod.MINUTE, BarPeriod.HOUR, BarPeriod.DAY])
def test_gtc_order_outlives_every_day(
    harness: Callable[..., TifHarness], period: BarPeriod
) -> None:
    h = harness(period)
    start = t("2024-01-02")
    h.bar(start, *QUIET)
    h.submit(start, order_type=OrderType.LIMIT, limit_price=90.0)
    for day in range(1, 6):
        h.bar(start + day * BarPeriod.DAY.value, *QUIET)
    h.bar(start + 6 * BarPeriod.DAY.value, *REACH)
    assert h.expiries() == []
    assert h.fills() == [(start + 6 * BarPeriod.DAY.value, 90.0, 1)]


@pytest.mark.parametrize(
    "expire", [None, "2024-01-02T10:00", "2024-01-01"], ids=["none", "at", "before"]
)
def test_gtd_without_an_expiry_after_its_submission_is_rejected(
    harness: Callable[..., TifHarness], expire: str | None
) -> None:
    h = harness(BarPeriod.MINUTE)
    h.at("2024-01-02T10:00", QUIET)
    h.buy_limit("2024-01-02T10:00", TimeInForce.GTD, expire=expire)
    [rejected] = h.of(OrderRejected)
    assert rejected.reason is RejectionReason.INVALID_EXPIRY
    assert rejected.message == "order 1: a GTD order needs an expiry time after its submission time"


# -- the case that was found: GOOG daily, end to end through the store -----------------------
class DayLimitOnFebruary9(Strategy):
    """Buys 1 with a DAY limit 0.5% under the close of GOOG's 2006-02-09 bar."""

    def on_bar(self, bar: BarReceived) -> None:
        if bar.ts_event_ns == t("2006-02-09"):
            self.buy(1, limit=round(self.close[-1] * 0.995, 2), tif="DAY")


def test_goog_day_limit_of_2006_02_09_fills_on_2006_02_10(db: Database) -> None:
    """2006-02-09 closed at 358.77, so the limit is 356.98; 2006-02-10 opened at 361.95 and
    traded down to 353.14: the order fills at its limit on that bar, and does not expire."""
    goog_csv = Path(backtesting.__file__).parent / "test" / "GOOG.csv"
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    config = BacktestConfig(
        strategy=DayLimitOnFebruary9,
        symbols=("GOOG",),
        period=BarPeriod.DAY,
        start_ns=t("2006-02-01"),
        end_ns=t("2006-02-28"),
    )
    run = prepare_backtest(db, config).run()
    assert run.status is RunStatus.COMPLETED
    con, run_id = db.connection, run.recording.run_id
    fills = con.execute("SELECT ts, price FROM run_fills WHERE run_id = ?", [run_id]).fetchall()
    expired = con.execute(
        "SELECT count(*) FROM run_expirations WHERE run_id = ?", [run_id]
    ).fetchone()
    assert (fills, expired) == ([(t("2006-02-10"), 356.98)], (0,))
