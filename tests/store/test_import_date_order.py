"""Dates like 02/01/2024 are day first or month first by the CSV sniffer's guess; when no day in
the file is above 12 the guess is unproven, and the import says how it read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk.store import Database, import_bars

HEADER = "date,open,high,low,close,volume\n"
AMBIGUOUS = "dates read day first (02/01/2024 as 2024-01-02): no day in the file is above 12"


@pytest.mark.parametrize(
    ("dates", "note"),
    [
        (["02/01/2024", "03/01/2024", "04/01/2024"], AMBIGUOUS),
        (["12/30/2024", "12/31/2024"], None),  # a day above 12: month first, proven
        (["30/12/2024", "31/12/2024"], None),
        (["2024-01-02", "2024-01-03"], None),
    ],
)
def test_an_unproven_day_month_order_is_noted(
    db: Database, tmp_path: Path, dates: list[str], note: str | None
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(HEADER + "".join(f"{d},1,2,0.5,1.5,10\n" for d in dates))
    result = import_bars(db, path, symbol="X", period="day")
    said = [n for n in result.notes if n.startswith("dates read")]
    assert said == ([] if note is None else [f"{note} to tell day from month"])
