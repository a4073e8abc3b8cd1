"""A file written with decimal commas (German, French exports: ``1.234,50``) reads a dot as the
thousands separator in every number: a volume ``12.345`` is 12,345, not 12.345. A file with a
delimiter other than the comma and no decimal comma keeps the dot as the decimal point."""

from __future__ import annotations

from pathlib import Path

import pytest

from ostdesk.store import Database, import_bars
from ostdesk.store.errors import BarImportError

HEADER = "Date;Open;High;Low;Close;Volume\n"


def _stored(db: Database, tmp_path: Path, rows: list[str]) -> list[tuple[float, ...]]:
    path = tmp_path / "bars.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    import_bars(db, path, symbol="X", period="day")
    query = (
        "SELECT open, high, low, close, volume FROM bars WHERE symbol = 'X' ORDER BY ts_event_ns"
    )
    return db.connection.execute(query).fetchall()


def test_dots_separate_thousands_in_a_file_with_decimal_commas(
    db: Database, tmp_path: Path
) -> None:
    rows = ["2024-01-02;1.234,5;1.240;1.230,10;1.238;12.345", "2024-01-03;10,8;11,2;10,6;11;900"]
    assert _stored(db, tmp_path, rows) == [
        (1234.5, 1240.0, 1230.1, 1238.0, 12345.0),
        (10.8, 11.2, 10.6, 11.0, 900.0),
    ]


@pytest.mark.parametrize(
    ("row", "stored"),
    [
        ("2024-01-02;10.5;11.0;10.1;10.8;12.345", (10.5, 11.0, 10.1, 10.8, 12.345)),
        ("2024-01-02;110.125;111.0;110.1;110.8;1,234", (110.125, 111.0, 110.1, 110.8, 1.234)),
    ],
)
def test_dots_are_decimal_points_unless_a_comma_proves_decimal_commas(
    db: Database, tmp_path: Path, row: str, stored: tuple[float, ...]
) -> None:
    """``1,234`` may be a thousands-separated integer or a decimal: it proves nothing, and a
    price ``110.125`` (three decimals) must not become 110,125."""
    assert _stored(db, tmp_path, [row]) == [stored]


def test_a_dot_out_of_place_in_a_decimal_comma_file_is_refused(
    db: Database, tmp_path: Path
) -> None:
    with pytest.raises(BarImportError, match=r"row 3: volume '12\.34' is not a number"):
        _stored(
            db, tmp_path, ["2024-01-02;10,5;11;10;10,8;100", "2024-01-03;10,5;11;10;10,8;12.34"]
        )
