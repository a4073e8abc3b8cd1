"""Which stored data a run reads: symbols, bar period and date range, bounded by the store.

Date bounds, the coverage hint and the checks are computed from the store's summary
(``coverage.DataSummary``), read in the background once per database or import.
Dates are whole UTC days; the end date is included. A range the user did not touch stays
open (None), so it follows the data; a range loaded from a preset or run keeps its exact ns.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ostdesk.engine.events import BarPeriod
from ostdesk.gui.config.coverage import Coverage, DataSummary, SummaryLoader
from ostdesk.store.database import Database
from ostdesk.store.timefmt import format_ns

DAY_NS = 86_400_000_000_000
_EPOCH = QDate(1970, 1, 1)
LIST_ROWS = 6


def ns_to_date(ts_ns: int) -> QDate:
    return _EPOCH.addDays(ts_ns // DAY_NS)


def date_to_ns(date: QDate) -> int:
    return _EPOCH.daysTo(date) * DAY_NS


class DataSelection(QWidget):
    """Symbols (checkable, filterable), bar period, start and end dates, coverage hint."""

    changed = Signal()
    summaryLoaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: DataSummary | None = None
        self.load_error = ""
        self._db: Database | None = None
        self._symbols: list[str] = []
        self._period = BarPeriod.MINUTE
        self._start_ns: int | None = None
        self._end_ns: int | None = None
        self.loader = SummaryLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter symbols…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.symbol_list = QListWidget()
        self.symbol_list.setUniformItemSizes(True)
        self.symbol_list.itemChanged.connect(self._on_item_changed)
        self.period_box = QComboBox()
        self.period_box.currentIndexChanged.connect(self._on_period)
        self.start_edit = self._date_edit("First day of the run (UTC)")
        self.end_edit = self._date_edit("Last day of the run, included (UTC)")
        self.start_edit.userDateChanged.connect(self._on_start)
        self.end_edit.userDateChanged.connect(self._on_end)
        self.full_range_button = QToolButton()
        self.full_range_button.setText("All")
        self.full_range_button.setToolTip("Use every stored bar of the chosen symbols")
        self.full_range_button.clicked.connect(self.use_full_range)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)

        end_row = QHBoxLayout()
        end_row.setContentsMargins(0, 0, 0, 0)
        end_row.setSpacing(3)
        end_row.addWidget(self.end_edit, 1)
        end_row.addWidget(self.full_range_button)
        start_row = QHBoxLayout()
        start_row.setContentsMargins(0, 0, 0, 0)
        start_row.addWidget(self.start_edit, 1)
        start_row.addSpacing(self.full_range_button.sizeHint().width() + 3)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(3)
        form.addRow("Period", self.period_box)
        form.addRow("From", start_row)
        form.addRow("To", end_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(QLabel("<b>Data</b>"))
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.symbol_list)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        self._fill_periods([])
        self._refresh()

    def _date_edit(self, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setToolTip(tip)
        edit.setMinimumWidth(70)
        return edit

    # -- the store -------------------------------------------------------------------------------
    def set_database(self, db: Database | None) -> None:
        """Read what ``db`` holds (in the background; ``summaryLoaded`` when done)."""
        self._db = db
        self.summary = None
        self.refresh()

    def refresh(self) -> None:
        """Read the store's summary again (after an import)."""
        self.load_error = ""
        if self._db is not None:
            self.loader.load(self._db)
        self._refresh()

    def _on_loaded(self, summary: DataSummary) -> None:
        self.summary = summary
        self._fill_periods(summary.periods)
        self._fill_symbols()
        self._refresh()
        self.summaryLoaded.emit()

    def _on_failed(self, message: str) -> None:
        self.load_error = f"cannot read the stored data: {message}"
        self._refresh()
        self.summaryLoaded.emit()

    # -- state -----------------------------------------------------------------------------------
    def symbols(self) -> list[str]:
        """The chosen symbols (those loaded from a configuration until the list is edited)."""
        return list(self._symbols)

    def set_symbols(self, symbols: Sequence[str]) -> None:
        self._symbols = list(dict.fromkeys(s.strip() for s in symbols if s.strip()))
        self._fill_symbols()
        self._check_range()
        self._refresh()

    def period(self) -> BarPeriod:
        return self._period

    def set_period(self, period: BarPeriod) -> None:
        self._period = period
        if self.summary is not None:
            self._fill_periods(self.summary.periods)
        self._check_range()
        self._refresh()

    def date_range(self) -> tuple[int | None, int | None]:
        """(start ns, end ns): half-open, None for an open end."""
        return self._start_ns, self._end_ns

    def set_date_range(self, start_ns: int | None, end_ns: int | None) -> None:
        self._start_ns, self._end_ns = start_ns, end_ns
        self._refresh()

    def use_full_range(self) -> None:
        self.set_date_range(None, None)

    def choose_defaults(self, preferred: Sequence[str], limit: int) -> None:
        """Pick a first selection: the ``preferred`` symbols that are stored (else the first
        ``limit``) and the shortest period they all have."""
        if self.summary is None or not self.summary.symbols:
            return
        stored = self.summary.symbols
        chosen = [s for s in preferred if s in stored] or stored[:limit]
        periods = [
            p for p in self.summary.periods if all(s in self.summary.by_period[p] for s in chosen)
        ]
        self._period = periods[0] if periods else self.summary.periods[0]
        self._fill_periods(self.summary.periods)
        self.set_symbols(chosen)

    def bounds(self) -> tuple[int, int] | None:
        """First and last stored bar over the chosen symbols in the chosen period."""
        cov = self._coverage()
        if not cov:
            return None
        return min(c[0] for c in cov.values()), max(c[1] for c in cov.values())

    def problem(self) -> str:
        """Why no run can be made of this selection ('' when it can)."""
        if self.load_error:
            return self.load_error
        if self._db is None:
            return "no database is open"
        if self.summary is None:
            return "reading the stored data…"
        if not self.summary.symbols:
            return "no market data is stored yet: import bars or install the demo data"
        if not self._symbols:
            return "choose at least one symbol"
        stored = self.summary.by_period.get(self._period, {})
        missing = [s for s in self._symbols if s not in stored]
        if missing:
            return f"no {self._period.label} bars are stored for {', '.join(missing)}"
        start, end = self._start_ns, self._end_ns
        if start is not None and end is not None and end <= start:
            return "the end date is before the start date"
        first, last = self.bounds() or (0, 0)
        if (start is not None and start > last) or (end is not None and end <= first):
            return "no stored bars in the chosen dates"
        return ""

    # -- widgets ---------------------------------------------------------------------------------
    def _coverage(self) -> Coverage:
        if self.summary is None:
            return {}
        stored = self.summary.by_period.get(self._period, {})
        return {s: stored[s] for s in self._symbols if s in stored}

    def _fill_periods(self, periods: Sequence[BarPeriod]) -> None:
        shown = list(periods) or list(BarPeriod)
        if self._period not in shown:
            shown = sorted([*shown, self._period], key=lambda p: p.value)
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for period in shown:
            self.period_box.addItem(period.label, period)
        self.period_box.setCurrentIndex(shown.index(self._period))
        self.period_box.blockSignals(False)

    def _fill_symbols(self) -> None:
        stored = self.summary.symbols if self.summary is not None else []
        descriptions = self.summary.descriptions if self.summary is not None else {}
        unknown = [s for s in self._symbols if s not in stored]
        self.symbol_list.blockSignals(True)
        self.symbol_list.clear()
        for symbol in unknown + stored:
            missing = self.summary is not None and symbol not in stored
            item = QListWidgetItem(f"{symbol} (no data)" if missing else symbol)
            item.setData(Qt.ItemDataRole.UserRole, symbol)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = symbol in self._symbols
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            item.setToolTip(descriptions.get(symbol, ""))
            self.symbol_list.addItem(item)
        self.symbol_list.blockSignals(False)
        rows = min(max(self.symbol_list.count(), 2), LIST_ROWS)
        row_height = max(self.symbol_list.sizeHintForRow(0), 16)
        self.symbol_list.setFixedHeight(rows * row_height + 2 * self.symbol_list.frameWidth() + 2)
        self._apply_filter(self.filter_edit.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.symbol_list.count()):
            item = self.symbol_list.item(row)
            symbol = str(item.data(Qt.ItemDataRole.UserRole))
            description = item.toolTip().lower()
            item.setHidden(bool(needle) and needle not in symbol.lower() + " " + description)

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        chosen = []
        for row in range(self.symbol_list.count()):
            item = self.symbol_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(str(item.data(Qt.ItemDataRole.UserRole)))
        self._symbols = chosen
        self._check_range()
        self._refresh()

    def _on_period(self, index: int) -> None:
        period = self.period_box.itemData(index)
        if isinstance(period, BarPeriod):
            self._period = period
            self._check_range()
            self._refresh()

    def _on_start(self, date: QDate) -> None:
        self._start_ns = date_to_ns(date)
        self._refresh()

    def _on_end(self, date: QDate) -> None:
        self._end_ns = date_to_ns(date) + DAY_NS  # the end day is included
        self._refresh()

    def _check_range(self) -> None:
        """Drop an end of the range that falls outside the new symbols' data."""
        bounds = self.bounds()
        if bounds is None:
            return
        first, last = bounds
        if self._start_ns is not None and not first <= self._start_ns <= last:
            self._start_ns = None
        if self._end_ns is not None and not first < self._end_ns <= last + DAY_NS:
            self._end_ns = None

    def _refresh(self) -> None:
        bounds = self.bounds()
        for edit in (self.start_edit, self.end_edit):
            edit.setEnabled(bounds is not None)
        if bounds is not None:
            low, high = ns_to_date(bounds[0]), ns_to_date(bounds[1])
            start = ns_to_date(self._start_ns) if self._start_ns is not None else low
            end = ns_to_date(self._end_ns - 1) if self._end_ns is not None else high
            for edit, date in ((self.start_edit, start), (self.end_edit, end)):
                edit.blockSignals(True)
                edit.setDateRange(low, high)
                edit.setDate(date)
                edit.blockSignals(False)
        self.full_range_button.setEnabled(
            bounds is not None and (self._start_ns, self._end_ns) != (None, None)
        )
        self.hint.setText(self._hint_text())
        self.changed.emit()

    def _hint_text(self) -> str:
        cov = self._coverage()
        if not cov:
            return self.problem()
        first = min(c[0] for c in cov.values())
        last = max(c[1] for c in cov.values())
        bars = sum(c[2] for c in cov.values())
        count = f"{len(cov)} symbols" if len(cov) > 1 else next(iter(cov))
        text = f"{count}: {_day(first)} → {_day(last)}, {bars:,} {self._period.label} bars"
        common_first = max(c[0] for c in cov.values())
        common_last = min(c[1] for c in cov.values())
        if (common_first, common_last) != (first, last):
            text += (
                f"; all have data {_day(common_first)} → {_day(common_last)}"
                if common_first <= common_last
                else "; their dates do not overlap"
            )
        problem = self.problem()
        return f"{text}\n{problem}" if problem else text


def _day(ts_ns: int) -> str:
    return format_ns(ts_ns)[:10]
