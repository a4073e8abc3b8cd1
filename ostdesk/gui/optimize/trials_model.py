"""The results table's model: one row per finished trial, a column for every parameter and
statistic, sortable by value and filtered by conditions typed as a trader writes them.

Rows arrive in batches (``append``); the best trial (the study's ranking: completed, meeting
the constraints, best first objective) is kept up to date as they come and shown in bold.

``data`` is the window's hottest Python: a repaint of the visible cells asks it ~3,000 times
(each cell for its font, alignment, colours, text... through the sort proxy), and a running
study repaints the table with every batch. So roles are plain ints compared first, constants
are built once, and a row's texts are formatted once (a bounded cache) instead of each paint.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from ostdesk.research.spec import StudySpec
from ostdesk.store.stats import DURATION_KEYS, STAT_DEFINITIONS, TIME_KEYS
from ostdesk.store.studies import TrialRow

SORT_ROLE = Qt.ItemDataRole.UserRole
_MISSING = -math.inf  # sorts below every value: a failed trial ends a descending sort
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_SORT = SORT_ROLE.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_RIGHT = (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value
_TEXT_KINDS = frozenset(("status", "worker", "error"))  # left-aligned, sorted as text
TEXT_CACHE_ROWS = 2048
"""Rows whose formatted texts are kept (those painted lately: a screenful is ~40)."""

_Index = QModelIndex | QPersistentModelIndex
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "!=": operator.ne,
    "==": operator.eq,
    "=": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION = re.compile(r"^\s*(.+?)\s*(>=|<=|!=|==|=|>|<)\s*(-?[\d.eE+-]+)\s*$")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return _MISSING if math.isnan(value) else float(value)
    return _MISSING


class TrialsModel(QAbstractTableModel):
    """Trials of one study (see the module docstring)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.spec: StudySpec | None = None
        self.rows: list[TrialRow] = []
        self.columns: list[str] = []
        self._kinds: list[str] = []  # per column: number, status, param, stat, duration, ...
        self._by_number: dict[int, int] = {}
        self.best: TrialRow | None = None
        self._best_row = -1
        self._texts: dict[int, list[str]] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_study(self, spec: StudySpec | None, rows: Sequence[TrialRow] = ()) -> None:
        """Show ``spec``'s columns and ``rows`` (a stored study), nothing else."""
        self.beginResetModel()
        self.spec = spec
        self.rows, self._by_number, self.best, self._best_row = [], {}, None, -1
        self._texts = {}
        self.columns, self._kinds = ["Trial", "Status"], ["number", "status"]
        if spec is not None:
            names = [d.name for d in spec.space]
            objectives = list(dict.fromkeys(o.stat for o in spec.objectives))
            stats = [s for s in STAT_DEFINITIONS if s not in objectives and s not in TIME_KEYS]
            self.columns += [*names, *objectives, *stats, "Duration [s]", "Worker", "Error"]
            self._kinds += ["param"] * len(names)
            self._kinds += ["stat"] * (len(objectives) + len(stats))
            self._kinds += ["duration", "worker", "error"]
        self._add(rows)
        self.endResetModel()

    def append(self, rows: Sequence[TrialRow]) -> None:
        """Add a batch of finished trials (a trial already shown is not added again)."""
        new = [r for r in rows if r.number not in self._by_number]
        if not new:
            return
        first = len(self.rows)
        before = self._best_row
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._add(new)
        self.endInsertRows()
        if before >= 0 and before != self._best_row:  # it is no longer bold
            self.dataChanged.emit(self.index(before, 0), self.index(before, len(self.columns) - 1))

    def _add(self, rows: Sequence[TrialRow]) -> None:
        for row in rows:
            self._by_number[row.number] = len(self.rows)
            self.rows.append(row)
            if self._better(row):
                self.best, self._best_row = row, len(self.rows) - 1

    def _better(self, row: TrialRow) -> bool:
        """Whether ``row`` ranks above the best so far (``ranking.best_trials``' order)."""
        spec = self.spec
        if spec is None or row.status != "completed" or not row.feasible:
            return False
        value = row.objective[0]
        if math.isnan(value):
            return False
        best = self.best
        if best is None:
            return True
        sign = 1.0 if spec.objectives[0].minimize else -1.0
        return (sign * value, row.number) < (sign * best.objective[0], best.number)

    def row_of(self, number: int) -> int | None:
        return self._by_number.get(number)

    # -- what a cell holds -----------------------------------------------------------------------
    def value(self, row: int, column: int) -> Any:
        trial = self.rows[row]
        kind, name = self._kinds[column], self.columns[column]
        if kind == "number":
            return trial.number
        if kind == "status":
            return trial.status if trial.feasible or trial.status != "completed" else "infeasible"
        if kind == "param":
            return trial.params.get(name)
        if kind == "stat":
            return trial.stats.get(name)
        if kind == "duration":
            return trial.duration_s
        if kind == "worker":
            return trial.worker
        return trial.error or ""

    def text(self, row: int, column: int) -> str:
        """What cell (``row``, ``column``) shows."""
        texts = self._texts.get(row)
        if texts is None:
            if len(self._texts) >= TEXT_CACHE_ROWS:
                self._texts.clear()
            texts = self._texts[row] = [self._format(row, c) for c in range(len(self.columns))]
        return texts[column]

    def _format(self, row: int, column: int) -> str:
        value = self.value(row, column)
        if self._kinds[column] == "stat" and self.columns[column] in DURATION_KEYS:
            return _days(value)
        return _text(value)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # the likeliest roles first; a proxy passes invalid indexes on (row -1: no cell)
        if index.row() < 0:
            return None
        if role == _DISPLAY:
            return self.text(index.row(), index.column())
        if role == _ALIGNMENT:
            return None if self._kinds[index.column()] in _TEXT_KINDS else _RIGHT
        if role == _FONT:
            return self._bold if index.row() == self._best_row else None
        if role == _SORT:
            row, column = index.row(), index.column()
            value = self.value(row, column)
            return str(value) if self._kinds[column] in _TEXT_KINDS else _number(value)
        if role == _TOOLTIP:
            row = index.row()
            trial = self.rows[row]
            if trial.error:
                return trial.error
            return "the best trial" if row == self._best_row else None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        horizontal_tip = (
            orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole
        )
        if horizontal_tip and self.spec is not None and section < len(self.columns):
            for o in self.spec.objectives:
                if o.stat == self.columns[section]:
                    return f"objective: {o.describe()}"
        return None

    # -- filtering -------------------------------------------------------------------------------
    def matcher(self, text: str) -> Callable[[int], bool] | str:
        """A test of rows for the filter ``text``: terms separated by ',' that all hold, each
        ``COLUMN OP NUMBER`` (``# Trades >= 30``) or words found in the status, parameters or
        error. A condition naming no column: the message saying so."""
        tests: list[Callable[[int], bool]] = []
        for term in (t.strip() for t in text.split(",")):
            if not term:
                continue
            match = _CONDITION.match(term)
            if match is None:
                tests.append(self._contains(term.lower()))
                continue
            name, op, number = match.groups()
            column = next(
                (i for i, c in enumerate(self.columns) if c.lower() == name.lower()), None
            )
            if column is None:
                return f"no column {name!r}"
            try:
                bound = float(number)
            except ValueError:
                return f"{number!r} is not a number"
            tests.append(self._compares(column, _OPS[op], bound))
        return lambda row: all(test(row) for test in tests)

    def _contains(self, word: str) -> Callable[[int], bool]:
        def test(row: int) -> bool:
            trial = self.rows[row]
            texts = [self.value(row, 1), trial.error or "", *map(str, trial.params.values())]
            return any(word in str(t).lower() for t in texts)

        return test

    def _compares(
        self, column: int, op: Callable[[float, float], bool], bound: float
    ) -> Callable[[int], bool]:
        def test(row: int) -> bool:
            value = _number(self.value(row, column))
            return value != _MISSING and op(value, bound)

        return test


def _days(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or math.isnan(seconds):
        return ""
    return f"{seconds / 86400:,.1f} d"


class TrialsFilter(QSortFilterProxyModel):
    """Sorts by value (``SORT_ROLE``) and keeps the rows the filter text accepts."""

    def __init__(self, source: TrialsModel) -> None:
        super().__init__()
        self._source = source
        self._accepts: Callable[[int], bool] | None = None
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)

    def set_filter(self, text: str) -> str:
        """Filter by ``text`` (see ``TrialsModel.matcher``); '' or why it cannot."""
        matcher = self._source.matcher(text)
        if isinstance(matcher, str):
            return matcher
        self.beginFilterChange()
        self._accepts = matcher if text.strip() else None
        self.endFilterChange()
        return ""

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        return self._accepts is None or self._accepts(source_row)
