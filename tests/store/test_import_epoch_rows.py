"""A bad row among epoch timestamps is the row named: the column is still read as epoch
numbers, so the refusal points at the text, not at the first (good) row; and it says the unit
the timestamp was read in, the one given or told by size."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk.store import Database, import_bars
from ostdesk.store.errors import BarImportError

HEADER = "ts,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("stamps", "row", "text"),
    [
        (["1704153600", "1704240000", "soon"], 4, "'soon' as seconds since 1970-01-01 UTC"),
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


def test_a_date_read_with_an_epoch_unit_says_the_unit(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + "2024-01-02,1,2,0.5,1.5,10\n")
    with pytest.raises(BarImportError, match="'2024-01-02' as milliseconds since 1970-01-01 UTC"):
        import_bars(db, path, symbol="X", period="day", epoch_unit="ms")
