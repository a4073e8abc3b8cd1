"""Files the command-line tests import: real market data and a small made-up series."""

from __future__ import annotations

from pathlib import Path

from ostdesk.cli import main


def goog_csv() -> Path:
    """backtesting.py's GOOG daily bars, 2004-08-19 .. 2013-03-01 (2,148 bars)."""
    import backtesting

    return Path(backtesting.__file__).parent / "test" / "GOOG.csv"


def import_goog(db_path: Path) -> Path:
    """``db_path`` holding GOOG's daily bars, imported through the command line."""
    args = ["import", str(goog_csv()), "--symbol", "GOOG", "--period", "day", "--db", str(db_path)]
    assert main(args) == 0
    return db_path


def daily_csv(path: Path, days: int = 28) -> Path:
    """``days`` daily bars that rise and fall, so an SMA cross trades on them."""
    rows = [
        f"2020-{1 + day // 28:02d}-{1 + day % 28:02d},{10 + day % 7},{12 + day % 7},{9 + day % 7},"
        f"{11 + day % 7},100"
        for day in range(days)
    ]
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path
