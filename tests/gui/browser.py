"""A run browser on a database, its first listing done: what browser tests start from."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ostdesk.gui.runs.browser import RunBrowser
from ostdesk.store import Database


def browser_on(qtbot: QtBot, db: Database) -> RunBrowser:
    browser = RunBrowser()
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.refreshed, timeout=10_000):
        browser.set_database(db)
    return browser
