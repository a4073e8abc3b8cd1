"""A bad row among epoch timestamps is the row named: the column is still read as epoch
numbers, so the refusal points at the text, not at the first (good) row."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk.store import Database, import_bars
from ostdesk.store.errors import BarImportError

HEADER = "ts,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("stamps", "row", "text"),
    [
        (["1704153600", "1704240000", "soon", "1704412800"], 4, "'soon'"),
        (["20240102", "20240103", "n/a"], 4, "'n/a'"),  # YYYYMMDD dates: read as dates still
    ],
)
def test_the_row_that_is_not_a_timestamp_is_named(
    db: Database, tmp_path: Path, stamps: list[str], row: int, text: str
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(HEADER + "".join(f"{t},1,2,0.5,1.5,10\n" for t in stamps))
    with pytest.raises(BarImportError) as info:
        import_bars(db, path, symbol="X", period="day")
    assert info.value.row == row
    assert f"cannot read the timestamp {text}" in str(info.value)
