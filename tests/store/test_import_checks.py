"""The import checks what it is told: the period against the bars' spacing, epoch timestamps,
encodings and their headers, UTC offsets, duplicate column names, and says what it decided."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ostdesk.engine.events import BarPeriod
from ostdesk.store import BarImportError, Database, StoreError, import_bars, load_bars
from ostdesk.store.import_checks import PeriodMismatchError, spacing_text
from tests.store.conftest import snapshot

T0_NS = 1_577_836_800_000_000_000  # 2020-01-01T00:00Z
MINUTE_NS = 60_000_000_000


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def minute_csv(tmp_path: Path, rows: int = 30, name: str = "minutes.csv") -> Path:
    lines = [
        f"2020-01-02 10:{m:02d}:00,10,11,9,10.5,{100 + m}" for m in range(rows)
    ]  # one trading half hour
    path = tmp_path / name
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(lines) + "\n")
    return path


def workload_csv(tmp_path: Path, stamps: list[str], name: str = "epoch.csv") -> Path:
    """Bars in the benchmark workload's layout (``ts_event_ns`` first, then symbol, OHLCV)."""
    lines = [f"{t},SYM00,100.5,101,99.75,100.25,6988" for t in stamps]
    path = tmp_path / name
    path.write_text("ts_event_ns,symbol,open,high,low,close,volume\n" + "\n".join(lines) + "\n")
    return path


# -- the period ------------------------------------------------------------------------------------
def test_minute_bars_declared_as_day_are_refused_naming_both(db: Database, tmp_path: Path) -> None:
    with pytest.raises(PeriodMismatchError) as info:
        import_bars(db, minute_csv(tmp_path), symbol="X", period="day")
    assert str(info.value).startswith(
        "minutes.csv: bars are 1 minute apart (median) but --period day was given"
    )
    assert "--force" in str(info.value)
    assert info.value.period is BarPeriod.DAY
    assert snapshot(db) == ([], [])


def test_forced_bars_are_stored_as_declared_and_the_result_says_so(
    db: Database, tmp_path: Path
) -> None:
    result = import_bars(db, minute_csv(tmp_path), symbol="X", period="day", force=True)
    assert result.rows == 30
    assert len(load_bars(db, "X", "day")["close"]) == 30
    assert "bars are 1 minute apart (median), stored as day bars as asked" in (result.summary())


@pytest.mark.parametrize(("csv", "wrong", "spacing"), [("eurusd", "day", "1 hour"),
                                                       ("goog", "minute", "1 day"),
                                                       ("goog", "hour", "1 day")])  # fmt: skip
def test_real_data_under_the_wrong_period_is_refused(
    db: Database,
    goog_csv: Path,
    eurusd_csv: Path,
    csv: str,
    wrong: str,
    spacing: str,
) -> None:
    path = goog_csv if csv == "goog" else eurusd_csv
    with pytest.raises(PeriodMismatchError, match=f"bars are {spacing} apart .* --period {wrong}"):
        import_bars(db, path, symbol="X", period=wrong)


def test_daily_bars_with_weekend_gaps_fit_the_day_period(db: Database, goog_csv: Path) -> None:
    assert import_bars(db, goog_csv, symbol="GOOG", period="day").notes == ()


def _every(tmp_path: Path, minutes: int) -> Path:
    """Bars ``minutes`` apart over three hours."""
    lines = [
        f"2020-01-02 1{h}:{m:02d},1,2,0.5,1.5,1" for h in range(3) for m in range(0, 60, minutes)
    ]
    path = tmp_path / f"every{minutes}.csv"
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(lines) + "\n")
    return path


def test_five_minute_bars_fit_the_minute_period_best_and_are_said_to_be_apart(
    db: Database, tmp_path: Path
) -> None:
    result = import_bars(db, _every(tmp_path, 5), symbol="X", period="minute")
    assert result.rows == 36
    assert "bars are 5 minutes apart (median); each is a minute bar" in result.summary()


@pytest.mark.parametrize("minutes", [15, 30])
def test_bars_closer_than_their_period_are_refused_as_they_would_overlap(
    db: Database, tmp_path: Path, minutes: int
) -> None:
    with pytest.raises(
        PeriodMismatchError,
        match=f"{minutes} minutes apart .* --period hour was given .each would last 1 hour",
    ):
        import_bars(db, _every(tmp_path, minutes), symbol="X", period="hour")
    assert snapshot(db) == ([], [])


