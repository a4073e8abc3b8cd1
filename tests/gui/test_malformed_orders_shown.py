"""A run whose strategy sent malformed orders opens in the blotters and the replay: each
attempt is a rejected order with the broker's sentence, its unreadable fields blank."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ostdesk.gui.blotter import Blotters
from ostdesk.gui.replay.recorded_events import load_recorded_events
from ostdesk.store import Database
from tests.gui.test_blotter_models import table
from tests.store.test_malformed_orders_recorded import MALFORMED, UNKNOWN_TIF, _record


def test_recorded_malformed_orders_show_as_rejected_with_blank_unreadable_fields(
    qtbot,
    db_path: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    with Database.open(db_path) as db:
        _record(db, [*MALFORMED, UNKNOWN_TIF])
        run_id = db.connection.execute("SELECT max(run_id) FROM runs").fetchone()[0]
        events = load_recorded_events(db.connection, run_id).events
    blotters = Blotters(
        100_000.0, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.IniFormat)
    )
    qtbot.addWidget(blotters)
    blotters.load_events(events)
    rows = {int(r["Order ID"]): r for r in table(blotters.orders_model)}
    assert len(rows) == len(MALFORMED) + 2  # every attempt, and the working limit order
    text_quantity = rows[1]
    assert text_quantity["Qty"] == "" and text_quantity["Status"] == "Rejected"
    unknown_tif = rows[len(MALFORMED) + 1]
    assert unknown_tif["TIF"] == "" and unknown_tif["Status"] == "Rejected"
    assert "is not one of GTC, DAY, GTD" in unknown_tif["Reason"]
    blotters.orders_model.sort(list(rows[1]).index("Qty"))  # blank cells sort too
    blotters.orders_model.sort(list(rows[1]).index("TIF"))
