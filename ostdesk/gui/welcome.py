"""What the window shows in place of the chart while no run is on it: never empty axes, but
the next useful step. An empty store offers the demo data and its ready SMA-crossover run; a
store with data lists its latest runs (one click shows one) beside "Run the demo" and
"Import bars…"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

RECENT_RUNS = 8
_WIDTH = 720  # the panel's column
_RUN_ID = Qt.ItemDataRole.UserRole

_NO_DATA = (
    "There is no market data in this database yet.\n"
    "Install the synthetic demo data (five DEMO-… symbols, four weeks of minute bars) "
    "and run a moving-average crossover on it, or import your own bars with "
    "File → Import bars… (or `ostdesk import`)."
)
_NO_RUN = (
    "No run is shown. Open one of the latest runs below (all of them are in the Runs tab), "
    "run the demo SMA crossover, or configure a strategy on the left and press Run (F5)."
)
_NO_RUN_YET = (
    "No run yet. Run the demo SMA crossover, or configure a strategy on the left and "
    "press Run (F5); import your own bars with Import bars…"
)


def recent_run_lines(runs: dict[str, Any]) -> list[tuple[int, str]]:
    """``(run_id, one line)`` per run of ``list_runs``' columns: what identifies a run to a
    trader (name, strategy, symbols) and how it went."""
    lines = []
    for i in range(len(runs.get("run_id", ()))):
        name = runs["name"][i]
        symbols = list(runs["symbols"][i]) if runs["symbols"][i] is not None else []
        shown = ", ".join(symbols[:3]) + (f" +{len(symbols) - 3}" if len(symbols) > 3 else "")
        text = f"Run {int(runs['run_id'][i])}" + (f" — {name}" if name else "")
        text += f" · {runs['strategy'][i]} on {shown} · {runs['status'][i]}"
        ret, trades = _number(runs, "return_pct", i), _number(runs, "trades", i)
        if ret is not None:
            text += f" · return {ret:+.2f}%"
        if trades is not None:
            text += f" · {int(trades):,} trades"
        lines.append((int(runs["run_id"][i]), text))
    return lines


def _number(runs: dict[str, Any], key: str, i: int) -> float | None:
    """The value, or None where the store has none (masked, NULL or NaN)."""
    column = runs.get(key)
    value = column[i] if column is not None else None
    if value is None or np.ma.is_masked(value):
        return None
    number = float(value)
    return None if math.isnan(number) else number


class WelcomePanel(QWidget):
    """The chart's stand-in: ``set_state`` says whether the store has data and which runs
    it holds; the buttons and the list ask the window to act."""

    runDemoRequested = Signal()
    installDemoRequested = Signal()
    importRequested = Signal()
    openRunRequested = Signal(int)

    def __init__(self, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Welcome to ostdesk")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel(_NO_DATA)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.db_label = QLabel(f"Database: {db_path}")
        self.db_label.setWordWrap(True)
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.db_label.setStyleSheet("color: palette(mid);")
        self.recent_label = QLabel("Latest runs")
        self.recent_label.setStyleSheet("font-weight: 600;")
        self.recent = QListWidget()
        self.recent.setToolTip("Double-click (or Enter) shows the run on the chart")
        # its height is set to its rows: a scroll bar would hide the last one
        for policy in (
            self.recent.setHorizontalScrollBarPolicy,
            self.recent.setVerticalScrollBarPolicy,
        ):
            policy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recent.itemActivated.connect(self._on_activated)
        self.open_button = QPushButton("Show run")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_current)
        self.recent.currentItemChanged.connect(
            lambda item, _: self.open_button.setEnabled(item is not None)
        )
        self.run_button = QPushButton("Install demo data and run SMA crossover")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.runDemoRequested)
        self.install_button = QPushButton("Install demo data only")
        self.install_button.clicked.connect(self.installDemoRequested)
        self.import_button = QPushButton("Import bars…")
        self.import_button.clicked.connect(self.importRequested)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.run_button, self.install_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.body)
        column.addSpacing(8)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent)
        column.addSpacing(8)
        column.addLayout(buttons)
        column.addSpacing(8)
        column.addWidget(self.db_label)
        box = QWidget()
        box.setFixedWidth(_WIDTH)  # a fixed width lets the wrapped text take its full height
        box.setLayout(column)
        margins = column.contentsMargins()
        # what a line of the list has room for: the box less its margins, the list's frame and
        # an item's padding (lines are elided to it, the whole line is the item's tooltip)
        self._text_width = _WIDTH - margins.left() - margins.right()
        self._line_room = self._text_width - 2 * self.recent.frameWidth() - 8
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        # scrolls when the docks leave the chart's place short (the Optimize dock takes 60% of
        # the height): squeezed, the layout cut the wrapped text's last line
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.set_state(has_data=False, runs=[])

    def set_state(self, *, has_data: bool, runs: list[tuple[int, str]]) -> None:
        """Offer the demo install while the store is empty, else the latest ``runs``
        (``recent_run_lines``) to show one of."""
        self.title.setText("Welcome to ostdesk" if not has_data else "No run on the chart")
        self.body.setText(_NO_DATA if not has_data else _NO_RUN if runs else _NO_RUN_YET)
        for label in (self.body, self.db_label):  # a layout gives wrapped text too little height
            label.setMinimumHeight(label.heightForWidth(self._text_width))
        self.run_button.setText(
            "Install demo data and run SMA crossover" if not has_data else "Run the demo"
        )
        self.install_button.setVisible(not has_data)
        self.recent.clear()
        metrics = self.recent.fontMetrics()
        for run_id, text in runs[:RECENT_RUNS]:
            item = QListWidgetItem(
                metrics.elidedText(text, Qt.TextElideMode.ElideRight, self._line_room)
            )
            item.setData(_RUN_ID, run_id)
            item.setToolTip(text)
            self.recent.addItem(item)
        shown = bool(runs)
        self.recent_label.setVisible(shown)
        self.recent.setVisible(shown)
        self.open_button.setVisible(shown)
        rows = min(len(runs), RECENT_RUNS)
        frame = 2 * self.recent.frameWidth()
        self.recent.setFixedHeight(self.recent.sizeHintForRow(0) * rows + frame if rows else 0)

    def run_ids(self) -> list[int]:
        """The runs listed, newest first."""
        return [int(self.recent.item(i).data(_RUN_ID)) for i in range(self.recent.count())]

    def _on_activated(self, item: QListWidgetItem) -> None:
        self.openRunRequested.emit(int(item.data(_RUN_ID)))

    def _open_current(self) -> None:
        item = self.recent.currentItem()
        if item is not None:
            self._on_activated(item)
