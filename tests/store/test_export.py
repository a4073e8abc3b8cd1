"""Exports a person can open: ISO times, typed Parquet, readable durations, numbers without
noise, the format from the extension, and bars that import back bit for bit."""

from __future__ import annotations

import csv
import math
import random
import re
import struct
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.store import Database, StoreError, import_bars, load_bars
from ostdesk.store import csv_text as text
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.export import export_run
from ostdesk.store.runs import run_logs
from ostdesk.strategies.sma_cross import SmaCross

ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


@pytest.fixture
def goog_run(db: Database, goog_csv: Path) -> int:
    """SmaCross on GOOG daily with a 0.1 % commission and slippage: computed prices, P&L and
    percentages with arithmetic noise in their last digits."""
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("GOOG",),
        period=BarPeriod.DAY,
        commission=CommissionModel(percent=0.1),
        slippage_ticks=1.0,
    )
    run = prepare_backtest(db, config).run()
    assert run.status is RunStatus.COMPLETED
    assert run.recording is not None and run.recording.run_id is not None
    return run.recording.run_id


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- CSV -----------------------------------------------------------------------------------------
def test_csv_times_are_iso_8601_utc_and_durations_are_readable(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "trades.csv"
    rows = export_run(db, goog_run, "trades", out)
    trades = read_csv(out)
    assert len(trades) == rows > 0
    first = trades[0]
    assert list(first)[:5] == ["symbol", "side", "size", "entry_ts", "exit_ts"]
    assert "duration_ns" not in first
    for row in trades:
        assert pd.Series([row["entry_ts"], row["exit_ts"]]).str.match(ISO_UTC).all()
        held = pd.Timestamp(row["exit_ts"]) - pd.Timestamp(row["entry_ts"])
        assert pd.to_timedelta(row["duration"]) == held
        assert float(row["duration_s"]) == held.total_seconds()
    assert first["entry_ts"].endswith("T00:00:00Z")  # daily bars: midnight UTC


def test_csv_numbers_carry_no_representation_noise(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    stored = db.connection.execute(
        "SELECT pnl, return_pct, exit_price FROM run_trades WHERE run_id = ?", [goog_run]
    ).fetchall()
    noisy = [v for row in stored for v in row if len(repr(v)) > 15]
    assert noisy, "the run must have values with noise for this test to mean anything"
    out = tmp_path / "trades.csv"
    export_run(db, goog_run, "trades", out)
    for row in read_csv(out):
        for column in ("pnl", "return_pct", "exit_price", "commission", "mae_pct"):
            digits = Decimal(row[column]).normalize().as_tuple().digits
            assert len(digits) <= 12, f"{column} {row[column]} has noise"


def test_csv_numbers_round_to_the_stored_values_within_twelve_digits(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "equity.csv"
    export_run(db, goog_run, "equity", out)
    stored = db.connection.execute(
        "SELECT equity FROM run_equity WHERE run_id = ? ORDER BY ts", [goog_run]
    ).fetchall()
    written = [float(r["equity"]) for r in read_csv(out)]
    assert written == pytest.approx([v for (v,) in stored], rel=1e-11)
    assert read_csv(out)[0]["equity"] == "100000"  # a whole number has no .0


@pytest.mark.parametrize("what", ["fills", "orders", "trades", "equity", "bars"])
def test_every_export_opens_in_pandas_with_times_as_utc(
    db: Database, goog_run: int, tmp_path: Path, what: str
) -> None:
    out = tmp_path / f"{what}.csv"
    export_run(db, goog_run, what, out)
    frame = pd.read_csv(out)
    time_columns = [c for c in frame.columns if c == "ts" or c.endswith("_ts")]
    assert time_columns
    for column in time_columns:
        times = pd.to_datetime(frame[column].dropna(), utc=True, format="ISO8601")
        assert times.dt.year.between(2004, 2013).all()


# -- Parquet -------------------------------------------------------------------------------------
def test_parquet_time_columns_are_utc_timestamps_at_full_precision(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "trades.parquet"
    export_run(db, goog_run, "trades", out)
    schema = pq.read_schema(out)
    for column in ("entry_ts", "exit_ts"):
        assert str(schema.field(column).type) == "timestamp[ns, tz=UTC]"
    assert str(schema.field("duration_s").type) == "double"
    frame = pd.read_parquet(out)
    stored = db.connection.execute(
        "SELECT entry_ts, pnl FROM run_trades WHERE run_id = ? ORDER BY exit_ts", [goog_run]
    ).fetchall()
    assert [t.value for t in frame["entry_ts"]] == [ts for ts, _ in stored]
    assert frame["pnl"].tolist() == [pnl for _, pnl in stored]  # bit for bit


def test_parquet_times_do_not_depend_on_the_session_time_zone(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    cur = db.cursor()
    try:
        cur.execute("SET TimeZone = 'America/New_York'")
        export_run(cur, goog_run, "equity", tmp_path / "equity.parquet")
    finally:
        db.release(cur)
    first = pd.read_parquet(tmp_path / "equity.parquet")["ts"].iloc[0]
    assert first == pd.Timestamp("2004-08-19", tz="UTC")


# -- format from the extension -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "magic"), [("x.parquet", b"PAR1"), ("x.PQ", b"PAR1"), ("x.csv", b"ts,")]
)
def test_the_format_follows_the_extension_when_none_is_given(
    db: Database, goog_run: int, tmp_path: Path, name: str, magic: bytes
) -> None:
    out = tmp_path / name
    export_run(db, goog_run, "equity", out, None)
    assert out.read_bytes().startswith(magic)


def test_a_gzipped_csv_name_writes_compressed_csv(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "equity.csv.gz"
    export_run(db, goog_run, "equity", out)
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    assert pd.read_csv(out)["equity"].iloc[0] == 100_000


@pytest.mark.parametrize("name", ["x.txt", "x", "x.xlsx"])
def test_an_unknown_extension_without_a_format_is_refused_and_writes_nothing(
    db: Database, goog_run: int, tmp_path: Path, name: str
) -> None:
    with pytest.raises(StoreError, match=rf"cannot tell the format of the export file {name}"):
        export_run(db, goog_run, "equity", tmp_path / name)
    assert list(tmp_path.glob("x*")) == []


def test_a_given_format_wins_over_the_extension(
    db: Database, goog_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "equity.txt"
    export_run(db, goog_run, "equity", out, "csv")
    assert out.read_text().startswith("ts,cash,")


def test_an_unknown_format_is_refused(db: Database, goog_run: int, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown export format 'xlsx'; choose csv or parquet"):
        export_run(db, goog_run, "equity", tmp_path / "x.csv", "xlsx")


# -- bars round-trip -------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_exported_bars_import_back_bit_for_bit(
    db: Database, goog_run: int, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"bars{suffix}"
    export_run(db, goog_run, "bars", out)
    import_bars(db, out, symbol="AGAIN", period="day")
    before, after = load_bars(db, "GOOG", "day"), load_bars(db, "AGAIN", "day")
    for column in ("ts_event_ns", "open", "high", "low", "close", "volume"):
        assert np.array_equal(before[column], after[column]), column


def test_bars_with_seventeen_digit_prices_round_trip_through_csv(
    db: Database, tmp_path: Path
) -> None:
    rng = np.random.default_rng(7)
    close = 100 + rng.standard_normal(50).cumsum() / 3  # every digit used
    ts = np.datetime64("2024-01-08T14:30", "ns") + np.arange(50) * np.timedelta64(1, "m")
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(ts).tz_localize("UTC"),
            "open": close,
            "high": close + 0.1,
            "low": close - 0.1,
            "close": close,
            "volume": rng.integers(1, 10**6, 50) / 7,
        }
    )
    source = tmp_path / "noisy.parquet"
    frame.to_parquet(source)
    import_bars(db, source, symbol="N", period="minute")
    config = BacktestConfig(strategy=SmaCross, symbols=("N",), period=BarPeriod.MINUTE)
    run = prepare_backtest(db, config).run()
    assert run.recording is not None and run.recording.run_id is not None
    out = tmp_path / "bars.csv"
    export_run(db, run.recording.run_id, "bars", out)
    import_bars(db, out, symbol="N2", period="minute")
    for column in ("ts_event_ns", "open", "high", "low", "close", "volume"):
        assert np.array_equal(
            load_bars(db, "N", "minute")[column], load_bars(db, "N2", "minute")[column]
        )


# -- one definition: the SQL the export runs and the Python the blotters run agree ---------------
def _doubles() -> list[float]:
    rng = random.Random(18)
    special = [6.999999999999996, 100.0, 1e15, 1e16, 0.1, 1e-7, -0.0, math.nan, math.inf,
               -math.inf, 5e-324, 1.7976931348623157e308, 2.5, -2.5, 12345678901.25,
               123456789012.5, 100773.94000000001, 2.2737367544323206e-13]  # fmt: skip
    random_bits = [
        struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(3000)
    ]
    scaled = [rng.uniform(-1, 1) * 10 ** rng.uniform(-25, 20) for _ in range(3000)]
    cents = [round(rng.uniform(0, 1000), 2) * 3 for _ in range(3000)]
    return special + random_bits + scaled + cents


def test_sql_and_python_write_every_number_alike() -> None:
    values = _doubles()
    con = duckdb.connect()
    con.register("v", pd.DataFrame({"i": range(len(values)), "x": np.array(values)}))
    rows = con.execute(
        f"SELECT coalesce({text.number_sql('x')}, ''), coalesce({text.exact_number_sql('x')}, '')"
        " FROM v ORDER BY i"
    ).fetchall()
    assert rows == [(text.number_text(x), text.exact_number_text(x)) for x in values]


def test_sql_and_python_write_every_time_and_duration_alike() -> None:
    rng = random.Random(4)
    values = [0, -1, 1, 1_092_873_600_000_000_000, 1_092_873_600_500_000_000, 86_400 * 10**9,
              -9_223_372_036_854_775_000, 9_223_372_036_854_775_000]  # fmt: skip
    values += [rng.randint(-(2**62), 2**62) for _ in range(3000)]
    con = duckdb.connect()
    con.register("w", pd.DataFrame({"i": range(len(values)), "x": np.array(values, np.int64)}))
    rows = con.execute(
        f"SELECT {text.iso_time_sql('x')}, {text.duration_sql('x')} FROM w ORDER BY i"
    ).fetchall()
    assert rows == [(text.iso_time(x), text.duration_text(x)) for x in values]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6.999999999999996, "7"), (100773.94000000001, "100773.94"), (22351900.0, "22351900"),
     (0.30000000000000004, "0.3"), (-0.0, "0"), (math.nan, ""), (math.inf, "inf"),
     (123456789012345.67, "123456789012346"), (1.23456789e-9, "1.23456789e-09")],
)  # fmt: skip
def test_a_computed_number_reads_as_a_person_would_write_it(value: float, expected: str) -> None:
    assert text.number_text(value) == expected


@pytest.mark.parametrize(
    ("ns", "time", "duration"),
    [(0, "1970-01-01T00:00:00Z", "0 days 00:00:00"),
     (273_600 * 10**9, "1970-01-04T04:00:00Z", "3 days 04:00:00"),
     (86_400 * 10**9 + 250_000_000, "1970-01-02T00:00:00.25Z", "1 day 00:00:00.25"),
     (-1, "1969-12-31T23:59:59.999999999Z", "-0 days 00:00:00.000000001")],
)  # fmt: skip
def test_times_and_durations_read_as_iso_and_days(ns: int, time: str, duration: str) -> None:
    assert text.iso_time(ns) == time
    assert text.duration_text(ns) == duration
    if ns >= 0:  # pandas reads "-0 days 00:00:00.000000001" as positive; trades never are
        assert pd.to_timedelta(duration).value == ns


# -- the strategy's messages ---------------------------------------------------------------------
class Talker(SmaCross):
    """SmaCross that says something in setup and on every 100th bar, once with a comma, a
    quote and a line break."""

    def setup(self) -> None:
        super().setup()
        self.log("ready")

    def on_bar(self, bar) -> None:  # type: ignore[no-untyped-def]
        super().on_bar(bar)
        if len(self.close) % 100 == 0:
            self.log(f'bar {len(self.close)}, "close"\n{bar.close}')


@pytest.fixture
def talker_run(db: Database, goog_csv: Path) -> int:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    config = BacktestConfig(strategy=Talker, symbols=("GOOG",), period=BarPeriod.DAY)
    run = prepare_backtest(db, config).run()
    assert run.status is RunStatus.COMPLETED, run.error
    assert run.recording is not None and run.recording.run_id is not None
    return run.recording.run_id


def test_the_log_exports_every_message_in_order_with_iso_times_to_csv(
    db: Database, talker_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "log.csv"
    stored = run_logs(db, talker_run)
    assert export_run(db, talker_run, "log", out) == len(stored["ts"]) == 1 + 2148 // 100
    rows = read_csv(out)
    assert list(rows[0]) == ["ts", "strategy_id", "symbol", "message"]
    assert rows[0]["ts"] == "" and rows[0]["message"] == "ready"  # setup: before any bar
    assert all(re.match(ISO_UTC, r["ts"]) for r in rows[1:])
    assert [r["message"] for r in rows] == list(stored["message"])  # breaks, quotes and all
    times = pd.to_datetime([r["ts"] for r in rows[1:]], utc=True, format="ISO8601")
    assert [t.value for t in times] == stored["ts"][1:].tolist()


def test_the_log_exports_to_parquet_with_typed_times(
    db: Database, talker_run: int, tmp_path: Path
) -> None:
    out = tmp_path / "log.parquet"
    export_run(db, talker_run, "log", out)
    assert str(pq.read_schema(out).field("ts").type) == "timestamp[ns, tz=UTC]"
    frame = pd.read_parquet(out)
    stored = run_logs(db, talker_run)
    assert pd.isna(frame["ts"][0]) and frame["message"].tolist() == list(stored["message"])
    assert [t.value for t in frame["ts"][1:]] == stored["ts"][1:].tolist()
