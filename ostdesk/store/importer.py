"""Import OHLCV bars from CSV or Parquet files, all-or-nothing.

DuckDB reads each file (its CSV sniffer finds delimiter, header and date formats) into a temp
table; parsing and every check run as SQL over a staging table, and the bars are inserted in the
same transaction, so a failed import leaves the store exactly as it was.

Row numbers in errors are the file's line numbers as an editor shows them: with a header the
first bar is on row 2 (lines skipped before the header count too). They assume one record per
line (no line breaks inside quoted fields). For Parquet, row 1 is the first row.
Naive timestamps are read in ``tz`` (an IANA name, default UTC); ones with an offset keep it.
``import_checks`` holds what is checked beyond each row: epoch numbers, UTC offsets and the
bars' spacing against the declared period; ``sources`` the file's encoding and header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import duckdb

from ostdesk.engine.events import BarPeriod
from ostdesk.store import import_checks as checks
from ostdesk.store.columns import (
    ColumnError,
    ColumnMap,
    map_columns,
    parse_columns_spec,
    sql_name,
)
from ostdesk.store.database import Database
from ostdesk.store.errors import BarImportError, StoreError
from ostdesk.store.paths import local_path
from ostdesk.store.rows import first_row
from ostdesk.store.sources import UTF8, Source, read_raw
from ostdesk.store.timefmt import format_ns
from ostdesk.store.transactions import transaction
from ostdesk.timeparse import FIRST_US, LAST_US, STORABLE_RANGE

Progress = Callable[[float, str], None]
"""Called with the fraction done (0..1) and what is being done, in the importing thread."""

__all__ = ["ImportResult", "Progress", "import_bars", "parse_columns_spec"]

# tried after DuckDB's ISO parsing and the sniffer's own formats (day-first vs month-first
# is left to the sniffer, which looks at the data)
_FALLBACK_FORMATS = (
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d %H%M%S",
    "%Y%m%d %H:%M",
    "%Y%m%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H%M%S")
# names of the staging query's own columns, unlike any a file has
_ROW = "__ostdesk_row"
_TS = "__ostdesk_ts"


@dataclasses.dataclass(frozen=True, slots=True)
class ImportResult:
    symbol: str
    period: BarPeriod
    rows: int
    first_ts_ns: int
    last_ts_ns: int
    replaced: int
    """Stored bars deleted because ``replace`` was set."""
    files: tuple[Path, ...]
    notes: tuple[str, ...] = ()
    """What the import decided for the user: an epoch unit, offsets converted to UTC, a
    missing volume, an encoding, a forced period."""

    def summary(self) -> str:
        """One plain line for a person: what was stored, from where, and the notes."""
        # dates alone only for day bars at midnight UTC: a file's 00:00+01:00 is stored at
        # 23:00 UTC the day before, which a date alone would hide
        day = self.period is BarPeriod.DAY and not (
            self.first_ts_ns % BarPeriod.DAY.value or self.last_ts_ns % BarPeriod.DAY.value
        )
        first, last = (
            format_ns(ts)[:10] if day else format_ns(ts).removesuffix(" UTC")
            for ts in (self.first_ts_ns, self.last_ts_ns)
        )
        names = [f.name for f in self.files]
        source = ", ".join(names) if len(names) <= 3 else f"{names[0]} and {len(names) - 1} more"
        parts = [
            f"Imported {self.rows:,} {self.period.label} bar{'s' if self.rows != 1 else ''} "
            f"of {self.symbol} ({first} … {last}{'' if day else ' UTC'}) from {source}"
        ]
        if self.replaced:
            parts.append(f"replaced {self.replaced:,} stored bars")
        return "; ".join([*parts, *self.notes])


def import_bars(
    db: Database,
    paths: str | Path | Iterable[str | Path],
    *,
    symbol: str,
    period: BarPeriod | str,
    tz: str | None = None,
    columns: Mapping[str, str] | str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
    description: str | None = None,
    force: bool = False,
    epoch_unit: str | None = None,
) -> ImportResult:
    """Import the bars of ``paths`` (one symbol, one period) in one transaction.

    ``columns`` maps our names (timestamp|date|time|open|high|low|close|volume) to source
    columns, or is a spec string for ``parse_columns_spec``; unmapped fields are found by their
    common names. Rows are sorted on import. Bars already stored inside the imported time
    range are refused (``OverlapError``) unless ``replace``, which deletes them first. Bars
    whose spacing does not fit ``period`` are refused (``PeriodMismatchError``) unless
    ``force``. Numeric timestamps count from 1970 in ``epoch_unit`` (s, ms, us or ns), by
    default the unit their size says (see ``import_checks``). Raises ``BarImportError``
    (file, row, problem) for bad data and ``StoreError`` for bad arguments.
    """
    period = BarPeriod.parse(period)
    symbol = symbol.strip()
    if not symbol:
        raise StoreError("the symbol is empty")
    given = [paths] if isinstance(paths, str | Path) else list(paths)
    files = [local_path(p, "import file") for p in given]
    if not files:
        raise StoreError("no files to import")
    mapping = parse_columns_spec(columns) if isinstance(columns, str) else columns
    unit = checks.parse_epoch_unit(epoch_unit)
    report: Progress = progress or no_progress
    cur = db.cursor()  # its own session: time zone setting and temp tables stay private
    try:
        _set_time_zone(cur, tz or "UTC")
        # Staging is outside the transaction: temp tables only, and rowids of tables created in
        # a transaction are not 0-based, while they are our row numbers.
        notes = _stage_files(cur, files, mapping, unit, report)
        span = checks.check_duplicates(cur, files)
        notes += checks.check_period(cur, files[0], period, force)
        report(0.8, "checking against stored bars")
        with transaction(cur):
            result = _store(cur, files, symbol, period, span, replace, description, report)
    finally:
        db.release(cur)  # closing the session drops its temp tables
    report(1.0, f"imported {result.rows:,} bars of {symbol}")
    return dataclasses.replace(result, notes=tuple(dict.fromkeys(notes)))


def _stage_files(
    cur: duckdb.DuckDBPyConnection,
    files: list[Path],
    columns: Mapping[str, str] | None,
    epoch_unit: str | None,
    report: Progress,
) -> list[str]:
    """Parse every file into temp table ``import_rows`` and check each row; return notes."""
    cur.execute(
        "CREATE TEMP TABLE import_rows (file_no INTEGER, line BIGINT, ts BIGINT, "
        "ts_out_of_range BOOLEAN, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, "
        "volume DOUBLE)"
    )
    notes: list[str] = []
    for file_no, path in enumerate(files):
        report(0.7 * file_no / len(files), f"reading {path.name}")
        notes += _stage_file(cur, file_no, path, columns, epoch_unit)
    report(0.7, "checking for duplicate timestamps")
    return notes


def _store(
    cur: duckdb.DuckDBPyConnection,
    files: list[Path],
    symbol: str,
    period: BarPeriod,
    span: tuple[int, int, int],
    replace: bool,
    description: str | None,
    report: Progress,
) -> ImportResult:
    rows, first, last = span
    replaced = checks.check_overlap(cur, files, symbol, period, first, last, replace)
    report(0.85, f"storing {rows:,} bars")
    cur.execute(
        "INSERT INTO instruments (symbol, description) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [symbol, f"imported from {files[0].name}"],
    )
    if description is not None:
        cur.execute(
            "UPDATE instruments SET description = ? WHERE symbol = ?", [description, symbol]
        )
    cur.execute(
        "INSERT INTO bars SELECT ?, ?, ts, open, high, low, close, volume FROM import_rows "
        "ORDER BY ts",
        [symbol, period.label],
    )
    return ImportResult(symbol, period, rows, first, last, replaced, tuple(files))


# -- reading ------------------------------------------------------------------------------------
def _stage_file(
    cur: duckdb.DuckDBPyConnection,
    file_no: int,
    path: Path,
    columns: Mapping[str, str] | None,
    epoch_unit: str | None,
) -> list[str]:
    if not path.is_file():
        raise BarImportError(path, None, "file not found")
    source = read_raw(cur, path)
    row = first_row(cur.execute("SELECT count(*) FROM import_raw"))
    if not row or not row[0]:
        raise BarImportError(path, None, "the file has no data rows")
    try:
        cmap = map_columns(source.names, has_header=source.has_header, explicit=columns)
    except ColumnError as exc:
        raise BarImportError(path, None, str(exc)) from None
    checks.one_symbol(cur, path, source.names)
    ts_text = _timestamp_text(cmap)
    notes = [] if source.encoding == UTF8 else [f"{path.name} read as {source.encoding} text"]
    unit = checks.epoch_unit(cur, ts_text, epoch_unit) if cmap.timestamp else epoch_unit
    if unit is not None:
        ts_expr = checks.epoch_sql(ts_text, unit)
        notes.append(checks.epoch_note(unit, given=epoch_unit is not None))
    else:
        ts_expr = (
            f"coalesce(try_cast({ts_text} AS TIMESTAMPTZ), "
            f"try_strptime({ts_text}, ?::VARCHAR[])::TIMESTAMPTZ)"
        )
        if _is_text(cur, cmap):
            notes += checks.offsets(cur, path, ts_text, source.first_line)
            notes += checks.date_order(cur, ts_text, source.formats)
    if cmap.volume is None:
        notes.append("no volume column: volumes stored as 0")
    numbers = [c for c in (cmap.open, cmap.high, cmap.low, cmap.close, cmap.volume) if c]
    commas = (_has_decimal_commas(cur, numbers) or None) if source.decimal_comma else False
    prices = [_number(c, commas) for c in (cmap.open, cmap.high, cmap.low, cmap.close)]
    volume = "0.0" if cmap.volume is None else _number(cmap.volume, commas)
    # a time outside what 64-bit nanoseconds hold (before 1677, after 2262) is flagged, not cast
    storable = f"(isfinite({_TS}) AND epoch_us({_TS}) BETWEEN {FIRST_US} AND {LAST_US})"
    cur.execute(
        f"INSERT INTO import_rows SELECT ?, {_ROW} + ?, "
        f"CASE WHEN {storable} THEN epoch_us({_TS}) * 1000 END, "
        f"{_TS} IS NOT NULL AND NOT {storable}, {', '.join(prices)}, {volume} "
        f"FROM (SELECT *, rowid AS {_ROW}, {ts_expr} AS {_TS} FROM import_raw)",
        [file_no, source.first_line, *([] if unit else [_formats(source, cmap)])],
    )
    _check_rows(cur, file_no, path, cmap, source, unit)
    cur.execute("DROP TABLE import_raw")
    return notes


def _is_text(cur: duckdb.DuckDBPyConnection, cmap: ColumnMap) -> bool:
    """Whether the timestamp is text (CSV, or a Parquet string): a typed timestamp's text
    shows the session's offsets, not the file's."""
    columns = [c for c in (cmap.timestamp, cmap.date, cmap.time) if c is not None]
    types = first_row(
        cur.execute(
            f"SELECT {', '.join(f'typeof({sql_name(c)})' for c in columns)} FROM import_raw LIMIT 1"
        )
    )
    return types is not None and all(t == "VARCHAR" for t in types)


def _timestamp_text(cmap: ColumnMap) -> str:
    if cmap.timestamp is not None:
        return f"trim({sql_name(cmap.timestamp)}::VARCHAR)"
    assert cmap.date is not None
    if cmap.time is None:
        return f"trim({sql_name(cmap.date)}::VARCHAR)"
    date, time = sql_name(cmap.date), sql_name(cmap.time)
    return f"concat_ws(' ', trim({date}::VARCHAR), trim({time}::VARCHAR))"


def _formats(source: Source, cmap: ColumnMap) -> list[str]:
    """strptime formats to try, the sniffer's first; split date+time gets time formats added."""
    formats = list(source.formats)
    if cmap.time is not None:
        formats = [f"{d} {t}" for d in formats for t in _TIME_FORMATS]
    return [*formats, *_FALLBACK_FORMATS]


