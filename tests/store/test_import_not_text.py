"""A file that is not UTF-8 or Windows-1252 text is refused as such, in one line: UTF-16 text
read as one column was refused at a row far down with a count of columns that made no sense,
and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk.store import Database, import_bars
from ostdesk.store.errors import BarImportError

CSV = "Date,Open,High,Low,Close,Volume\n" + "2024-01-02,1,2,0.5,1.5,10\n" * 60


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (CSV.encode("utf-16"), "the file is UTF-16 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "the file is not text"),
    ],
)
def test_a_file_that_is_not_text_is_refused_saying_so(
    db: Database, tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "bars.csv"
    path.write_bytes(content)
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="day")
    assert str(info.value) == f"bars.csv: {said}; save it as CSV in UTF-8 (or Windows-1252)"
    assert db.connection.execute("SELECT count(*) FROM bars").fetchone() == (0,)
