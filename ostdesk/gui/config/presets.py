"""The preset bar: choose a saved configuration to load it; save, rename and delete presets.

The dialogs only ask for names; the work is in :meth:`PresetBar.save_as`, :meth:`rename` and
:meth:`delete`, which the tests call directly. Saving asks the owner for the configuration
through ``saveRequested(name)`` (a stored callback would tie the bar and its dock in a cycle
that keeps both alive). Presets are stored in the database
(``ostdesk.store.presets``), so they travel with the data they refer to.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from ostdesk.store import presets as store
from ostdesk.store.database import Database
from ostdesk.store.errors import StoreError

_PLACEHOLDER = "Presets…"


class PresetBar(QWidget):
    """``loadRequested(SavedConfig)`` when the user picks a preset, ``saveRequested(name)``
    when they save one; ``current`` is the name of the preset last loaded or saved."""

    loadRequested = Signal(object)
    saveRequested = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db: Database | None = None
        self.current = ""
        self.combo = QComboBox()
        self.combo.setToolTip("Load a saved configuration")
        self.combo.activated.connect(self._on_activated)
        self.menu_button = QToolButton()
        self.menu_button.setText("Save")
        self.menu_button.setToolTip("Save the configuration as a preset")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.menu_button)
        self.save_action = QAction("Save as new preset…", self)
        self.save_action.triggered.connect(self._ask_save)
        self.overwrite_action = QAction("Save", self)
        self.overwrite_action.triggered.connect(self._overwrite)
        self.rename_action = QAction("Rename…", self)
        self.rename_action.triggered.connect(self._ask_rename)
        self.delete_action = QAction("Delete", self)
        self.delete_action.triggered.connect(self._ask_delete)
        for action in (self.overwrite_action, self.save_action, self.rename_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        self.menu_button.setMenu(menu)
        self.menu_button.clicked.connect(self._on_save_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.menu_button)
        self._fill()

    def set_database(self, db: Database | None) -> None:
        self._db = db
        self.current = ""
        self._fill()

    def names(self) -> list[str]:
        return store.preset_names(self._db) if self._db is not None else []

    # -- operations ------------------------------------------------------------------------------
    def save_as(self, name: str, config: store.SavedConfig) -> str:
        """Save ``config`` as ``name`` (overwriting it); ``StoreError`` if the name cannot be
        used."""
        stored = store.save_preset(self._need_db(), name, config)
        self.current = stored
        self._fill()
        return stored

    def load(self, name: str) -> store.SavedConfig:
        config = store.load_preset(self._need_db(), name)
        self.current = name
        self._fill()
        self.loadRequested.emit(config)
        return config

    def rename(self, old: str, new: str) -> str:
        stored = store.rename_preset(self._need_db(), old, new)
        if self.current == old:
            self.current = stored
        self._fill()
        return stored

    def delete(self, name: str) -> None:
        store.delete_preset(self._need_db(), name)
        if self.current == name:
            self.current = ""
        self._fill()

    def forget_current(self) -> None:
        """The form no longer shows the current preset (Reset all): the box stops naming it
        (the preset itself is kept)."""
        self.current = ""
        self._fill()

    # -- widgets ---------------------------------------------------------------------------------
    def _need_db(self) -> Database:
        if self._db is None:
            raise StoreError("no database is open")
        return self._db

    def _fill(self) -> None:
        names = self.names()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(_PLACEHOLDER if names else "No presets yet")
        self.combo.addItems(names)
        self.combo.setCurrentIndex(names.index(self.current) + 1 if self.current in names else 0)
        self.combo.blockSignals(False)
        has = bool(self.current)
        self.overwrite_action.setText(f"Save over “{self.current}”" if has else "Save")
        for action in (self.overwrite_action, self.rename_action, self.delete_action):
            action.setEnabled(has)
        self.setEnabled(self._db is not None)

    def _on_activated(self, index: int) -> None:
        if index <= 0:
            return
        self._try(lambda: self.load(self.combo.itemText(index)))

    def _on_save_clicked(self) -> None:
        if self.current:
            self._overwrite()
        else:
            self._ask_save()

    def _overwrite(self) -> None:
        if self.current:
            self.saveRequested.emit(self.current)

    def _ask_save(self) -> None:
        name, ok = QInputDialog.getText(
            self, "Save preset", "Preset name:", QLineEdit.EchoMode.Normal
        )
        if not ok:
            return
        if name.strip() in self.names():
            answer = QMessageBox.question(
                self, "Save preset", f"Replace the preset “{name.strip()}”?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.saveRequested.emit(name)

    def _ask_rename(self) -> None:
        old = self.current
        name, ok = QInputDialog.getText(
            self, "Rename preset", "New name:", QLineEdit.EchoMode.Normal, old
        )
        if ok and name.strip() != old:
            self._try(lambda: self.rename(old, name))

    def _ask_delete(self) -> None:
        name = self.current
        answer = QMessageBox.question(self, "Delete preset", f"Delete the preset “{name}”?")
        if answer == QMessageBox.StandardButton.Yes:
            self._try(lambda: self.delete(name))

    def _try(self, operation: Callable[[], object]) -> None:
        try:
            operation()
        except StoreError as exc:
            self.report(str(exc))

    def report(self, message: str) -> None:
        """Tell the user a preset operation failed (and ``failed`` the log)."""
        QMessageBox.warning(self, "Presets", message)
        self.failed.emit(message)