def _has_decimal_commas(cur: duckdb.DuckDBPyConnection, columns: list[str]) -> bool:
    """Whether a number of the file is written with a decimal comma that cannot separate
    thousands (``10,5``, ``1.234,50``; a delimiter other than the comma allows it): then a dot
    in any number separates thousands (``12.345`` is 12345). ``1,234`` alone proves nothing."""
    proof = r"',([0-9]{1,2}|[0-9]{4,})$|\.[0-9]{3},'"
    found = " OR ".join(f"regexp_matches(trim({sql_name(c)}::VARCHAR), {proof})" for c in columns)
    row = first_row(cur.execute(f"SELECT bool_or({found}) FROM import_raw"))
    return bool(row and row[0])


# a number with a decimal comma, its thousands separated by dots or not: 1.234.567,89 or 12,5
_COMMA_NUMBER = r"[+-]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]*)?"


def _number(column: str, decimal_comma: bool | None) -> str:
    """SQL for a number: with ``decimal_comma`` dots separate thousands; with ``None`` (a
    delimiter that allows decimal commas, none proven) ``1,5`` still reads as 1.5."""
    if decimal_comma:
        text = f"trim({sql_name(column)}::VARCHAR)"
        plain = f"replace(replace({text}, '.', ''), ',', '.')"
        return (
            f"CASE WHEN regexp_full_match({text}, '{_COMMA_NUMBER}') "
            f"THEN try_cast({plain} AS DOUBLE) END"
        )
    if decimal_comma is None:
        text = f"{sql_name(column)}::VARCHAR"
        comma = f"try_cast(replace({text}, ',', '.') AS DOUBLE)"
        return f"coalesce(try_cast({text} AS DOUBLE), {comma})"
    return f"try_cast({sql_name(column)} AS DOUBLE)"


