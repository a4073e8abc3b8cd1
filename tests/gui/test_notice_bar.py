"""The notice bar keeps an error's most specific words in view."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ostdesk.gui.log_dock import NoticeBar

LONG = (
    "The backtest failed: recorder: the recording stopped after 2024-01-12 15:49:00 UTC: could "
    'not store its batch: Failed to commit: Could not write file "/home/trader/.local/share/'
    'ostdesk/ostdesk.duckdb.wal": No space left on device'
)


def test_a_long_notice_is_cut_in_the_middle_so_its_end_stays_readable(qtbot) -> None:  # type: ignore[no-untyped-def]
    bar = NoticeBar()
    qtbot.addWidget(bar)
    bar.resize(500, 30)
    bar.show_error(LONG)
    qtbot.waitUntil(lambda: bar.isVisible())
    label = bar.findChild(QLabel)
    assert label is not None
    qtbot.waitUntil(lambda: label.text() != LONG)  # laid out: too long for 500 px
    shown = label.text()
    assert shown.startswith("The backtest failed")
    assert shown.endswith("No space left on device")
    assert "…" in shown
    assert bar.text == LONG and label.toolTip() == LONG
    bar.resize(3000, 30)
    qtbot.waitUntil(lambda: label.text() == LONG)  # room again: the whole text
