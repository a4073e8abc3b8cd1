"""Reading an import file as it is into the temp table ``import_raw`` of a DuckDB session.

CSV columns are all read as text (parsing is the importer's, so a bad value is reported rather
than fatal) with the dialect fixed after sniffing, so a ragged row fails with its line number
instead of confusing DuckDB's sniffer. The table's rowid is the data-row index.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import re
from pathlib import Path

import duckdb

from ostdesk.store.database import duckdb_message
from ostdesk.store.errors import BarImportError
from ostdesk.store.rows import first_row

_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_LINE = re.compile(r"Line: (\d+)")
_CSV_RAGGED = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    names: list[str]
    has_header: bool
    first_line: int  # line (or row) number of the first data row
    decimal_comma: bool  # a non-comma delimiter: "1,5" may mean 1.5
    formats: tuple[str, ...]  # timestamp formats the sniffer saw, tried before the fallbacks


def read_raw(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Load the file as it is into temp table ``import_raw``; its rowid is the data-row index.

    CSV columns are all read as text (parsing is ours, so a bad value is reported, not fatal)
    with the dialect fixed, so a ragged row fails with its line number instead of confusing
    DuckDB's sniffer.
    """
    name = str(path)
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            cur.execute("CREATE TEMP TABLE import_raw AS SELECT * FROM read_parquet(?)", [name])
            names = [d[0] for d in cur.execute("SELECT * FROM import_raw LIMIT 0").description]
            return Source(names, True, 1, False, ())
        dialect = _sniff(cur, path)
        cur.execute(
            "CREATE TEMP TABLE import_raw AS SELECT * FROM read_csv(?, auto_detect = false, "
            "header = ?, delim = ?, skip = ?, columns = ?)",
            [
                name,
                dialect.has_header,
                dialect.delimiter,
                dialect.skip,
                dict.fromkeys(dialect.names, "VARCHAR"),
            ],
        )
    except duckdb.Error as exc:
        text = duckdb_message(exc)
        match = _CSV_LINE.search(text)
        row = int(match.group(1)) if match else None
        ragged = _CSV_RAGGED.search(text)
        if ragged:
            problem = f"expected {ragged.group(1)} columns, found {ragged.group(2)}"
        else:
            problem = f"cannot read the file: {text.splitlines()[0] if text else exc}"
        raise BarImportError(path, row, problem) from None
    return Source(
        dialect.names,
        dialect.has_header,
        1 + dialect.skip + int(dialect.has_header),
        dialect.delimiter != ",",
        dialect.formats,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Dialect:
    delimiter: str
    has_header: bool
    skip: int
    names: list[str]
    formats: tuple[str, ...]


def _sniff(cur: duckdb.DuckDBPyConnection, path: Path) -> _Dialect:
    """DuckDB's sniffer, or (when it gives up, as on a ragged file) a guess from line 1."""
    try:
        result = cur.execute("SELECT * FROM sniff_csv(?)", [str(path)])
        found = dict(zip([d[0] for d in result.description], first_row(result) or (), strict=False))
        names = [str(c["name"]) for c in found["Columns"]]
        formats = tuple(str(f) for f in (found["TimestampFormat"], found["DateFormat"]) if f)
        dialect = _Dialect(
            str(found["Delimiter"]),
            bool(found["HasHeader"]),
            int(found["SkipRows"]),
            names,
            formats,
        )
    except duckdb.Error:
        dialect = None
    first = _first_line(path)
    guess = _guess_delimiter(first)
    if dialect is None or (len(dialect.names) == 1 and guess is not None):
        if guess is None:
            raise BarImportError(path, None, "cannot tell how the columns are separated")
        fields = next(csv.reader([first], delimiter=guess))
        header = not all(any(ch.isdigit() for ch in f) for f in fields)
        names = _unique([f.strip() for f in fields] if header else ["" for _ in fields])
        dialect = _Dialect(guess, header, 0, names, ())
    return dialect


def _first_line(path: Path) -> str:
    compressed = path.suffix.lower() == ".gz"
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f:
            return f.readline(1 << 16).lstrip("\ufeff").rstrip("\r\n")
    except (gzip.BadGzipFile, EOFError) as exc:
        raise BarImportError(path, None, f"not a readable gzip file ({exc})") from None
    except OSError as exc:
        kind = "gzip file" if compressed else "file"
        raise BarImportError(path, None, f"cannot read the {kind}: {exc.strerror or exc}") from None


def _guess_delimiter(line: str) -> str | None:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _unique(names: list[str]) -> list[str]:
    """Empty names become ``column<i>`` and repeats get a suffix, as DuckDB names them."""
    result: list[str] = []
    for i, name in enumerate(names):
        candidate = name or f"column{i}"
        n = 1
        while candidate in result:
            candidate = f"{name or 'column'}_{n}"
            n += 1
        result.append(candidate)
    return result
