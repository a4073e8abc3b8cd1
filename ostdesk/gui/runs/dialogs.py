"""Small dialogs of the run browser: edit a run's name, tags and notes; choose an export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ostdesk.store.export import EXPORTS


def split_tags(text: str) -> list[str]:
    """``"a, b ,,c"`` → ``["a", "b", "c"]`` (duplicates dropped, order kept)."""
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


class RunEditDialog(QDialog):
    """Name, tags (comma-separated) and notes of one run."""

    def __init__(
        self, run_id: int, name: str, tags: str, notes: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit run {run_id}")
        self.name_edit = QLineEdit(name)
        self.tags_edit = QLineEdit(tags)
        self.tags_edit.setPlaceholderText("comma-separated, e.g. baseline, tuned")
        self.notes_edit = QPlainTextEdit(notes)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("Tags", self.tags_edit)
        form.addRow("Notes", self.notes_edit)
        form.addRow(buttons)

    def values(self) -> tuple[str, list[str], str]:
        return (
            self.name_edit.text().strip(),
            split_tags(self.tags_edit.text()),
            (self.notes_edit.toPlainText()),
        )


class ExportDialog(QDialog):
    """Which tables of the selected runs to write, in which format, into which folder."""

    def __init__(self, folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export runs")
        self.boxes = {what: QCheckBox(what) for what in EXPORTS}
        for what in ("fills", "trades", "equity"):
            self.boxes[what].setChecked(True)
        row = QHBoxLayout()
        for box in self.boxes.values():
            row.addWidget(box)
        self.format_box = QComboBox()
        self.format_box.addItem("CSV", "csv")
        self.format_box.addItem("Parquet", "parquet")
        self.folder_edit = QLineEdit(folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Tables", row)
        form.addRow("Format", self.format_box)
        form.addRow("Folder", folder_row)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def choice(self) -> tuple[list[str], str, Path]:
        whats = [what for what, box in self.boxes.items() if box.isChecked()]
        return whats, str(self.format_box.currentData()), Path(self.folder_edit.text())