# -- checks -------------------------------------------------------------------------------------
_PRICES = ("open", "high", "low", "close")
_PROBLEM = (
    "CASE WHEN ts_out_of_range THEN 'range:timestamp' "
    "WHEN ts IS NULL THEN 'unreadable:timestamp' "
    + "".join(f"WHEN {p} IS NULL THEN 'unreadable:{p}' " for p in (*_PRICES, "volume"))
    + "".join(f"WHEN NOT isfinite({p}) THEN 'infinite:{p}' " for p in (*_PRICES, "volume"))
    + "".join(f"WHEN {p} <= 0 THEN 'nonpositive:{p}' " for p in _PRICES)
    + "WHEN high < greatest(open, close) THEN 'high' "
    "WHEN low > least(open, close) THEN 'low' "
    "WHEN volume < 0 THEN 'negative:volume' END"
)


def _check_rows(
    cur: duckdb.DuckDBPyConnection,
    file_no: int,
    path: Path,
    cmap: ColumnMap,
    source: Source,
    epoch_unit: str | None,
) -> None:
    """Raise for the first bad row of this file, saying what is wrong with it (a timestamp
    read as an epoch number, with the unit it was read in)."""
    row = first_row(
        cur.execute(
            f"SELECT line, problem, count(*) OVER () FROM (SELECT line, {_PROBLEM} AS problem "
            "FROM import_rows WHERE file_no = ?) WHERE problem IS NOT NULL ORDER BY line LIMIT 1",
            [file_no],
        )
    )
    if row is None:
        return
    line, code, count = int(row[0]), str(row[1]), int(row[2])
    kind, _, field = code.partition(":")
    values = first_row(
        cur.execute(
            "SELECT ts, open, high, low, close, volume FROM import_rows"
            " WHERE file_no = ? AND line = ?",
            [file_no, line],
        )
    )
    assert values is not None
    bar = dict(zip(("ts", *_PRICES, "volume"), values, strict=True))
    if kind == "range":
        raw = _raw_value(cur, cmap, field, line - source.first_line)
        problem = f"the timestamp {raw!r} is outside the dates ostdesk can store ({STORABLE_RANGE})"
    elif kind == "unreadable":
        raw = _raw_value(cur, cmap, field, line - source.first_line)
        if field == "timestamp":
            problem = f"cannot read the timestamp {raw!r}"
            if epoch_unit is not None:
                problem += f" as {checks.epoch_text(epoch_unit)}"
        else:
            problem = f"{field} {raw!r} is not a number"
    elif kind == "infinite":
        problem = f"{field} is {bar[field]}"
    elif kind == "nonpositive":
        problem = f"{field} {bar[field]} is not positive"
    elif kind == "high":
        problem = f"high {bar['high']} is below max(open, close) {max(bar['open'], bar['close'])}"
    elif kind == "low":
        problem = f"low {bar['low']} is above min(open, close) {min(bar['open'], bar['close'])}"
    else:
        problem = f"volume {bar['volume']} is negative"
    if count > 1:
        problem += f" ({count - 1:,} more rows have problems)"
    raise BarImportError(path, line, problem)


def _raw_value(cur: duckdb.DuckDBPyConnection, cmap: ColumnMap, field: str, index: int) -> str:
    """The text the file has for ``field`` on a data row (``index`` from 0), for messages."""
    column = None if field == "timestamp" else getattr(cmap, field)
    expr = _timestamp_text(cmap) if column is None else f"{sql_name(column)}::VARCHAR"
    row = first_row(cur.execute(f"SELECT {expr} FROM import_raw WHERE rowid = ?", [index]))
    return "" if row is None or row[0] is None else str(row[0])


# -- helpers ------------------------------------------------------------------------------------
def _set_time_zone(cur: duckdb.DuckDBPyConnection, tz: str) -> None:
    """Naive timestamps are cast in the session time zone, so set it to ``tz`` (checked first:
    SET takes no bound parameters)."""
    row = first_row(
        cur.execute(
            "SELECT name FROM pg_timezone_names() WHERE lower(name) = lower(?) LIMIT 1", [tz]
        )
    )
    if row is None:
        raise StoreError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or UTC")
    cur.execute(f"SET TimeZone = {_literal(str(row[0]))}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def no_progress(fraction: float, message: str) -> None:
    pass
