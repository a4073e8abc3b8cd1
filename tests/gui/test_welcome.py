"""The welcome page: never cut, however little room the docks leave it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ostdesk.gui.welcome import WelcomePanel


def test_a_short_welcome_page_scrolls_instead_of_cutting_its_text(qtbot: QtBot) -> None:
    """With the Optimize dock open the chart's place is ~250 px high: the wrapped body lost
    its last line ("bars with Import bars…" cut in half)."""
    panel = WelcomePanel("/tmp/some/ostdesk.duckdb")
    qtbot.addWidget(panel)
    panel.set_state(has_data=True, runs=[])
    panel.resize(900, 160)
    panel.show()
    qtbot.waitExposed(panel)
    body = panel.body
    qtbot.waitUntil(lambda: body.height() >= body.heightForWidth(body.width()))
    assert body.heightForWidth(body.width()) > body.fontMetrics().height()  # it wraps
