"""Fitting a table's columns to their widest text by measuring a few cells, not every row.

Qt's ``sizeHintForColumn`` styles and measures each row it looks at (~10 us a cell under a
style sheet): a screenful of rows in ~15 columns held the window ~5 ms a table, after every
run. The values say which cells are likely the widest; only those are measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from PySide6.QtWidgets import QTableView

MOST_TEXTS = 8  # distinct long texts measured a column (equal lengths differ in pixels)
_DIGITS = str.maketrans("123456789", "000000000")  # digits are as wide as each other


def widest_rows(values: np.ndarray[Any, Any]) -> set[int]:
    """The rows whose text is likely the widest of a column. Texts: the first row of each
    distinct text at most one character shorter than the longest (letters differ in width;
    texts differing only in digits count as one). Numbers: the smallest and largest (a
    sign, more digits, the longest duration) and a missing one (shown as nothing, or as
    "nan")."""
    if not len(values):
        return set()
    if values.dtype == object or values.dtype.kind in "SU":
        return _longest_texts([str(v) for v in values])
    numbers = values.astype(np.float64)
    finite = np.flatnonzero(np.isfinite(numbers))
    missing = np.flatnonzero(~np.isfinite(numbers))[:1]
    rows = {int(i) for i in missing}
    if len(finite):
        shown = numbers[finite]
        rows |= {int(finite[np.argmin(shown)]), int(finite[np.argmax(shown)])}
    return rows


def _longest_texts(texts: list[str]) -> set[int]:
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    long = np.flatnonzero(lengths >= lengths.max() - 1)
    first: dict[str, int] = {}
    for row in long[np.argsort(-lengths[long], kind="stable")]:  # the longest first
        first.setdefault(texts[row].translate(_DIGITS), int(row))
        if len(first) == MOST_TEXTS:
            break
    return set(first.values())


def fitted_width(view: QTableView, column: int, rows: Iterable[int]) -> int:
    """The width showing ``column``'s header and its cells in ``rows`` whole: what
    ``sizeHintForColumn`` gives when those rows hold the widest cells."""
    header, model = view.horizontalHeader(), view.model()
    grid = 1 if view.showGrid() else 0  # as QTableView.sizeHintForColumn adds
    width = header.sectionSizeHint(column)
    for row in rows:
        width = max(width, view.sizeHintForIndex(model.index(int(row), column)).width() + grid)
    return width
