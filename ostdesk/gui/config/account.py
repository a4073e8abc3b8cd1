"""The simulated account of a run: initial capital, commission, slippage, leverage, run name.

Every editor is bounded by what ``BacktestConfig`` and ``CommissionModel`` accept, so the only
way to get a wrong value here is not to have one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.commission import CommissionModel, parse_commission
from ostdesk.gui.config.form import CompactDoubleSpinBox


def _spin(decimals: int, low: float, high: float, tip: str) -> QDoubleSpinBox:
    spin = CompactDoubleSpinBox()
    spin.setDecimals(decimals)
    spin.setRange(low, high)
    spin.setToolTip(tip)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    spin.setGroupSeparatorShown(True)
    spin.setMinimumWidth(60)
    return spin


class AccountForm(QWidget):
    """Capital, commission (per unit, % of value, minimum), slippage, leverage cap, run name."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capital_spin = _spin(0, 1, 1e12, "Cash at the start of the run")
        self.capital_spin.setValue(100_000)
        self.per_unit_spin = _spin(4, 0, 1e6, "Commission per unit (share, contract) traded")
        self.per_unit_spin.setSuffix(" /unit")
        self.percent_spin = _spin(3, 0, 100, "Commission as a percentage of the traded value")
        self.percent_spin.setSuffix(" %")
        self.minimum_spin = _spin(2, 0, 1e6, "Smallest commission charged per fill")
        self.minimum_spin.setPrefix("min ")
        self.minimum_spin.setSuffix(" /fill")
        self.slippage_spin = _spin(1, 0, 1e4, "Adverse price move per fill, in ticks")
        self.slippage_spin.setSuffix(" ticks")
        self.leverage_spin = _spin(
            1, 0, 1e3, "Refuse orders that would take gross exposure beyond this multiple of equity"
        )
        self.leverage_spin.setSpecialValueText("no limit")  # shown at the minimum, 0
        self.leverage_spin.setSuffix("x")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional, shown in the run list")

        commission = QHBoxLayout()
        commission.setContentsMargins(0, 0, 0, 0)
        commission.setSpacing(3)
        commission.addWidget(self.per_unit_spin, 1)
        commission.addWidget(self.percent_spin, 1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.addRow("Capital", self.capital_spin)
        form.addRow("Commission", commission)
        form.addRow("", self.minimum_spin)
        form.addRow("Slippage", self.slippage_spin)
        form.addRow("Leverage", self.leverage_spin)
        form.addRow("Run name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(QLabel("<b>Account</b>"))
        layout.addLayout(form)
        for spin in self._spins():
            spin.valueChanged.connect(self.changed)
        self.name_edit.textChanged.connect(self.changed)

    def _spins(self) -> tuple[QDoubleSpinBox, ...]:
        return (
            self.capital_spin,
            self.per_unit_spin,
            self.percent_spin,
            self.minimum_spin,
            self.slippage_spin,
            self.leverage_spin,
        )

    def capital(self) -> float:
        return self.capital_spin.value()

    def commission(self) -> CommissionModel:
        return CommissionModel(
            self.per_unit_spin.value(), self.percent_spin.value(), self.minimum_spin.value()
        )

    def slippage_ticks(self) -> float:
        return self.slippage_spin.value()

    def max_leverage(self) -> float | None:
        value = self.leverage_spin.value()
        return value if value > 0 else None

    def run_name(self) -> str:
        return self.name_edit.text().strip()

    def set_values(
        self,
        *,
        capital: float,
        commission: str,
        slippage_ticks: float,
        max_leverage: float | None,
        name: str,
    ) -> None:
        """Show these values (a bad commission spec raises ``ValueError`` and changes
        nothing)."""
        model = parse_commission(commission)
        for spin in self._spins():
            spin.blockSignals(True)
        self.name_edit.blockSignals(True)
        try:
            self.capital_spin.setValue(capital)
            self.per_unit_spin.setValue(model.per_unit)
            self.percent_spin.setValue(model.percent)
            self.minimum_spin.setValue(model.minimum)
            self.slippage_spin.setValue(slippage_ticks)
            self.leverage_spin.setValue(max_leverage or 0.0)
            self.name_edit.setText(name)
        finally:
            for spin in self._spins():
                spin.blockSignals(False)
            self.name_edit.blockSignals(False)
        self.changed.emit()
