"""What an empty store shows in place of the chart: one click installs the demo data and
runs the ready SMA crossover, or imports start with File > Import bars."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePanel(QWidget):
    """Shown while the store has no market data: the first run is one click away."""

    runDemoRequested = Signal()
    installDemoRequested = Signal()

    def __init__(self, db_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Welcome to ostdesk")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        body = QLabel(
            "There is no market data in this database yet.\n"
            "Install the synthetic demo data (five DEMO-… symbols, four weeks of minute bars) "
            "and run a moving-average crossover on it, or import your own bars with "
            "File → Import bars… (or `ostdesk import`).\n\n"
            f"Database: {db_path}"
        )
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton("Install demo data and run SMA crossover")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.runDemoRequested)
        self.install_button = QPushButton("Install demo data only")
        self.install_button.clicked.connect(self.installDemoRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.install_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(body)
        column.addSpacing(12)
        column.addLayout(buttons)
        box = QWidget()
        box.setFixedWidth(600)  # a fixed width lets the wrapped text take its full height
        box.setLayout(column)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
