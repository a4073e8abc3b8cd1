"""Importing bars: formats, column mapping, time zones, and every validation error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ostdesk.engine.events import BarPeriod
from ostdesk.store import (
    BarImportError,
    Database,
    StoreError,
    coverage,
    import_bars,
    load_bars,
    parse_columns_spec,
)
from ostdesk.store.import_checks import OverlapError
from tests.store.conftest import snapshot

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD_ROWS = [
    "2020-01-02 10:00:00,10,11,9,10.5,100",
    "2020-01-02 10:01:00,10.5,11,10,10.8,120",
    "2020-01-02 10:02:00,10.8,11.2,10.7,11.0,90",
    "2020-01-02 10:03:00,11.0,11.1,10.9,11.05,80",
]


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def good_csv(tmp_path: Path, name: str = "bars.csv") -> Path:
    return write(tmp_path, name, HEADER + "\n".join(GOOD_ROWS) + "\n")


def other_day_csv(tmp_path: Path) -> Path:
    rows = [r.replace("2020-01-02", "2020-01-03") for r in GOOD_ROWS]
    return write(tmp_path, "fine.csv", HEADER + "\n".join(rows) + "\n")


def with_row(tmp_path: Path, index: int, row: str, name: str = "bad.csv") -> Path:
    rows = list(GOOD_ROWS)
    rows[index] = row
    return write(tmp_path, name, HEADER + "\n".join(rows) + "\n")


# -- real data -----------------------------------------------------------------------------------
def test_goog_daily_csv_imports_every_row(db: Database, goog_csv: Path) -> None:
    result = import_bars(db, goog_csv, symbol="GOOG", period="day")
    assert result.rows == 2148
    assert result.first_ts_ns == ns("2004-08-19")
    assert result.last_ts_ns == ns("2013-03-01")
    bars = load_bars(db, "GOOG", BarPeriod.DAY)
    assert bars["open"][0] == 100.0
    assert bars["close"][0] == 100.34
    assert bars["volume"][0] == 22351900.0
    assert np.all(np.diff(bars["ts_event_ns"]) > 0)


def test_eurusd_hourly_csv_imports_every_row(db: Database, eurusd_csv: Path) -> None:
    result = import_bars(db, eurusd_csv, symbol="EURUSD", period="hour")
    assert result.rows == 5000
    assert result.first_ts_ns == ns("2017-04-19T09:00")
    assert coverage(db, ["EURUSD"], "hour")["EURUSD"][2] == 5000


def test_the_instrument_is_created_with_the_given_description(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day", description="Alphabet Inc.")
    row = db.connection.execute("SELECT description FROM instruments WHERE symbol = 'GOOG'")
    assert row.fetchall() == [("Alphabet Inc.",)]


# -- formats and columns -------------------------------------------------------------------------
def test_split_date_and_time_columns_are_combined(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "split.csv",
        "Date,Time,Open,High,Low,Close,Volume\n"
        "2020-01-02,10:00,1,2,0.5,1.5,10\n2020-01-02,10:01,1.5,2,1,1.8,10\n",
    )
    result = import_bars(db, path, symbol="X", period="minute")
    assert (result.first_ts_ns, result.last_ts_ns) == (
        ns("2020-01-02T10:00"),
        ns("2020-01-02T10:01"),
    )


def test_semicolon_delimiter_with_day_first_dates_and_decimal_commas(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "de.csv",
        "Datum;Zeit;Eroeffnung;Hoch;Tief;Schluss;Volumen\n"
        "13.02.2020;09:00:00;1,5;1,6;1,4;1,55;100\n14.02.2020;09:00:00;1,55;1,6;1,4;1,5;100\n",
    )
    columns = "date=Datum,time=Zeit,open=Eroeffnung,high=Hoch,low=Tief,close=Schluss,volume=Volumen"
    result = import_bars(db, path, symbol="DE", period="day", columns=columns)
    assert result.first_ts_ns == ns("2020-02-13T09:00")
    assert load_bars(db, "DE", "day")["open"].tolist() == [1.5, 1.55]


def test_columns_mapping_picks_the_named_source_columns(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "yahoo.csv",
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,10,12,9,11,10.5,100\n2020-01-03,11,12,10,11.5,11.25,100\n",
    )
    import_bars(db, path, symbol="Y", period="day", columns={"close": "Adj Close", "high": "High"})
    assert load_bars(db, "Y", "day")["close"].tolist() == [10.5, 11.25]


def test_parse_columns_spec_reads_pairs_and_rejects_junk() -> None:
    assert parse_columns_spec("timestamp=Date, close=Adj Close") == {
        "timestamp": "Date",
        "close": "Adj Close",
    }
    with pytest.raises(ValueError, match="unknown column 'price'"):
        parse_columns_spec("price=Close")
    with pytest.raises(ValueError, match="name=column"):
        parse_columns_spec("close")


def test_a_missing_column_names_what_the_file_has(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "nohigh.csv", "time,open,low,close\n2020-01-02 10:00,1,1,1\n")
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="minute")
    assert info.value.row is None
    assert "no column for high" in str(info.value)
    assert "'open'" in str(info.value)


def test_headerless_csv_maps_columns_by_position(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path, "raw.csv", "2020-01-02 10:00,1,2,0.5,1.5,10\n2020-01-02 10:01,1,2,0.5,1.5,10\n"
    )
    result = import_bars(db, path, symbol="X", period="minute")
    assert result.rows == 2
    assert load_bars(db, "X", "minute")["volume"].tolist() == [10.0, 10.0]


def test_headerless_csv_error_rows_are_file_lines(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path, "raw.csv", "2020-01-02 10:00,1,2,0.5,1.5,10\n2020-01-02 10:01,1,2,1.2,1.5,10\n"
    )
    with pytest.raises(BarImportError, match=r"raw.csv, row 2: low 1.2 is above min"):
        import_bars(db, path, symbol="X", period="minute")


def test_parquet_with_typed_columns(db: Database, tmp_path: Path) -> None:
    table = pa.table(
        {
            "Datetime": pa.array(
                np.array(["2021-03-01T14:30", "2021-03-01T14:31"], dtype="datetime64[us]")
            ),
            "Open": [100.0, 101.0],
            "High": [102.0, 101.5],
            "Low": [99.0, 100.5],
            "Close": [101.0, 101.2],
            "Volume": pa.array([1000, 2000], type=pa.int64()),
        }
    )
    path = tmp_path / "bars.parquet"
    pq.write_table(table, path)
    result = import_bars(db, path, symbol="P", period="minute")
    assert (result.rows, result.first_ts_ns) == (2, ns("2021-03-01T14:30"))
    assert load_bars(db, "P", "minute")["volume"].tolist() == [1000.0, 2000.0]


def test_parquet_error_rows_count_from_one(db: Database, tmp_path: Path) -> None:
    table = pa.table(
        {
            "timestamp": ["2021-03-01 14:30", "later"],
            "open": [1.0, 1.0],
            "high": [1.0, 1.0],
            "low": [1.0, 1.0],
            "close": [1.0, 1.0],
        }
    )
    path = tmp_path / "bars.parquet"
    pq.write_table(table, path)
    with pytest.raises(
        BarImportError, match=r"bars.parquet, row 2: cannot read the timestamp 'later'"
    ):
        import_bars(db, path, symbol="P", period="minute")


def test_naive_timestamps_are_read_in_the_given_time_zone(db: Database, tmp_path: Path) -> None:
    path = good_csv(tmp_path)
    result = import_bars(db, path, symbol="X", period="minute", tz="Europe/Berlin")
    assert result.first_ts_ns == ns("2020-01-02T09:00")  # CET is UTC+1 in January


def test_timestamps_with_an_offset_keep_it_whatever_the_time_zone(
    db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "tz.csv", HEADER + "2020-07-01T10:00:00+02:00,1,1,1,1,1\n")
    result = import_bars(db, path, symbol="X", period="minute", tz="America/New_York")
    assert result.first_ts_ns == ns("2020-07-01T08:00")


def test_an_unknown_time_zone_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown time zone 'Mars/Olympus'"):
        import_bars(db, good_csv(tmp_path), symbol="X", period="minute", tz="Mars/Olympus")


def test_rows_out_of_order_are_sorted(db: Database, tmp_path: Path) -> None:
    rows = list(reversed(GOOD_ROWS))
    path = write(tmp_path, "rev.csv", HEADER + "\n".join(rows) + "\n")
    import_bars(db, path, symbol="X", period="minute")
    bars = load_bars(db, "X", "minute")
    assert np.all(np.diff(bars["ts_event_ns"]) > 0)
    assert bars["close"].tolist() == [10.5, 10.8, 11.0, 11.05]


def test_several_files_import_as_one(db: Database, tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", HEADER + "\n".join(GOOD_ROWS[:2]) + "\n")
    b = write(tmp_path, "b.csv", HEADER + "\n".join(GOOD_ROWS[2:]) + "\n")
    result = import_bars(db, [b, a], symbol="X", period="minute")
    assert result.rows == 4
    assert result.files == (b, a)


def test_progress_is_reported_up_to_done(db: Database, goog_csv: Path) -> None:
    calls: list[tuple[float, str]] = []
    import_bars(
        db, goog_csv, symbol="GOOG", period="day", progress=lambda f, m: calls.append((f, m))
    )
    fractions = [f for f, _ in calls]
    assert len(calls) >= 3
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert "GOOG.csv" in calls[0][1]


# -- validation: each error names file, row and problem, and changes nothing ------------------
BAD_ROWS = [
    (1, "not a date,10,11,9,10.5,100", "row 3: cannot read the timestamp 'not a date'"),
    (2, "2020-01-02 10:02:00,abc,11.2,10.7,11.0,90", "row 4: open 'abc' is not a number"),
    (2, "2020-01-02 10:02:00,10.8,11.2,10.7,,90", "row 4: close '' is not a number"),
    (0, "2020-01-02 10:00:00,nan,11,9,10.5,100", "row 2: open is nan"),
    (3, "2020-01-02 10:03:00,11.0,inf,10.9,11.05,80", "row 5: high is inf"),
    (1, "2020-01-02 10:01:00,10.5,11,-1,10.8,120", "row 3: low -1.0 is not positive"),
    (1, "2020-01-02 10:01:00,0,11,0,10.8,120", "row 3: open 0.0 is not positive"),
    (
        2,
        "2020-01-02 10:02:00,10.8,10.5,10.4,11.0,90",
        "row 4: high 10.5 is below max(open, close) 11.0",
    ),
    (
        2,
        "2020-01-02 10:02:00,10.8,11.2,10.9,11.0,90",
        "row 4: low 10.9 is above min(open, close) 10.8",
    ),
    (3, "2020-01-02 10:03:00,11.0,11.1,10.9,11.05,-5", "row 5: volume -5.0 is negative"),
    (
        3,
        "2020-01-02 10:01:00,11.0,11.1,10.9,11.05,80",
        "row 5: duplicate timestamp 2020-01-02 10:01:00 UTC (also on row 3)",
    ),
    (2, "2020-01-02 10:02:00,10.8,11.2,10.7,11.0,90,7", "row 4: expected 6 columns, found 7"),
]


@pytest.mark.parametrize(("index", "row", "message"), BAD_ROWS, ids=[m for *_, m in BAD_ROWS])
def test_a_bad_row_is_reported_and_nothing_is_stored(
    db: Database, tmp_path: Path, goog_csv: Path, index: int, row: str, message: str
) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    before = snapshot(db)
    path = with_row(tmp_path, index, row)
    with pytest.raises(BarImportError) as info:
        import_bars(db, [other_day_csv(tmp_path), path], symbol="X", period="minute")
    assert str(info.value) == f"bad.csv, {message}"
    assert info.value.file == path
    assert snapshot(db) == before


def test_the_first_bad_row_is_reported_with_a_count_of_the_others(
    db: Database, tmp_path: Path
) -> None:
    rows = [r.replace(",10,", ",-10,") for r in GOOD_ROWS[:1]] + [
        "2020-01-02 10:01:00,x,11,10,10.8,120",
        "2020-01-02 10:02:00,y,11,10,10.8,120",
    ]
    path = write(tmp_path, "many.csv", HEADER + "\n".join(rows) + "\n")
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="minute")
    assert info.value.row == 2
    assert (
        str(info.value) == "many.csv, row 2: open -10.0 is not positive (2 more rows have problems)"
    )


def test_a_duplicate_across_files_names_the_other_file(db: Database, tmp_path: Path) -> None:
    a = good_csv(tmp_path, "a.csv")
    b = write(tmp_path, "b.csv", HEADER + GOOD_ROWS[1] + "\n")
    with pytest.raises(BarImportError) as info:
        import_bars(db, [a, b], symbol="X", period="minute")
    assert str(info.value) == (
        "b.csv, row 2: duplicate timestamp 2020-01-02 10:01:00 UTC (also on a.csv, row 3)"
    )
    assert snapshot(db) == ([], [])


def test_lines_skipped_before_the_header_count_in_row_numbers(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lines.csv",
        HEADER + "\n".join([*GOOD_ROWS, "2020-01-02 10:04,1,0.5,0.9,1,1"]) + "\n",
    )
    with pytest.raises(BarImportError, match=r"lines.csv, row 6: high 0.5"):
        import_bars(db, path, symbol="X", period="minute")


@pytest.mark.parametrize("text", ["", HEADER])
def test_a_file_without_rows_is_refused(db: Database, tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.csv", text)
    with pytest.raises(BarImportError, match=r"empty\.csv: the file has no data rows"):
        import_bars(db, path, symbol="X", period="minute")


def test_a_missing_file_is_refused_before_anything_is_stored(db: Database, tmp_path: Path) -> None:
    with pytest.raises(BarImportError, match=r"nope\.csv: file not found"):
        import_bars(db, [good_csv(tmp_path), tmp_path / "nope.csv"], symbol="X", period="minute")
    assert snapshot(db) == ([], [])


# -- overlap ---------------------------------------------------------------------------------------
def test_overlap_with_stored_bars_is_refused(db: Database, tmp_path: Path) -> None:
    import_bars(db, good_csv(tmp_path), symbol="X", period="minute")
    before = snapshot(db)
    again = write(tmp_path, "again.csv", HEADER + "\n".join(GOOD_ROWS[2:]) + "\n")
    with pytest.raises(OverlapError) as info:
        import_bars(db, again, symbol="X", period="minute")
    assert info.value.row == 2
    assert "2 minute bars of X are already stored" in str(info.value)
    assert snapshot(db) == before


def test_the_overlap_refusal_names_no_front_end_option(db: Database, tmp_path: Path) -> None:
    """The CLI says --replace and the dialog names its checkbox: the store says neither."""
    import_bars(db, good_csv(tmp_path), symbol="X", period="minute")
    with pytest.raises(OverlapError) as info:
        import_bars(db, good_csv(tmp_path), symbol="X", period="minute")
    assert "replace" not in str(info.value).lower()


def test_replace_overwrites_the_overlapping_bars(db: Database, tmp_path: Path) -> None:
    import_bars(db, good_csv(tmp_path), symbol="X", period="minute")
    new = write(tmp_path, "new.csv", HEADER + "2020-01-02 10:02:00,20,21,19,20.5,1\n")
    result = import_bars(db, new, symbol="X", period="minute", replace=True)
    assert result.replaced == 1
    assert load_bars(db, "X", "minute")["close"].tolist() == [10.5, 10.8, 20.5, 11.05]


def test_the_same_times_in_another_period_or_symbol_do_not_overlap(
    db: Database, tmp_path: Path
) -> None:
    path = good_csv(tmp_path)
    import_bars(db, path, symbol="X", period="minute")
    import_bars(db, path, symbol="X", period="second", force=True)
    import_bars(db, path, symbol="Y", period="minute")
    assert db.connection.execute("SELECT count(*) FROM bars").fetchone() == (12,)


def test_bars_filling_a_gap_between_stored_bars_are_accepted(db: Database, tmp_path: Path) -> None:
    outer = write(tmp_path, "outer.csv", HEADER + f"{GOOD_ROWS[0]}\n{GOOD_ROWS[3]}\n")
    inner = write(tmp_path, "inner.csv", HEADER + f"{GOOD_ROWS[1]}\n{GOOD_ROWS[2]}\n")
    import_bars(db, outer, symbol="X", period="minute")
    assert import_bars(db, inner, symbol="X", period="minute").rows == 2


@pytest.mark.parametrize(
    "timestamp", ["0000-01-02 10:00:00", "1600-01-02 10:00:00", "2300-01-02 10:00:00", "infinity"]
)
def test_a_timestamp_outside_the_storable_years_is_refused_with_its_row(
    db: Database, tmp_path: Path, timestamp: str
) -> None:
    before = snapshot(db)
    path = with_row(tmp_path, 2, f"{timestamp},10,11,9,10.5,100")
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="minute")
    assert info.value.row == 4
    assert f"the timestamp {timestamp!r} is outside the dates ostdesk can store" in str(info.value)
    assert snapshot(db) == before


def test_the_first_and_last_storable_days_import(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "edges.csv",
        HEADER + "1677-09-22 00:00:00,10,11,9,10.5,1\n2262-04-10 23:59:00,10,11,9,10.5,1\n",
    )
    result = import_bars(db, path, symbol="X", period="day")
    assert (result.first_ts_ns, result.last_ts_ns) == (
        ns("1677-09-22T00:00"),
        ns("2262-04-10T23:59"),
    )


def test_a_gz_file_that_is_not_gzip_is_refused_naming_it(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "bars.csv.gz", HEADER + "\n".join(GOOD_ROWS) + "\n")
    with pytest.raises(BarImportError, match=r"^bars.csv.gz: not a readable gzip file"):
        import_bars(db, path, symbol="X", period="minute")
    assert snapshot(db) == ([], [])


@pytest.mark.parametrize("url", ["http://example.com/a.csv", "s3://bucket/a.csv", "file:///a.csv"])
def test_a_url_is_refused_as_not_a_local_file(db: Database, url: str) -> None:
    with pytest.raises(StoreError, match=f"the import file {url} is a URL"):
        import_bars(db, url, symbol="X", period="minute")
