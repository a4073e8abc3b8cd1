"""File → Import bars…: pick a file, check how its columns are read, import with progress.

The preview reads the first rows with an in-memory DuckDB (never the store) and shows which
column feeds which field, with the same matching the importer uses, so a wrong guess is seen
before anything is written. The import itself is ``ostdesk.store.import_bars`` on a worker
thread (all-or-nothing); its error names the file and row. When the only objection is that
the bars' spacing does not fit the chosen period, "Import anyway" imports them as chosen.
"""

from __future__ import annotations

import threading
import zoneinfo
from pathlib import Path
from typing import Any

import duckdb
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.events import BarPeriod
from ostdesk.gui.config.form import ERROR_COLOR
from ostdesk.store import offline
from ostdesk.store.columns import ColumnError, ColumnMap, map_columns
from ostdesk.store.database import Database, duckdb_message
from ostdesk.store.errors import StoreError
from ostdesk.store.import_checks import (
    UNIT_NAMES,
    OverlapError,
    PeriodMismatchError,
    spacing_text,
)
from ostdesk.store.importer import ImportResult, import_bars
from ostdesk.store.sources import utf8_text

PREVIEW_ROWS = 8
MAPPED_FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
COMMON_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Hong_Kong",
    "Australia/Sydney",
)
_AUTO = "(auto)"
EPOCH_UNITS = (("by their size", None), *((name, unit) for unit, name in UNIT_NAMES.items()))
_PREVIEW_BYTES = 1 << 20  # of a file that is not UTF-8, what is decoded for the preview
_FILE_FILTER = "Bar files (*.csv *.txt *.csv.gz *.parquet *.pq);;All files (*)"


def read_preview(path: Path) -> tuple[list[str], list[list[str]], bool]:
    """Column names, the first rows as text, and whether the file has a header."""
    con = offline.connect()  # never fetches an extension, whatever the path
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            rel = con.execute(f"SELECT * FROM read_parquet(?) LIMIT {PREVIEW_ROWS}", [str(path)])
            has_header = True
        else:
            with utf8_text(path, _PREVIEW_BYTES) as (readable, _):
                rel = con.execute(
                    f"SELECT * FROM read_csv(?, all_varchar = true) LIMIT {PREVIEW_ROWS}",
                    [str(readable)],
                )
            has_header = None
        names = [d[0] for d in rel.description or ()]
        rows = [["" if v is None else str(v) for v in row] for row in rel.fetchall()]
    finally:
        con.close()
    if has_header is None:  # DuckDB names the columns of a headerless file column0, column1...
        has_header = not all(n.lower().startswith("column") and n[6:].isdigit() for n in names)
    return names, rows, has_header


