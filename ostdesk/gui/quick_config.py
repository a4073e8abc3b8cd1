"""A compact backtest form: the strategy configuration dock until the full editor replaces it.

It is ready to run on first launch (SMA crossover over the stored symbols), and anything it
cannot turn into a ``BacktestConfig`` raises ``ValueError`` with a sentence naming the field.
The main window only needs ``config()`` from whatever widget sits in this dock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.params import ParamError
from ostdesk.engine.runner import BacktestConfig
from ostdesk.engine.strategy import Strategy
from ostdesk.engine.strategy_loader import StrategyCatalog

DEFAULT_STRATEGY = "SmaCross"


class QuickConfigPanel(QWidget):
    """Strategy, parameters (``name=value, ...``), symbols, bar period and capital."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = StrategyCatalog()
        self.strategy_box = QComboBox()
        self.strategy_box.currentTextChanged.connect(self._on_strategy)
        self.params_edit = QLineEdit()
        self.params_edit.setToolTip("Strategy parameters as name=value, separated by commas")
        self.symbols_edit = QLineEdit()
        self.symbols_edit.setPlaceholderText("e.g. DEMO-ALPHA, DEMO-BRAVO")
        self.period_box = QComboBox()
        for period in BarPeriod:
            self.period_box.addItem(period.label, period)
        self.period_box.setCurrentText(BarPeriod.MINUTE.label)
        self.capital_spin = QDoubleSpinBox()
        self.capital_spin.setRange(1.0, 1e12)
        self.capital_spin.setDecimals(0)
        self.capital_spin.setGroupSeparatorShown(True)
        self.capital_spin.setValue(100_000.0)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setEnabled(False)  # the palette's secondary text colour

        form = QFormLayout()
        form.addRow("Strategy", self.strategy_box)
        form.addRow("Parameters", self.params_edit)
        form.addRow("Symbols", self.symbols_edit)
        form.addRow("Bar period", self.period_box)
        form.addRow("Capital", self.capital_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.description)
        layout.addStretch(1)

    def set_catalog(self, catalog: StrategyCatalog) -> None:
        current = self.strategy_box.currentText() or DEFAULT_STRATEGY
        self._catalog = catalog
        self.strategy_box.blockSignals(True)
        self.strategy_box.clear()
        self.strategy_box.addItems(sorted(catalog.strategies))
        self.strategy_box.blockSignals(False)
        index = self.strategy_box.findText(current)
        self.strategy_box.setCurrentIndex(max(index, 0))
        self._on_strategy(self.strategy_box.currentText())

    def set_symbols(self, symbols: Sequence[str]) -> None:
        self.symbols_edit.setText(", ".join(symbols))

    def _on_strategy(self, name: str) -> None:
        cls = self._catalog.strategies.get(name)
        if cls is None:
            return
        self.params_edit.setText(", ".join(f"{k}={p.default}" for k, p in cls.params.items()))
        self.description.setText((cls.description or "").strip())

    def config(self) -> BacktestConfig:
        """The backtest this form describes; ``ValueError`` names the field that is wrong."""
        name = self.strategy_box.currentText()
        cls = self._catalog.strategies.get(name)
        if cls is None:
            raise ValueError("Strategy: no strategy is selected")
        symbols = tuple(s.strip() for s in self.symbols_edit.text().split(",") if s.strip())
        if not symbols:
            raise ValueError("Symbols: enter at least one symbol")
        return BacktestConfig(
            strategy=cls,
            symbols=symbols,
            period=self.period_box.currentData(),
            params=_parse_params(cls, self.params_edit.text()),
            capital=self.capital_spin.value(),
        )


def _parse_params(cls: type[Strategy], text: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"Parameters: expected name=value, got {pair!r}")
        if key not in cls.params:
            known = ", ".join(cls.params) or "none"
            raise ValueError(f"Parameters: {cls.name} has no parameter {key!r} (it has: {known})")
        try:
            values[key] = cls.params[key].parse(raw)
        except ParamError as exc:
            raise ValueError(f"Parameters: {exc}") from None
    return values
