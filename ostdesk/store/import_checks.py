"""What an import checks beyond each row: that the bars are what the user says they are.

- **Epoch timestamps.** A timestamp column of plain numbers (not all eight digits, which read
  as ``YYYYMMDD``) counts from 1970-01-01 UTC. The unit is ``epoch_unit`` when given, else
  the largest magnitude in the file decides: below 1e11 seconds (dates up to the year 5138),
  below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Millisecond times all
  before 1973-03-03 (1e11 ms) would read as seconds: give the unit for such a file.
  Fractions below a microsecond are dropped, as for text timestamps. A row of text among the
  numbers is refused as the bad row it is.
- **UTC offsets.** Text timestamps may carry offsets, each kept (so ``+01:00`` in winter and
  ``+02:00`` in summer are both right) and the result says they were converted to UTC. A file
  mixing timestamps with and without an offset is refused: the naive ones would be read in
  the import's time zone, which is rarely what the file meant.
- **Day or month first.** Dates like ``02/01/2024`` are read in the order the CSV sniffer
  finds (a day above 12 proves it); when no date proves it, the result says how they were read.
- **Duplicates.** Two bars with one timestamp, across all the files, are refused.
- **The period.** The median spacing of the bars must be nearer (on a log scale) to the
  declared period than to any other, else the import is refused naming both, unless forced.
- **Overlap.** Bars already stored inside the imported range are refused, or replaced.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from ostdesk.engine.events import BarPeriod
from ostdesk.store.columns import normal_name, sql_name
from ostdesk.store.errors import BarImportError, StoreError
from ostdesk.store.rows import first_row
from ostdesk.store.timefmt import format_ns
from ostdesk.timeparse import LAST_US

EPOCH_UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1, "µs": 1, "ns": 0.001}
"""Units of epoch timestamps, as microseconds per unit."""
UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
"""What each epoch unit is called, for people."""
_BY_SIZE = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
_NUMBER = r"[+-]?[0-9]+(\.[0-9]*)?"
_OFFSET = r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"


SPACING_TOLERANCE = 0.99
"""A median spacing within 1% of the period is the period (timestamps rounded to the second)."""


class PeriodMismatchError(BarImportError):
    """The bars' spacing does not fit the declared period; ``force`` imports them anyway."""

    def __init__(self, file: Path, spacing_ns: float, period: BarPeriod) -> None:
        self.spacing_ns = spacing_ns
        self.period = period
        overlap = (
            f" (each would last 1 {period.label} and overlap the next)"
            if spacing_ns < period.value
            else ""
        )
        super().__init__(
            file,
            None,
            f"bars are {spacing_text(spacing_ns)} apart (median) but --period {period.label} "
            f"was given{overlap}; check the period, or import with --force to store them "
            f"as {period.label} bars anyway",
        )


class OverlapError(BarImportError):
    """Stored bars lie inside the import's time range; importing with ``replace`` deletes
    them first. The message names no option: each front end says how to ask for that (the
    CLI's ``--replace``, the dialog's checkbox)."""


def parse_epoch_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    key = unit.strip().lower()
    if key not in EPOCH_UNITS:
        raise StoreError(f"unknown epoch unit {unit!r}; choose s, ms, us or ns")
    return "us" if key == "µs" else key


def epoch_unit(cur: duckdb.DuckDBPyConnection, ts_text: str, given: str | None) -> str | None:
    """The unit the timestamps of ``import_raw`` count in, or None when they are not epoch
    numbers; ``ts_text`` is the SQL for a row's timestamp text."""
    if given is not None:
        return given
    rows = f"(SELECT {ts_text} AS t FROM import_raw)"
    first = first_row(cur.execute(f"SELECT t FROM {rows} WHERE t IS NOT NULL LIMIT 1"))
    if first is None or not re.fullmatch(_NUMBER, first[0]):
        return None  # the common case, a date, is told by the first row without a scan
    # a row of text among the numbers is a bad row, named as such by the row check: reading
    # the column as dates instead would blame the first row, a good number
    row = first_row(
        cur.execute(
            f"SELECT count(t) FILTER (regexp_full_match(t, '{_NUMBER}') "
            "AND NOT regexp_full_match(t, '[0-9]{8}')), "
            f"max(abs(try_cast(t AS DOUBLE))) FROM {rows}"
        )
    )
    assert row is not None
    not_dates, largest = row
    if not not_dates:
        return None
    return next((unit for limit, unit in _BY_SIZE if largest < limit), "ns")


