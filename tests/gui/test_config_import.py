"""File → Import bars…: preview and column mapping, refusal with the row, import with progress."""

from __future__ import annotations

from pathlib import Path

import backtesting
from PySide6.QtCore import Qt

from ostdesk.engine.events import BarPeriod
from ostdesk.gui.config import ConfigDock, ImportBarsDialog
from ostdesk.store import Database, ImportResult
from ostdesk.store.market_data import coverage

GOOG_CSV = Path(backtesting.__file__).parent / "test" / "GOOG.csv"
TIMEOUT_MS = 30_000

MALFORMED = """Date,Open,High,Low,Close,Volume
2024-01-02,10,11,9,10.5,100
2024-01-03,10.5,11.5,10,11,120
2024-01-04,11,oops,10.5,11.2,90
2024-01-05,11.2,12,11,11.8,80
"""


def make_dialog(qtbot, db: Database) -> ImportBarsDialog:  # type: ignore[no-untyped-def]
    dialog = ImportBarsDialog(db)
    qtbot.addWidget(dialog)
    return dialog


def test_the_preview_shows_the_first_rows_and_which_column_is_which(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(GOOG_CSV)
    assert dialog.symbol_edit.text() == "GOOG"
    assert dialog.preview.rowCount() == 8
    headers = [
        dialog.preview.horizontalHeaderItem(c).text() for c in range(dialog.preview.columnCount())
    ]
    assert headers[0].endswith("→ timestamp")  # GOOG.csv's date column has no name
    assert headers[4] == "Close\n→ close"
    assert dialog.preview.item(0, 0).text() == "2004-08-19"
    assert dialog.import_button.isEnabled()


def test_a_column_mapping_that_misses_a_field_blocks_the_import(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.csv"
    path.write_text("when,first,top,bottom,last\n2024-01-02,1,2,0.5,1.5\n")
    dialog = make_dialog(qtbot, db)
    dialog.set_path(path)
    assert "no column for timestamp (or date), open, high, low" in dialog.mapping_label.text()
    assert not dialog.import_button.isEnabled()
    for field, column in (("timestamp", 1), ("open", 2), ("high", 3), ("low", 4)):
        dialog.column_boxes[field].setCurrentIndex(column)
    assert dialog.import_button.isEnabled()
    assert dialog.explicit_columns() == {"timestamp": "1", "open": "2", "high": "3", "low": "4"}
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        dialog.start_import()
    assert done.args[0].rows == 1


def test_a_malformed_csv_is_refused_with_its_row_number_and_nothing_stored(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text(MALFORMED)
    dialog = make_dialog(qtbot, db)
    dialog.set_path(path)
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS) as failed:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert "bad.csv, row 4" in failed.args[0]
    assert dialog.error_label.isVisibleTo(dialog)
    assert "row 4" in dialog.error_label.text() and "oops" in dialog.error_label.text()
    assert dialog.progress.value() == 0
    assert db.connection.execute("SELECT count(*) FROM bars").fetchone() == (0,)
    assert dialog.import_button.isEnabled()  # the user can fix the file and try again
    assert not dialog.anyway_button.isVisibleTo(dialog)  # only a period mismatch is forced


def test_a_good_file_imports_with_progress_and_refreshes_the_dock(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = ConfigDock(strategy_dirs=[tmp_path / "strategies"])
    qtbot.addWidget(dock)
    with qtbot.waitSignal(dock.data.summaryLoaded):
        dock.set_database(db)
    assert not dock.run_button.isEnabled()  # nothing stored yet
    dialog = dock.open_import_dialog()
    assert dialog is not None
    dialog.set_path(GOOG_CSV)
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    with (
        qtbot.waitSignal(dock.data.summaryLoaded, timeout=TIMEOUT_MS),
        qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done,
    ):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        assert not dialog.import_button.isEnabled()  # one import at a time
    result = done.args[0]
    assert isinstance(result, ImportResult)
    assert (result.symbol, result.period, result.rows) == ("GOOG", BarPeriod.DAY, 2148)
    assert seen[-1] == 100 and any(0 < v < 100 for v in seen)
    assert "Imported 2,148 day bars of GOOG" in dialog.status_label.text()
    assert coverage(db, ["GOOG"], "day")["GOOG"][2] == 2148
    assert dock.data.symbols() == ["GOOG"]  # the first data: chosen for the user
    assert dock.data.period() is BarPeriod.DAY
    assert dock.run_button.isEnabled()


def test_an_unknown_time_zone_is_refused_by_name(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(GOOG_CSV)
    dialog.tz_box.setCurrentText("Mars/Olympus")
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS) as failed:
        dialog.start_import()
    assert "unknown time zone 'Mars/Olympus'" in failed.args[0]


def minute_bars(tmp_path: Path) -> Path:
    path = tmp_path / "minutes.csv"
    rows = [f"2024-01-02 10:{m:02d},10,11,9,10.5,{100 + m}" for m in range(20)]
    path.write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    return path


def test_a_period_that_does_not_fit_is_refused_with_an_offer_to_import_anyway(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(minute_bars(tmp_path))
    assert dialog.period_box.currentData() is BarPeriod.DAY  # the default, wrong here
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS) as failed:
        dialog.start_import()
    assert failed.args[0] == (
        "minutes.csv: bars are 1 minute apart (median) but the bar period chosen is day; "
        'choose the right period, or store them as day bars with "Import anyway".'
    )
    assert dialog.anyway_button.isVisibleTo(dialog)
    assert db.connection.execute("SELECT count(*) FROM bars").fetchone() == (0,)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(dialog.anyway_button, Qt.MouseButton.LeftButton)
    assert (done.args[0].period, done.args[0].rows) == (BarPeriod.DAY, 20)
    assert "stored as day bars as asked" in dialog.status_label.text()
    assert not dialog.anyway_button.isVisibleTo(dialog)


def test_choosing_the_right_period_after_a_refusal_imports_without_forcing(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(minute_bars(tmp_path))
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS):
        dialog.start_import()
    dialog.period_box.setCurrentIndex(dialog.period_box.findData(BarPeriod.MINUTE))
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert done.args[0].notes == ()
    assert not dialog.anyway_button.isVisibleTo(dialog)


def test_a_windows_1252_file_previews_its_header_and_finds_the_volume(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "boerse.csv"
    path.write_bytes(
        "Date;Open;High;Low;Close;Volumen (€)\n"
        "02.01.2024;10;11;9;10,5;1200\n03.01.2024;10,5;11;10;10,8;900\n".encode("cp1252")
    )
    dialog = make_dialog(qtbot, db)
    dialog.set_path(path)
    assert dialog.error_label.text() == ""
    header = dialog.preview.horizontalHeaderItem(5).text()
    assert header == "Volumen (€)\n→ volume"
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        dialog.start_import()
    assert "boerse.csv read as Windows-1252 text" in done.args[0].notes
    assert "Windows-1252" in dialog.status_label.text()


def test_the_epoch_unit_can_be_chosen_for_numeric_times(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "early.csv"
    rows = [f"{86_400_000 * day},1,2,0.5,1.5,10" for day in range(1, 4)]  # ms: 1970-01-02..
    path.write_text("epoch,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    dialog = make_dialog(qtbot, db)
    dialog.set_path(path)
    dialog.epoch_box.setCurrentIndex(dialog.epoch_box.findData("ms"))
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        dialog.start_import()
    assert done.args[0].first_ts_ns == 86_400 * 10**9


def test_a_file_that_cannot_be_read_is_said_in_the_preview(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bars.csv.gz"
    path.write_bytes("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n".encode("cp1252"))
    dialog = make_dialog(qtbot, db)
    dialog.set_path(path)
    assert dialog.error_label.text().startswith("cannot preview bars.csv.gz: not a readable gzip")


def test_a_long_import_summary_wraps_instead_of_widening_the_dialog(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.show()
    dialog.set_path(minute_bars(tmp_path))
    widest = dialog.minimumSizeHint().width()
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        dialog.start_import(force=True)  # the summary: bars, dates, file and a note
    assert len(dialog.status_label.text()) > 150
    assert dialog.status_label.wordWrap()
    assert dialog.minimumSizeHint().width() <= widest  # the screen still holds it


def test_choosing_another_file_clears_what_the_last_import_said(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(minute_bars(tmp_path))
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS):
        dialog.start_import()
    assert dialog.status_label.text() == "Nothing was imported."
    dialog.set_path(GOOG_CSV)
    assert not dialog.status_label.isVisibleTo(dialog)
    assert dialog.progress.value() == 0
    assert not dialog.error_label.isVisibleTo(dialog)


def test_the_preview_columns_are_wide_enough_for_a_whole_timestamp(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(minute_bars(tmp_path))
    text = dialog.preview.item(0, 0).text()
    assert text.startswith("2024-01-02 10:00")
    needed = dialog.preview.fontMetrics().horizontalAdvance(text)
    assert dialog.preview.columnWidth(0) > needed  # not cut to "2024-01-02 …"


def test_a_typed_path_fills_the_symbol_unless_the_user_chose_one(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.show()
    dialog.path_edit.setFocus()
    qtbot.keyClicks(dialog.path_edit, str(minute_bars(tmp_path)))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)  # opened the file browser
    assert dialog.isVisible() and not dialog.busy  # nor closes nor imports
    assert dialog.symbol_edit.text() == "MINUTES"
    assert dialog.preview.rowCount() > 0
    dialog.path_edit.setText(str(GOOG_CSV))  # another file: the suggestion follows it
    dialog.path_edit.editingFinished.emit()
    assert dialog.symbol_edit.text() == "GOOG"
    dialog.symbol_edit.setText("ALPHABET")  # the user's own choice stays
    dialog.set_path(minute_bars(tmp_path))
    assert dialog.symbol_edit.text() == "ALPHABET"


def test_a_duplicate_import_points_at_the_replace_checkbox(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog(qtbot, db)
    dialog.set_path(minute_bars(tmp_path))
    dialog.period_box.setCurrentIndex(dialog.period_box.findData(BarPeriod.MINUTE))
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        dialog.start_import()
    with qtbot.waitSignal(dialog.failed, timeout=TIMEOUT_MS) as failed:
        dialog.start_import()
    message = failed.args[0]
    assert "20 minute bars of MINUTES are already stored" in message
    assert message.endswith(f"tick “{dialog.replace_check.text()}” to overwrite them.")
    assert "--replace" not in message and "replace=True" not in message
    dialog.replace_check.setChecked(True)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS) as done:
        dialog.start_import()
    assert done.args[0].replaced == 20
