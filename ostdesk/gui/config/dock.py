"""The strategy dock: everything a run needs, set up without code and never invalid.

It composes the preset bar, strategy picker, parameter form, data selection and account form,
and keeps the Run button disabled with the reason while the configuration cannot run. Run
emits ``runRequested(BacktestConfig)``; the main window hands it to the same
``prepare_backtest`` the CLI uses. The configuration is saved as the database's "last used"
one (shortly after each change) and restored when a database is set.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig
from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_loader import StrategyCatalog
from ostdesk.gui.config.account import AccountForm
from ostdesk.gui.config.data_selection import DataSelection
from ostdesk.gui.config.form import ERROR_COLOR, ParamForm
from ostdesk.gui.config.import_dialog import ImportBarsDialog
from ostdesk.gui.config.picker import StrategyPicker, find_strategy
from ostdesk.gui.config.presets import PresetBar
from ostdesk.gui.wheel_guard import guard_form
from ostdesk.store import presets as store
from ostdesk.store.database import Database
from ostdesk.store.demo import DEMO_SYMBOLS
from ostdesk.store.errors import StoreError

DEFAULT_STRATEGY = "SmaCross"
DEFAULT_SYMBOL_LIMIT = 5
SAVE_DELAY_MS = 500
_RELOAD_NOTES = "Reset on reload"


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class ConfigDock(QWidget):
    """The widget of the strategy dock (see the module docstring)."""

    runRequested = Signal(object)  # BacktestConfig
    validityChanged = Signal(bool, str)  # valid, reason it is not ('' when valid)
    dataImported = Signal(object)  # ImportResult, after File → Import bars…
    problemReported = Signal(str)  # for the log: a preset or "last used" could not be saved

    def __init__(
        self,
        db: Database | None = None,
        *,
        strategy_dirs: Sequence[Path] | None = None,
        catalog: StrategyCatalog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db: Database | None = None
        self._running = False
        self._restoring = False
        self._valid: bool | None = None
        self._reason = ""
        self._notes: list[str] = []  # what a loaded configuration could not restore
        self._notes_title = "Not restored"

        self.presets = PresetBar()
        self.presets.loadRequested.connect(self.load_config)
        self.presets.saveRequested.connect(self._on_save_requested)
        self.presets.failed.connect(self.problemReported)
        self.picker = StrategyPicker(strategy_dirs)
        self.form = ParamForm()
        self.data = DataSelection()
        self.account = AccountForm()
        self.run_button = QPushButton("Run backtest")
        self.run_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.request_run)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setEnabled(False)
        self.import_action = QAction("&Import bars…", self)
        self.import_action.setToolTip("Import OHLCV bars from a CSV or Parquet file")
        self.import_action.triggered.connect(self.open_import_dialog)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_last_used)

        body = QWidget()
        inner = QVBoxLayout(body)
        inner.setContentsMargins(6, 6, 6, 6)
        inner.setSpacing(6)
        inner.addWidget(self.presets)
        inner.addWidget(QLabel("<b>Strategy</b>"))
        inner.addWidget(self.picker)
        inner.addWidget(self.form)
        inner.addWidget(_separator())
        inner.addWidget(self.data)
        inner.addWidget(_separator())
        inner.addWidget(self.account)
        inner.addStretch(1)
        guard_form(body)  # it scrolls: a wheel turn over it must not change a value
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        footer = QVBoxLayout()
        footer.setContentsMargins(6, 0, 6, 6)
        footer.setSpacing(3)
        footer.addWidget(self.notes_label)
        footer.addWidget(self.reason_label)
        footer.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(scroll, 1)
        layout.addLayout(footer)

        self.picker.strategyChanged.connect(self._on_strategy)
        self.picker.catalogChanged.connect(self._on_catalog)
        for signal in (self.form.changed, self.data.changed, self.account.changed):
            signal.connect(self._on_change)
        self.form.allReset.connect(self.presets.forget_current)
        self.data.summaryLoaded.connect(self._on_summary)
        if catalog is not None:
            self.picker.set_catalog(catalog)
        else:
            self.picker.reload()
        self.set_database(db)

    # -- public API ------------------------------------------------------------------------------
    def set_database(self, db: Database | None) -> None:
        """Show ``db``'s data and presets and restore its last used configuration."""
        self._db = db
        self.presets.set_database(db)
        last = store.load_last_used(db) if db is not None else None
        self._restoring = True
        if last is not None:
            self.load_config(last)
        else:
            self.picker.select(DEFAULT_STRATEGY)
        self.data.set_database(db)
        self._on_change()

    def set_catalog(self, catalog: StrategyCatalog) -> None:
        """Use strategies loaded elsewhere (the picker's Reload loads them itself)."""
        self.picker.set_catalog(catalog)

    def refresh_data(self) -> None:
        """Read the store's symbols and dates again (after data was added elsewhere)."""
        self.data.refresh()

    def set_symbols(self, symbols: Sequence[str]) -> None:
        self.data.set_symbols(symbols)

    def select_strategy(self, name: str) -> bool:
        return self.picker.select(name)

    def strategy(self) -> type[Strategy] | None:
        return self.picker.current()

    def strategy_source(self) -> str:
        """``"built-in"`` or the file of the chosen strategy (the runs table's source)."""
        return self.picker.current_source()

    def saved_config(self) -> store.SavedConfig:
        """What the form shows, runnable or not (for presets and "last used")."""
        cls = self.picker.current()
        start_ns, end_ns = self.data.date_range()
        return store.SavedConfig(
            strategy=cls.__name__ if cls is not None else "",
            params={
                k: v.name if hasattr(v, "name") and not isinstance(v, str) else v
                for k, v in self.form.values().items()
            },
            symbols=tuple(self.data.symbols()),
            period=self.data.period(),
            start_ns=start_ns,
            end_ns=end_ns,
            capital=self.account.capital(),
            commission=self.account.commission().describe(),
            slippage_ticks=self.account.slippage_ticks(),
            max_leverage=self.account.max_leverage(),
            name=self.account.run_name(),
        )

    def save_preset(self, name: str) -> str:
        """Save what the form shows as the preset ``name``; returns the stored name."""
        return self.presets.save_as(name, self.saved_config())

    def load_config(self, config: store.SavedConfig | Mapping[str, Any]) -> None:
        """Fill the form from a preset, a run (``SavedConfig.from_run``) or its ``to_dict()``.
        What cannot be restored (a strategy no longer loaded, a refused value) is listed
        above the Run button."""
        saved = config if isinstance(config, store.SavedConfig) else _from_mapping(config)
        self._notes, self._notes_title = [], "Not restored"
        if saved.strategy and not self.picker.select(saved.strategy):
            self._notes.append(f"strategy {saved.strategy!r} is not loaded")
        cls = self.picker.current()
        if cls is not None and cls.__name__.lower() == saved.strategy.lower():
            self._notes += self.form.set_values(saved.params)
        self.data.set_period(saved.period)
        self.data.set_symbols(saved.symbols)
        self.data.set_date_range(saved.start_ns, saved.end_ns)
        try:
            self.account.set_values(
                capital=saved.capital,
                commission=saved.commission,
                slippage_ticks=saved.slippage_ticks,
                max_leverage=saved.max_leverage,
                name=saved.name,
            )
        except ValueError as exc:
            self._notes.append(str(exc))
        self._on_change()

    def rerun_config(self, run: Mapping[str, Any]) -> tuple[BacktestConfig, str]:
        """The configuration of the recorded ``run`` (a ``get_run`` row) to run again now, named
        as a re-run of it, and its strategy's source. The form is left as it is: a re-run
        must not change what the next run from the dock is. ``ValueError`` says why it cannot
        run (its strategy is no longer loaded, a value its parameters now refuse)."""
        saved = store.SavedConfig.from_run(run)
        catalog = self.picker.catalog
        key = find_strategy(catalog, saved.strategy)
        if key is None:
            raise ValueError(f"its strategy {saved.strategy!r} is not loaded")
        saved = dataclasses.replace(saved, name=rerun_name(int(run["run_id"]), saved.name))
        try:
            return saved.to_config(catalog.strategies[key]), catalog.sources[key]
        except ParamError as exc:
            raise ValueError(str(exc)) from None

    def problem(self) -> str:
        """Why the configuration cannot run ('' when it can)."""
        cls = self.picker.current()
        if cls is None:
            return "choose a strategy"
        errors = self.form.errors
        if errors:
            return f"{_label(self.form, errors[0].field)}: {errors[0].message}"
        problem = self.data.problem()
        if problem:
            return problem[0].upper() + problem[1:]
        return ""

    def is_valid(self) -> bool:
        return not self.problem()

    def config(self) -> BacktestConfig:
        """The backtest this dock describes; ``ValueError`` with the reason when it has none."""
        problem = self.problem()
        if problem:
            raise ValueError(problem)
        cls = self.picker.current()
        assert cls is not None
        try:
            return self.saved_config().to_config(cls)
        except ParamError as exc:
            raise ValueError(str(exc)) from None

    def request_run(self) -> None:
        """Emit ``runRequested`` with the configuration (and remember it as last used)."""
        if self._running or not self.is_valid():
            return
        config = self.config()
        self.save_last_used()
        self.runRequested.emit(config)

    def set_running(self, running: bool) -> None:
        """Disable Run while a backtest runs (connect the controller's ``runningChanged``)."""
        self._running = running
        if running and self._save_timer.isActive():
            self.save_last_used()  # an edit's save now, while the run is held, not during it
        self._show_state()  # the configuration itself is unchanged: nothing else to save

    def save_last_used(self) -> None:
        self._save_timer.stop()
        if self._db is not None and not self._restoring:
            try:
                store.save_last_used(self._db, self.saved_config())
            except StoreError as exc:
                self.problemReported.emit(f"could not save the last used configuration: {exc}")

    def open_import_dialog(self) -> ImportBarsDialog | None:
        """File → Import bars…: the dialog, modeless; the data list refreshes after an
        import."""
        if self._db is None:
            return None
        dialog = ImportBarsDialog(self._db, self)
        dialog.imported.connect(self._on_imported)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- slots -----------------------------------------------------------------------------------
    def _on_strategy(self, cls: type[Strategy] | None) -> None:
        """Another strategy starts at its defaults; the same one again (Reload strategies
        re-imported its file) keeps the values the user edited, and what it cannot keep is
        said above the Run button."""
        old = self.form.strategy
        if cls is not None and old is not None and cls.__name__ == old.__name__:
            reset = self.form.reload_strategy(cls)
            if reset:
                self._notes, self._notes_title = reset, _RELOAD_NOTES
                self._show_state()
        else:
            if self._notes_title == _RELOAD_NOTES:  # they were about the other strategy
                self._notes = []
            self.form.set_strategy(cls)

    def _on_catalog(self, _catalog: StrategyCatalog) -> None:
        self._on_change()

    def _on_summary(self) -> None:
        if not self.data.symbols():  # a first start, or the first data just imported
            self.data.choose_defaults(DEMO_SYMBOLS, DEFAULT_SYMBOL_LIMIT)
        self._restoring = False
        self._on_change()

    def _on_save_requested(self, name: str) -> None:
        try:
            self.save_preset(name)
        except StoreError as exc:
            self.presets.report(str(exc))

    def _on_imported(self, result: object) -> None:
        self.data.refresh()
        self.dataImported.emit(result)

    def _on_change(self) -> None:
        self._show_state()
        if self._db is not None and not self._restoring:
            self._save_timer.start()

    def _show_state(self) -> None:
        """Run button, its tip and the reasons shown, from the configuration's validity."""
        reason = self.problem()
        valid = not reason
        self.run_button.setEnabled(valid and not self._running)
        tip = "a backtest is running" if self._running else reason or "Run the backtest"
        self.run_button.setToolTip(tip)
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        notes = f"{self._notes_title}: " + "; ".join(self._notes) if self._notes else ""
        self.notes_label.setText(notes)
        self.notes_label.setVisible(bool(self._notes))
        if (valid, reason) != (self._valid, self._reason):
            self._valid, self._reason = valid, reason
            self.validityChanged.emit(valid, reason)

    # -- Qt overrides ----------------------------------------------------------------------------
    def closeEvent(self, event: Any) -> None:
        self.save_last_used()
        self.data.loader.wait()
        super().closeEvent(event)


_RERUN_SUFFIX = re.compile(r"\s*\(re-run of run \d+\)$")


def rerun_name(run_id: int, name: str) -> str:
    """``name (re-run of run N)``; a re-run of a re-run names only the run it repeats."""
    base = _RERUN_SUFFIX.sub("", name).strip()
    return f"{base} (re-run of run {run_id})" if base else f"re-run of run {run_id}"


def _from_mapping(data: Mapping[str, Any]) -> store.SavedConfig:
    try:
        return store.SavedConfig.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"cannot load this configuration: {exc}") from None


def _label(form: ParamForm, name: str) -> str:
    fld = form.fields.get(name)
    return fld.label.text() if fld is not None else name