def epoch_sql(ts_text: str, unit: str) -> str:
    """SQL for the TIMESTAMPTZ of an epoch number; NULL for text that is no number, infinity
    for one beyond the storable range (so the row check reports it as out of range)."""
    factor = EPOCH_UNITS[unit]
    return (
        f"CASE WHEN NOT regexp_full_match({ts_text}, '{_NUMBER}') THEN NULL "
        f"WHEN abs(try_cast({ts_text} AS DOUBLE) * {factor}) > {LAST_US * 1.01:.0f} "
        "THEN 'infinity'::TIMESTAMPTZ "
        f"ELSE make_timestamptz(floor({ts_text}::DECIMAL(38, 9) * {factor})::BIGINT) END"
    )


def epoch_note(unit: str, given: bool) -> str:
    how = "as given" if given else "by their size; --epoch-unit chooses"
    return f"timestamps read as {epoch_text(unit)} ({how})"


def epoch_text(unit: str) -> str:
    """``"s"`` -> ``"seconds since 1970-01-01 UTC"``."""
    return f"{UNIT_NAMES[unit]} since 1970-01-01 UTC"


def date_order(cur: duckdb.DuckDBPyConnection, ts_text: str, formats: Sequence[str]) -> list[str]:
    """A note when the dates of ``import_raw`` were read day first or month first (the CSV
    sniffer's guess, ``formats[0]``) and no date has a day above 12 to prove it."""
    first = formats[0] if formats else ""
    order = next((o for o in ("%d", "%m") if re.match(rf"{o}[/-]%[dm][/-]%Y", first)), None)
    if order is None:
        return []
    sep = first[2]
    row = first_row(
        cur.execute(
            f"SELECT max(try_cast(split_part(t, '{sep}', 1) AS INTEGER)), "
            f"max(try_cast(split_part(t, '{sep}', 2) AS INTEGER)), min_by(t, rowid) "
            f"FROM (SELECT {ts_text} AS t, rowid FROM import_raw)"
        )
    )
    if row is None or row[0] is None or max(row[0], row[1]) > 12:
        return []
    date_format, example = first.split(" ")[0], str(row[2]).split(" ")[0]
    read = dt.datetime.strptime(example, date_format).date()
    return [
        f"dates read {'day' if order == '%d' else 'month'} first ({example} as {read}): "
        "no day in the file is above 12 to tell day from month"
    ]


def offsets(cur: duckdb.DuckDBPyConnection, path: Path, ts_text: str, first_line: int) -> list[str]:
    """Notes on the UTC offsets the text timestamps of ``import_raw`` carry; refuses a file
    with some timestamps with an offset and some without."""
    zones = cur.execute(
        f"SELECT regexp_extract({ts_text}, '{_OFFSET}', 1) AS zone, min(rowid) AS first "
        "FROM import_raw GROUP BY zone HAVING zone IS NOT NULL ORDER BY first"
    ).fetchall()
    naive = [first for zone, first in zones if zone == ""]
    offset = [(zone, first) for zone, first in zones if zone != ""]
    if naive and offset:
        (zone, with_offset), without = offset[0], naive[0]
        raise BarImportError(
            path,
            first_line + max(with_offset, without),
            f"the timestamp on row {first_line + without} has no UTC offset but the one on "
            f"row {first_line + with_offset} has {zone}; give every timestamp an offset, "
            "or none (times without one are read in the import's time zone, --tz)",
        )
    found = sorted({_normal_offset(zone) for zone, _ in offset})
    if found in ([], ["+00:00"]):
        return []
    plural = "s" if len(found) > 1 else ""
    return [f"UTC offset{plural} {', '.join(found)} converted to UTC"]


def _normal_offset(zone: str) -> str:
    """``Z``, ``+0200``, ``+02`` -> ``+00:00``, ``+02:00``, ``+02:00``."""
    if zone.upper() == "Z":
        return "+00:00"
    digits = zone[1:].replace(":", "")
    return f"{zone[0]}{digits[:2]}:{digits[2:4] or '00'}"


SYMBOL_COLUMNS = frozenset({"symbol", "ticker", "instrument", "sym"})
"""Names of a column that says which instrument a row is of."""


def one_symbol(cur: duckdb.DuckDBPyConnection, path: Path, names: list[str]) -> None:
    """Refuse a file whose symbol column names several instruments: their bars would be stored
    as one symbol's, interleaved (an export of a multi-symbol run's bars is such a file)."""
    for name in names:
        if normal_name(name) not in SYMBOL_COLUMNS:
            continue
        column = sql_name(name)
        found = [
            str(v)
            for (v,) in cur.execute(
                f"SELECT DISTINCT {column} FROM import_raw WHERE {column} IS NOT NULL "
                f"ORDER BY 1 LIMIT 6"
            ).fetchall()
        ]
        if len(found) > 1:
            listed = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            raise BarImportError(
                path,
                None,
                f"the column {name.strip()!r} names several symbols ({listed}); import one "
                "symbol per file",
            )


