"""Reading an import file as it is into the temp table ``import_raw`` of a DuckDB session.

CSV columns are all read as text (parsing is the importer's, so a bad value is reported rather
than fatal) with the dialect fixed after sniffing, so a ragged row fails with its line number
instead of confusing DuckDB's sniffer. The table's rowid is the data-row index.

Text is UTF-8, with or without a byte-order mark, or else Windows-1252 (Latin-1 as Windows
writes it, ``€`` included): DuckDB reads only UTF-8, so such a file is read through a UTF-8
copy in the temp folder, removed once read. A header naming one column twice is refused.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import gzip
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from ostdesk.store.columns import ColumnError, check_unique
from ostdesk.store.database import duckdb_message
from ostdesk.store.errors import BarImportError
from ostdesk.store.rows import first_row

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"
_CHUNK = 1 << 20

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
    encoding: str = UTF8  # how the text was decoded (UTF8 or WINDOWS_1252); Parquet: UTF8


def read_raw(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Load the file as it is into temp table ``import_raw``; its rowid is the data-row index.

    CSV columns are all read as text (parsing is ours, so a bad value is reported, not fatal)
    with the dialect fixed, so a ragged row fails with its line number instead of confusing
    DuckDB's sniffer.
    """
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            return _read_parquet(cur, path)
        with utf8_text(path) as (readable, encoding):
            dialect = _sniff(cur, path, readable)
            cur.execute(
                "CREATE TEMP TABLE import_raw AS SELECT * FROM read_csv(?, auto_detect = false, "
                "header = ?, delim = ?, skip = ?, columns = ?)",
                [
                    str(readable),
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
        encoding,
    )


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    schema = cur.execute("SELECT name FROM parquet_schema(?)", [str(path)]).fetchall()
    _check_header(path, 1, [str(name) for (name,) in schema[1:]])  # the first is the root
    cur.execute("CREATE TEMP TABLE import_raw AS SELECT * FROM read_parquet(?)", [str(path)])
    names = [d[0] for d in cur.execute("SELECT * FROM import_raw LIMIT 0").description]
    return Source(names, True, 1, False, ())


@contextlib.contextmanager
def utf8_text(path: Path, limit: int | None = None) -> Iterator[tuple[Path, str]]:
    """(a UTF-8 file with ``path``'s text, the encoding ``path`` has): ``path`` itself when
    it is UTF-8, else a Windows-1252 decoded copy, deleted on exit. With ``limit``, only about
    that many bytes are looked at and copied (whole lines), enough for a preview."""
    _refuse_nul(path)
    if _is_utf8(path, limit):
        yield path, UTF8
        return
    fd, name = tempfile.mkstemp(prefix="ostdesk-import-", suffix=".csv")
    copy = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
            copied = 0
            for chunk in _chunks(path):
                text = decoder.decode(chunk)
                copied += len(chunk)
                if limit is not None and copied >= limit:
                    out.write(text[: text.rfind("\n") + 1] or text)
                    break
                out.write(text)
        yield copy, WINDOWS_1252
    finally:
        copy.unlink(missing_ok=True)


def _refuse_nul(path: Path) -> None:
    """A NUL byte in the first megabyte: UTF-16 text or no text at all (a spreadsheet, an
    image), which read as one odd column would be refused with a misleading row and count."""
    for chunk in _chunks(path):
        if b"\x00" in chunk:
            kind = "UTF-16 text" if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") else "not text"
            raise BarImportError(
                path, None, f"the file is {kind}; save it as CSV in UTF-8 (or Windows-1252)"
            )
        return


def _is_utf8(path: Path, limit: int | None) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    read = 0
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
            read += len(chunk)
            if limit is not None and read >= limit:
                return True  # a character cut at the limit is not an error
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _chunks(path: Path) -> Iterator[bytes]:
    """``path``'s bytes, decompressed if it is a .gz file; a read error names the file."""
    compressed = path.suffix.lower() == ".gz"
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as source:
            while chunk := source.read(_CHUNK):
                yield chunk
    except (gzip.BadGzipFile, EOFError) as exc:
        raise BarImportError(path, None, f"not a readable gzip file ({exc})") from None
    except OSError as exc:
        kind = "gzip file" if compressed else "file"
        raise BarImportError(path, None, f"cannot read the {kind}: {exc.strerror or exc}") from None


def _check_header(path: Path, line: int, names: list[str]) -> None:
    try:
        check_unique(names)
    except ColumnError as exc:
        raise BarImportError(path, line, str(exc)) from None


@dataclasses.dataclass(frozen=True, slots=True)
class _Dialect:
    delimiter: str
    has_header: bool
    skip: int
    names: list[str]
    formats: tuple[str, ...]


def _sniff(cur: duckdb.DuckDBPyConnection, path: Path, readable: Path) -> _Dialect:
    """DuckDB's sniffer, or (when it gives up, as on a ragged file) a guess from line 1.
    ``readable`` is ``path``'s text in UTF-8 (``path`` names the file in messages)."""
    try:
        result = cur.execute("SELECT * FROM sniff_csv(?)", [str(readable)])
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
    lines = _first_lines(path, readable, 1 + (dialect.skip if dialect else 0))
    guess = _guess_delimiter(lines[0])
    if dialect is None or (len(dialect.names) == 1 and guess is not None):
        if guess is None:
            raise BarImportError(path, None, "cannot tell how the columns are separated")
        fields = next(csv.reader([lines[0]], delimiter=guess))
        header = not all(any(ch.isdigit() for ch in f) for f in fields)
        names = _unique([f.strip() for f in fields] if header else ["" for _ in fields])
        dialect = _Dialect(guess, header, 0, names, ())
    if dialect.has_header:
        fields = next(csv.reader([lines[dialect.skip]], delimiter=dialect.delimiter), [])
        _check_header(path, dialect.skip + 1, fields)
    return dialect


def _first_lines(path: Path, readable: Path, count: int) -> list[str]:
    """The first ``count`` lines of ``readable`` (UTF-8, maybe gzipped), without a byte-order
    mark or line ends; "" for lines the file does not have."""
    compressed = readable.suffix.lower() == ".gz"
    opener = gzip.open if compressed else open
    lines = []
    try:
        with opener(readable, "rt", encoding="utf-8", errors="replace", newline="") as f:
            for _ in range(count):
                lines.append(f.readline(1 << 16).rstrip("\r\n"))
    except (gzip.BadGzipFile, EOFError) as exc:
        raise BarImportError(path, None, f"not a readable gzip file ({exc})") from None
    except OSError as exc:
        kind = "gzip file" if compressed else "file"
        raise BarImportError(path, None, f"cannot read the {kind}: {exc.strerror or exc}") from None
    lines[0] = lines[0].lstrip("\ufeff")
    return lines


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