class ImportBarsDialog(QDialog):
    """Imports one file's bars into ``db``; ``imported(ImportResult)`` after a success."""

    imported = Signal(object)
    failed = Signal(str)
    _progressed = Signal(float, str)
    _done = Signal(object)  # ImportResult or the exception

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import bars")
        self._db = db
        self._thread: threading.Thread | None = None
        self._names: list[str] = []
        self._has_header = True
        self._mapping_ok = True
        self._suggested = ""  # the symbol this dialog filled in from a file name

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("CSV or Parquet file")
        self.path_edit.editingFinished.connect(self._on_path_typed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.symbol_edit = QLineEdit()
        self.symbol_edit.setPlaceholderText("e.g. AAPL")
        self.symbol_edit.textChanged.connect(self._update_buttons)
        self.period_box = QComboBox()
        for period in BarPeriod:
            self.period_box.addItem(period.label, period)
        self.period_box.setCurrentIndex(self.period_box.findData(BarPeriod.DAY))
        self.tz_box = QComboBox()
        self.tz_box.setEditable(True)
        self.tz_box.addItems(COMMON_ZONES)
        self.tz_box.setToolTip("Time zone of timestamps without an offset (IANA name)")
        zones = sorted(zoneinfo.available_timezones())
        if zones:
            completer = QCompleter(zones, self.tz_box)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.tz_box.setCompleter(completer)
        self.epoch_box = QComboBox()
        for label, unit in EPOCH_UNITS:
            self.epoch_box.addItem(label, unit)
        self.epoch_box.setToolTip(
            "Unit of timestamps written as numbers since 1970 (Unix time); by their size, "
            "unless the file's times are all before 1973"
        )
        self.replace_check = QCheckBox("Replace stored bars in the imported time range")
        self.column_boxes: dict[str, QComboBox] = {}
        columns = QGridLayout()
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setHorizontalSpacing(6)
        for i, name in enumerate(MAPPED_FIELDS):
            box = QComboBox()
            box.addItem(_AUTO)
            box.setToolTip(f"The file's column holding the {name}")
            box.currentIndexChanged.connect(self._show_mapping)
            self.column_boxes[name] = box
            columns.addWidget(QLabel(name.capitalize()), i // 3, 2 * (i % 3))
            columns.addWidget(box, i // 3, 2 * (i % 3) + 1)
            columns.setColumnStretch(2 * (i % 3) + 1, 1)
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().setVisible(False)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preview.setMinimumHeight(150)
        self.mapping_label = QLabel()
        self.mapping_label.setWordWrap(True)
        self.mapping_label.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)  # a summary with notes is wider than any screen
        self.status_label.setEnabled(False)
        self.status_label.hide()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.import_button.clicked.connect(lambda: self.start_import())
        self.anyway_button = self.buttons.addButton(
            "Import anyway", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.anyway_button.setToolTip("Store the bars with the chosen period all the same")
        self.anyway_button.clicked.connect(lambda: self.start_import(force=True))
        self.anyway_button.hide()
        self.buttons.rejected.connect(self.reject)
        for button in (browse, *self.buttons.buttons()):
            # Return in the path field applies the typed path: it opened the file browser
            # (the dialog's first button was its default), and must not import or close
            button.setAutoDefault(False)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("Symbol", self.symbol_edit)
        form.addRow("Bar period", self.period_box)
        form.addRow("Time zone", self.tz_box)
        form.addRow("Numeric times", self.epoch_box)
        form.addRow("", self.replace_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Columns</b> (first rows of the file)"))
        layout.addLayout(columns)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.mapping_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._progressed.connect(self._on_progress)
        self._done.connect(self._on_done)
        self.resize(640, 560)
        self._update_buttons()

    # -- file and preview ------------------------------------------------------------------------
    def set_path(self, path: str | Path) -> None:
        """Choose the file; the symbol defaults to its name (``GOOG.csv`` -> ``GOOG``)."""
        self.path_edit.setText(str(path))
        self._on_path_typed()

    def _on_path_typed(self) -> None:
        """A path typed or browsed: the symbol follows the file's name unless the user typed
        one of their own."""
        text = self.path_edit.text().strip()
        symbol = self.symbol_edit.text().strip()
        if text and (not symbol or symbol == self._suggested):
            self._suggested = Path(text).name.split(".")[0].upper()
            self.symbol_edit.setText(self._suggested)
        self.update_preview()

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import bars", "", _FILE_FILTER)
        if name:
            self.set_path(name)

    def update_preview(self) -> None:
        text = self.path_edit.text().strip()
        self._names, rows = [], []
        self._show_error("")
        self.status_label.hide()  # what the last import said is not about this file
        self.progress.setValue(0)
        if text:
            try:
                self._names, rows, self._has_header = read_preview(Path(text))
            except duckdb.Error as exc:
                self._show_error(f"cannot preview {Path(text).name}: {_first_line(exc)}")
            except StoreError as exc:  # a file that cannot be read (a .gz that is not gzip)
                self._show_error(f"cannot preview {exc}")
        for box in self.column_boxes.values():
            box.blockSignals(True)
            box.clear()
            box.addItem(_AUTO)
            box.addItems(self._names)
            box.blockSignals(False)
        self.preview.clear()
        self.preview.setColumnCount(len(self._names))
        self.preview.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.preview.setItem(r, c, QTableWidgetItem(value))
        self._show_mapping()
        self.preview.resizeColumnsToContents()  # a timestamp read whole, headers too

    def explicit_columns(self) -> dict[str, str]:
        """The user's choices, as 1-based positions (robust for headerless files)."""
        return {
            name: str(box.currentIndex())
            for name, box in self.column_boxes.items()
            if box.currentIndex() > 0
        }

    def _show_mapping(self, *_: object) -> None:
        mapping: ColumnMap | None = None
        if self._names:
            try:
                mapping = map_columns(
                    self._names, has_header=self._has_header, explicit=self.explicit_columns()
                )
            except ColumnError as exc:
                self.mapping_label.setText(str(exc).replace("--columns", "the choices above"))
                self.mapping_label.setStyleSheet(f"color: {ERROR_COLOR};")
                self.mapping_label.setEnabled(True)
        fields: dict[str, str] = {}
        if mapping is not None:
            for name in ("timestamp", "date", "time", "open", "high", "low", "close", "volume"):
                source = getattr(mapping, name)
                if source is not None:
                    fields[source] = name
            self.mapping_label.setStyleSheet("")
            self.mapping_label.setEnabled(False)
            self.mapping_label.setText(
                "Volume: none in the file (0)." if mapping.volume is None else ""
            )
        self.mapping_label.setVisible(bool(self.mapping_label.text()))
        self.preview.setHorizontalHeaderLabels(
            [f"{n}\n→ {fields[n]}" if n in fields else f"{n}\n(unused)" for n in self._names]
        )
        self._mapping_ok = mapping is not None or not self._names
        self._update_buttons()

    # -- import ----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start_import(self, force: bool = False) -> None:
        """Import on a worker thread; ``imported`` or ``failed`` follows. ``force`` imports
        bars whose spacing does not fit the chosen period."""
        if self.busy:
            return
        path = Path(self.path_edit.text().strip())
        symbol = self.symbol_edit.text().strip()
        period = self.period_box.currentData()
        tz = self.tz_box.currentText().strip() or "UTC"
        columns = self.explicit_columns() or None
        replace = self.replace_check.isChecked()
        epoch_unit = self.epoch_box.currentData()
        self._show_error("")
        self.progress.setValue(0)
        self.status_label.setText("starting…")
        self.status_label.show()

        def work() -> None:
            result: Any
            try:
                result = import_bars(
                    self._db,
                    path,
                    symbol=symbol,
                    period=period,
                    tz=tz,
                    columns=columns,
                    replace=replace,
                    progress=self._progressed.emit,
                    force=force,
                    epoch_unit=epoch_unit,
                )
            except Exception as exc:  # every failure reaches the dialog, none dies here
                result = exc
            self._done.emit(result)

        self._thread = threading.Thread(target=work, name="ostdesk-import", daemon=True)
        self._update_buttons()
        self._thread.start()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(100 * fraction))
        self.status_label.setText(message)
        self.status_label.show()

    def _on_done(self, result: object) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._update_buttons()
        if isinstance(result, ImportResult):
            self.progress.setValue(100)
            self.status_label.setText(result.summary() + ".")
            self.imported.emit(result)
            return
        self.progress.setValue(0)
        self.status_label.setText("Nothing was imported.")
        self.status_label.show()
        if isinstance(result, StoreError):
            message = str(result)
        else:
            message = f"{type(result).__name__}: {result}"
        if isinstance(result, PeriodMismatchError):
            label = result.period.label
            message = (
                f"{result.file.name}: bars are {spacing_text(result.spacing_ns)} apart (median) "
                f"but the bar period chosen is {label}; choose the right period, or store them "
                f'as {label} bars with "Import anyway".'
            )
        elif isinstance(result, OverlapError):
            message = f"{message}; tick “{self.replace_check.text()}” to overwrite them."
        self._show_error(message)
        self.anyway_button.setVisible(isinstance(result, PeriodMismatchError))
        self.failed.emit(message)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if not text:
            self.anyway_button.hide()

    def _update_buttons(self) -> None:
        ready = (
            bool(self.path_edit.text().strip())
            and bool(self.symbol_edit.text().strip())
            and self._mapping_ok
        )
        self.import_button.setEnabled(ready and not self.busy)
        self.anyway_button.setEnabled(ready and not self.busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(not self.busy)

    # -- Qt overrides ----------------------------------------------------------------------------
    def reject(self) -> None:
        if not self.busy:  # the import thread reports to this dialog: it stays until done
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
        else:
            super().closeEvent(event)


def _first_line(exc: BaseException) -> str:
    text = duckdb_message(exc)
    return text.splitlines()[0] if text else type(exc).__name__