def check_period(
    cur: duckdb.DuckDBPyConnection, file: Path, period: BarPeriod, force: bool
) -> list[str]:
    """Refuse bars of ``import_rows`` whose median spacing fits another period better than
    ``period``, or is shorter than it (15-minute bars as hour bars would overlap: a bar's end
    decides when DAY and GTD orders expire), unless ``force``; return a note when forced or
    when the bars are further apart than their period (5-minute bars as minute bars).
    Timestamps are unique here."""
    row = first_row(
        cur.execute(
            "SELECT quantile_cont(gap, 0.5) FROM "
            "(SELECT ts::DOUBLE - lag(ts) OVER (ORDER BY ts) AS gap FROM import_rows) WHERE gap > 0"
        )
    )
    spacing = row[0] if row else None
    if spacing is None:  # a single bar: no spacing to check
        return []
    fit = min(BarPeriod, key=lambda p: abs(math.log(spacing / p.value)))
    if fit is period and spacing >= SPACING_TOLERANCE * period.value:
        if spacing <= period.value / SPACING_TOLERANCE:
            return []
        return [f"bars are {spacing_text(spacing)} apart (median); each is a {period.label} bar"]
    if not force:
        raise PeriodMismatchError(file, spacing, period)
    return [
        f"bars are {spacing_text(spacing)} apart (median), stored as {period.label} bars as asked"
    ]


def spacing_text(ns: float) -> str:
    """``60e9`` -> ``"1 minute"``, ``5400e9`` -> ``"1.5 hours"``, ``0.5e9`` -> ``"0.5 seconds"``."""
    units = sorted(BarPeriod, key=lambda p: p.value, reverse=True)
    unit = next((p for p in units if ns >= p.value), BarPeriod.SECOND)
    value = ns / unit.value
    text = f"{value:.3g}"
    return f"{text} {unit.label}{'' if text == '1' else 's'}"


def check_duplicates(cur: duckdb.DuckDBPyConnection, files: list[Path]) -> tuple[int, int, int]:
    """Refuse two bars with one timestamp (across all files); return (rows, first, last)."""
    row = cur.execute("SELECT count(*), count(DISTINCT ts), min(ts), max(ts) FROM import_rows")
    total, distinct, first, last = first_row(row) or (0, 0, 0, 0)
    if distinct != total:
        dup = first_row(
            cur.execute(
                "SELECT file_no, line, ts, first_file, first_line FROM ("
                " SELECT file_no, line, ts, row_number() OVER w AS k,"
                "  first_value(file_no) OVER w AS first_file,"
                "  first_value(line) OVER w AS first_line"
                " FROM import_rows"
                " WHERE ts IN (SELECT ts FROM import_rows GROUP BY ts HAVING count(*) > 1)"
                " WINDOW w AS (PARTITION BY ts ORDER BY file_no, line))"
                " WHERE k = 2 ORDER BY file_no, line LIMIT 1"
            )
        )
        assert dup is not None
        file_no, line, ts, first_file, first_line = dup
        where = (
            f"row {first_line}"
            if first_file == file_no
            else (f"{files[first_file].name}, row {first_line}")
        )
        raise BarImportError(
            files[file_no], int(line), f"duplicate timestamp {format_ns(ts)} (also on {where})"
        )
    return int(total), int(first), int(last)


def check_overlap(
    cur: duckdb.DuckDBPyConnection,
    files: list[Path],
    symbol: str,
    period: BarPeriod,
    first: int,
    last: int,
    replace: bool,
) -> int:
    """Refuse stored bars inside [first, last], or delete them if ``replace``; return how many."""
    stored = first_row(
        cur.execute(
            "SELECT count(*), min(ts_event_ns), max(ts_event_ns) FROM bars "
            "WHERE symbol = ? AND period = ? AND ts_event_ns BETWEEN ? AND ?",
            [symbol, period.label, first, last],
        )
    )
    count = int(stored[0]) if stored else 0
    if count == 0:
        return 0
    assert stored is not None
    if replace:
        cur.execute(
            "DELETE FROM bars WHERE symbol = ? AND period = ? AND ts_event_ns BETWEEN ? AND ?",
            [symbol, period.label, first, last],
        )
        return count
    clash = first_row(
        cur.execute(
            "SELECT file_no, line FROM import_rows WHERE ts >= ? ORDER BY ts LIMIT 1", [stored[1]]
        )
    )
    assert clash is not None
    raise OverlapError(
        files[clash[0]],
        int(clash[1]),
        f"{count:,} {period.label} bars of {symbol} are already stored from "
        f"{format_ns(stored[1])} to {format_ns(stored[2])}, inside this import's range "
        f"{format_ns(first)} to {format_ns(last)}",
    )