def test_a_single_bar_has_no_spacing_to_check(db: Database, tmp_path: Path) -> None:
    assert import_bars(db, minute_csv(tmp_path, rows=1), symbol="X", period="day").rows == 1


@pytest.mark.parametrize(
    ("spacing_ns", "text"),
    [(60e9, "1 minute"), (5400e9, "1.5 hours"), (0.5e9, "0.5 seconds"), (3 * 86400e9, "3 days")],
)
def test_spacing_reads_in_the_largest_whole_unit(spacing_ns: float, text: str) -> None:
    assert spacing_text(spacing_ns) == text


# -- epoch timestamps ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scale", "unit"),
    [(10**9, "seconds"), (10**6, "milliseconds"), (10**3, "microseconds"), (1, "nanoseconds")],
)
def test_epoch_timestamps_are_read_in_the_unit_their_size_says(
    db: Database, tmp_path: Path, scale: int, unit: str
) -> None:
    stamps = [str((T0_NS + i * MINUTE_NS) // scale) for i in range(5)]
    result = import_bars(db, workload_csv(tmp_path, stamps), symbol="X", period="minute")
    assert (result.first_ts_ns, result.last_ts_ns) == (T0_NS, T0_NS + 4 * MINUTE_NS)
    assert f"timestamps read as {unit} since 1970-01-01 UTC (by their size" in result.summary()


def test_the_benchmark_workload_imports_with_every_digit(db: Database, tmp_path: Path) -> None:
    """The layout of ``bench/gen_workload.py``: ns integers, prices written with %.17g."""
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, 100)))
    frame = pd.DataFrame(
        {
            "ts_event_ns": T0_NS + MINUTE_NS * np.arange(100, dtype=np.int64),
            "symbol": "SYM00",
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.integers(100, 10_000, 100),
        }
    )
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False, float_format="%.17g")
    import_bars(db, path, symbol="SYM00", period="minute")
    bars = load_bars(db, "SYM00", "minute")
    assert np.array_equal(bars["ts_event_ns"], frame["ts_event_ns"].to_numpy())
    assert np.array_equal(bars["close"], close)


def test_a_given_epoch_unit_wins_over_the_size(db: Database, tmp_path: Path) -> None:
    stamps = [str(60_000 * i) for i in range(1, 4)]  # ms in 1970: small enough to look like s
    path = workload_csv(tmp_path, stamps)
    result = import_bars(db, path, symbol="X", period="minute", epoch_unit="ms")
    assert result.first_ts_ns == MINUTE_NS
    assert "timestamps read as milliseconds since 1970-01-01 UTC (as given)" in result.notes


def test_fractional_epoch_seconds_keep_their_microseconds(db: Database, tmp_path: Path) -> None:
    path = workload_csv(tmp_path, ["1577836800.25", "1577836801.5"])
    result = import_bars(db, path, symbol="X", period="second")
    assert (result.first_ts_ns, result.last_ts_ns) == (T0_NS + 250_000_000, T0_NS + 1_500_000_000)


def test_eight_digit_numbers_are_still_dates(db: Database, tmp_path: Path) -> None:
    path = workload_csv(tmp_path, ["20200102", "20200103"])
    result = import_bars(db, path, symbol="X", period="day")
    assert result.first_ts_ns == ns("2020-01-02")
    assert result.notes == ()


def test_a_word_among_epoch_numbers_is_refused_with_its_row(db: Database, tmp_path: Path) -> None:
    path = workload_csv(tmp_path, ["1577836800", "soon", "1577836920"])
    with pytest.raises(BarImportError, match=r"epoch.csv, row 3: cannot read the timestamp 'soon'"):
        import_bars(db, path, symbol="X", period="minute", epoch_unit="s")


def test_an_epoch_beyond_the_storable_dates_is_refused_with_its_row(
    db: Database, tmp_path: Path
) -> None:
    path = workload_csv(tmp_path, ["1577836800", "99999999999999"])
    with pytest.raises(BarImportError, match=r"row 3: the timestamp '99999999999999' is outside"):
        import_bars(db, path, symbol="X", period="minute", epoch_unit="s")


