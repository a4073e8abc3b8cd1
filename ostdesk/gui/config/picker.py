"""The strategy picker: built-in and user strategies, their descriptions, and load errors.

A user file that fails to import is listed with its file, line and traceback; the other
strategies stay usable. "Reload" re-executes the user files, so an edit in an editor shows up
without restarting.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_loader import StrategyCatalog, StrategyLoadError, load_strategies
from ostdesk.engine.strategy_text import without_markup
from ostdesk.gui.config.form import ERROR_COLOR

BUILT_IN = "built-in"


def find_strategy(catalog: StrategyCatalog, name: str) -> str | None:
    """The catalog key of ``name``: a class name or a strategy's ``name``, any case."""
    wanted = name.strip().lower()
    for key in catalog.strategies:
        if key.lower() == wanted:
            return key
    for key, cls in catalog.strategies.items():
        if cls.name.lower() == wanted:
            return key
    return None


class StrategyPicker(QWidget):
    """A strategy chooser over a :class:`StrategyCatalog`; ``strategyChanged(cls or None)``."""

    strategyChanged = Signal(object)
    catalogChanged = Signal(object)

    def __init__(
        self, strategy_dirs: Sequence[Path] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._dirs = list(strategy_dirs) if strategy_dirs is not None else None
        self.catalog = StrategyCatalog()
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(12)
        self.combo.currentIndexChanged.connect(self._on_index)
        style = self.style()
        self.reload_button = QToolButton()
        self.reload_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.reload_button.setToolTip("Reload strategies (re-imports changed files)")
        self.reload_button.clicked.connect(self.reload)
        self.folder_button = QToolButton()
        self.folder_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.folder_button.setToolTip("Open the strategy folder")
        self.folder_button.clicked.connect(self.open_folder)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setEnabled(False)  # the palette's secondary text colour
        self.errors_label = QLabel()
        self.errors_label.setWordWrap(True)
        self.errors_label.setTextFormat(Qt.TextFormat.RichText)
        self.errors_label.linkActivated.connect(self._toggle_details)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMaximumHeight(160)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.combo, 1)
        row.addWidget(self.reload_button)
        row.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.description)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.details)
        self.errors_label.hide()

    # -- catalog ---------------------------------------------------------------------------------
    def strategy_dirs(self) -> list[Path]:
        if self._dirs is None:
            from ostdesk.store.paths import default_strategies_dir

            self._dirs = [default_strategies_dir()]
        return list(self._dirs)

    def reload(self) -> StrategyCatalog:
        """Load the built-ins and every user file again; the selection is kept if it still
        exists."""
        catalog = load_strategies(self.strategy_dirs())
        self.set_catalog(catalog)
        return catalog

    def set_catalog(self, catalog: StrategyCatalog) -> None:
        current = self.current_key()
        self.catalog = catalog
        self.combo.blockSignals(True)
        self.combo.clear()
        keys = sorted(catalog.strategies, key=lambda k: (catalog.sources[k] != BUILT_IN, k))
        for key in keys:
            cls = catalog.strategies[key]
            source = catalog.sources[key]
            text = key if source == BUILT_IN else f"{key}  ({Path(source).name})"
            self.combo.addItem(text, key)
            self.combo.setItemData(
                self.combo.count() - 1,
                without_markup(cls.description),
                Qt.ItemDataRole.ToolTipRole,
            )
        index = self.combo.findData(current) if current is not None else -1
        self.combo.setCurrentIndex(index if index >= 0 else (0 if keys else -1))
        self.combo.blockSignals(False)
        self._show_errors(catalog.errors)
        self.catalogChanged.emit(catalog)
        self._on_index()

    def select(self, name: str) -> bool:
        """Select the strategy called ``name`` (class name or ``name``); False if unknown."""
        key = find_strategy(self.catalog, name)
        if key is None:
            return False
        self.combo.setCurrentIndex(self.combo.findData(key))
        return True

    def current_key(self) -> str | None:
        key = self.combo.currentData()
        return key if isinstance(key, str) else None

    def current(self) -> type[Strategy] | None:
        key = self.current_key()
        return self.catalog.strategies.get(key) if key is not None else None

    def current_source(self) -> str:
        """Where the current strategy came from: ``"built-in"`` or its file (for the runs
        table's ``strategy_source``)."""
        key = self.current_key()
        return self.catalog.sources.get(key, "") if key is not None else ""

    def open_folder(self) -> None:
        folder = self.strategy_dirs()[0]
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- display ---------------------------------------------------------------------------------
    def _on_index(self, *_: object) -> None:
        cls = self.current()
        source = self.current_source()
        text = without_markup(cls.description) if cls is not None else ""
        if cls is not None and source != BUILT_IN:
            text = f"{text}\n{source}" if text else source
        self.description.setText(text)
        self.description.setVisible(bool(text))
        self.strategyChanged.emit(cls)

    def _show_errors(self, errors: list[StrategyLoadError]) -> None:
        if not errors:
            self.errors_label.hide()
            self.details.hide()
            return
        lines = [
            f"{html.escape(e.path.name)}"
            + (f", line {e.line}" if e.line else "")
            + f": {html.escape(e.message)}"
            for e in errors
        ]
        files = "file" if len(errors) == 1 else "files"
        self.errors_label.setText(
            f"<span style='color:{ERROR_COLOR}'>{len(errors)} strategy {files} could not be "
            f"loaded:<br>{'<br>'.join(lines)}</span> <a href='details'>traceback</a>"
        )
        self.errors_label.show()
        self.details.setPlainText("\n".join(f"{e.path}\n{e.traceback}" for e in errors))

    def _toggle_details(self, _link: str) -> None:
        self.details.setVisible(not self.details.isVisible())
