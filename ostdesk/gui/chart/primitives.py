"""Draw numpy arrays of lines/rects with one QPainter call each.

PySide6 accepts a pointer to a C array of QLineF/QRectF, which is exactly the memory of an
``(n, 4)`` float64 array: thousands of shapes cost one call and no Python objects
(pyqtgraph's internal ``PrimitiveArray`` does the same).
"""

from __future__ import annotations

from typing import TypeVar, cast

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

from ostdesk.gui.chart.series import FloatArray

T = TypeVar("T")


def _ptr(arr: FloatArray, klass: type[T]) -> T:
    if arr.dtype != np.float64 or not arr.flags.c_contiguous:
        raise ValueError("primitive arrays must be C-contiguous float64")
    return cast(T, shiboken6.wrapInstance(arr.ctypes.data, klass))


def draw_lines(painter: QPainter, lines: FloatArray) -> int:
    """``lines`` is ``(n, 4)``: x1, y1, x2, y2."""
    if len(lines):
        painter.drawLines(_ptr(lines, QLineF), len(lines))
    return len(lines)


def draw_rects(painter: QPainter, rects: FloatArray) -> int:
    """``rects`` is ``(n, 4)``: x, y, width, height."""
    if len(rects):
        painter.drawRects(_ptr(rects, QRectF), len(rects))
    return len(rects)