def test_an_unknown_epoch_unit_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown epoch unit 'days'; choose s, ms, us or ns"):
        import_bars(db, minute_csv(tmp_path), symbol="X", period="minute", epoch_unit="days")


# -- encodings and headers -------------------------------------------------------------------------
GERMAN = (
    "Datum;Eröffnung;Hoch;Tief;Schluss;Volumen (€)\n"
    "02.01.2020;1,5;1,6;1,4;1,55;100\n03.01.2020;1,55;1,6;1,4;1,5;250\n"
)
GERMAN_COLUMNS = "date=Datum,open=Eröffnung,high=Hoch,low=Tief,close=Schluss"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_headers_are_found_in_utf8_with_or_without_bom_and_in_windows_1252(
    db: Database, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "de.csv"
    path.write_bytes(GERMAN.encode(encoding))
    result = import_bars(db, path, symbol="DE", period="day", columns=GERMAN_COLUMNS)
    assert load_bars(db, "DE", "day")["volume"].tolist() == [100.0, 250.0]  # not 0
    assert ("de.csv read as Windows-1252 text" in result.notes) == (encoding == "cp1252")


def test_a_gzipped_windows_1252_file_imports(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "de.csv.gz"
    path.write_bytes(gzip.compress(GERMAN.encode("cp1252")))
    import_bars(db, path, symbol="DE", period="day", columns=GERMAN_COLUMNS)
    assert load_bars(db, "DE", "day")["volume"].tolist() == [100.0, 250.0]


def test_a_bom_before_the_header_does_not_hide_the_first_column(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + minute_csv(tmp_path).read_bytes())
    assert import_bars(db, path, symbol="X", period="minute").rows == 30


def test_a_missing_volume_column_is_said_not_silently_zero(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text("timestamp,open,high,low,close\n2020-01-02,1,2,0.5,1.5\n2020-01-03,1,2,0.5,1\n")
    result = import_bars(db, path, symbol="FX", period="day")
    assert "no volume column: volumes stored as 0" in result.summary()


@pytest.mark.parametrize(
    ("header", "volume"),
    [
        ("date,open,high,low,close,volatility", 0.0),
        ("date,open,high,low,close,Vol.", 7.0),
        ("date,open,high,low,close,vol_usd", 7.0),
        ("date,open,high,low,close,Volumes", 7.0),
        ("date,open,high,low,close,Volatility,Volume", 8.0),
    ],
)
def test_only_a_column_named_for_volume_is_the_volume(
    db: Database, tmp_path: Path, header: str, volume: float
) -> None:
    path = tmp_path / "v.csv"
    extra = ",8" if header.endswith("Volume") else ""
    path.write_text(f"{header}\n2020-01-02,1,2,0.5,1.5,7{extra}\n")
    import_bars(db, path, symbol="V", period="day")
    assert load_bars(db, "V", "day")["volume"].tolist() == [volume]


def test_several_columns_that_could_be_the_volume_are_refused_naming_them(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "crypto.csv"
    path.write_text(
        "date,open,high,low,close,Volume BTC,Volume USDT\n2020-01-02,1,2,0.5,1.5,3,4.5\n"
    )
    with pytest.raises(BarImportError, match="several columns could be the volume: 'Volume BTC'"):
        import_bars(db, path, symbol="BTC", period="day")
    import_bars(db, path, symbol="BTC", period="day", columns="volume=Volume USDT")
    assert load_bars(db, "BTC", "day")["volume"].tolist() == [4.5]


@pytest.mark.parametrize(
    "header", ["Date,Open,High,Low,Close,Close,Volume", "Date,Open,High,Low,Close,close,Volume"]
)
def test_a_column_named_twice_is_refused_naming_it(
    db: Database, tmp_path: Path, header: str
) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(header + "\n2020-01-02,1,2,0.5,1.5,1.6,10\n")
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="day")
    assert str(info.value).startswith("dup.csv, row 1: the column name ")
    assert "appears twice (columns 5 and 6); rename one of them" in str(info.value)
    assert snapshot(db) == ([], [])


def test_a_parquet_column_named_twice_is_refused(db: Database, tmp_path: Path) -> None:
    arrays = [pa.array(["2020-01-02"]), *(pa.array([1.0]) for _ in range(5))]
    table = pa.Table.from_arrays(arrays, names=["date", "open", "high", "low", "close", "close"])
    path = tmp_path / "dup.parquet"
    pq.write_table(table, path)
    with pytest.raises(BarImportError, match="the column name 'close' appears twice"):
        import_bars(db, path, symbol="X", period="day")


# -- UTC offsets -----------------------------------------------------------------------------------
def offsets_csv(tmp_path: Path, stamps: list[str]) -> Path:
    path = tmp_path / "tz.csv"
    rows = [f"{t},1,2,0.5,1.5,1" for t in stamps]
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path


def test_mixed_utc_offsets_are_converted_to_utc_and_said(db: Database, tmp_path: Path) -> None:
    path = offsets_csv(
        tmp_path,
        ["2020-03-27T09:00:00+01:00", "2020-03-30T09:00:00+02:00", "2020-03-31T09:00:00+0200"],
    )
    result = import_bars(db, path, symbol="X", period="day")
    assert load_bars(db, "X", "day")["ts_event_ns"].tolist() == [
        ns("2020-03-27T08:00"),
        ns("2020-03-30T07:00"),
        ns("2020-03-31T07:00"),
    ]
    assert "UTC offsets +01:00, +02:00 converted to UTC" in result.notes


def test_utc_timestamps_need_no_note(db: Database, tmp_path: Path) -> None:
    path = offsets_csv(tmp_path, ["2020-01-02T00:00:00Z", "2020-01-03T00:00:00+00:00"])
    assert import_bars(db, path, symbol="X", period="day").notes == ()


def test_timestamps_with_and_without_an_offset_in_one_file_are_refused(
    db: Database, tmp_path: Path
) -> None:
    path = offsets_csv(tmp_path, ["2020-01-02 09:00", "2020-01-03 09:00+01:00"])
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="day")
    assert str(info.value).startswith(
        "tz.csv, row 3: the timestamp on row 2 has no UTC offset but the one on row 3 has +01:00"
    )
    assert snapshot(db) == ([], [])


# -- the summary -----------------------------------------------------------------------------------
def test_the_summary_is_one_plain_line(db: Database, goog_csv: Path, tmp_path: Path) -> None:
    result = import_bars(db, goog_csv, symbol="GOOG", period="day")
    assert result.summary() == (
        "Imported 2,148 day bars of GOOG (2004-08-19 … 2013-03-01) from GOOG.csv"
    )
    minutes = import_bars(db, minute_csv(tmp_path), symbol="X", period="minute")
    assert minutes.summary() == (
        "Imported 30 minute bars of X (2020-01-02 10:00:00 … 2020-01-02 10:29:00 UTC) "
        "from minutes.csv"
    )


def test_day_bars_not_at_midnight_utc_show_their_stored_time_not_a_date(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "cet.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-02 00:00+01:00,1,2,0.5,1.5,1\n2024-01-03 00:00+01:00,1,2,0.5,1.5,1\n"
    )
    summary = import_bars(db, path, symbol="CET", period="day").summary()
    assert "(2024-01-01 23:00:00 … 2024-01-02 23:00:00 UTC)" in summary


def test_the_summary_counts_replaced_bars(db: Database, tmp_path: Path) -> None:
    path = minute_csv(tmp_path)
    import_bars(db, path, symbol="X", period="minute")
    again = import_bars(db, path, symbol="X", period="minute", replace=True)
    assert again.summary().endswith("from minutes.csv; replaced 30 stored bars")


def test_a_file_of_several_symbols_is_refused_naming_them(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "mix.csv"
    path.write_text(
        "timestamp,Ticker,open,high,low,close,volume\n"
        "2020-01-02,AAA,1,2,0.5,1.5,1\n2020-01-02,BBB,1,2,0.5,1.5,1\n"
        "2020-01-03,AAA,1,2,0.5,1.5,1\n2020-01-03,BBB,1,2,0.5,1.5,1\n"
    )
    with pytest.raises(BarImportError, match=r"'Ticker' names several symbols \(AAA, BBB\)"):
        import_bars(db, path, symbol="MIX", period="day")
    assert snapshot(db) == ([], [])
    one = tmp_path / "one.csv"
    one.write_text("\n".join(path.read_text().splitlines()[::2]) + "\n")  # header + AAA rows
    assert import_bars(db, one, symbol="AAA", period="day").rows == 2
