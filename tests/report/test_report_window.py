"""Runs → Export report… in the run browser: written on the database thread, the banner
says where, a path that cannot be written is said in the banner and the window goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ostdesk.gui.runs import RunBrowser
from ostdesk.store import Database
from tests.gui.browser import browser_on
from tests.report.conftest import COMPLETED_RUN
from tests.report.page_reader import ReportPage


@pytest.fixture
def browser(qtbot: QtBot, runs_db: Path) -> Iterator[RunBrowser]:
    db = Database.open(runs_db)
    widget = browser_on(qtbot, db)
    yield widget
    widget.shutdown()
    db.close()


def test_export_report_is_offered_for_one_selected_run(browser: RunBrowser) -> None:
    action = browser.actions["report"]
    assert action.text() == "Export report…" and not action.isEnabled()
    browser.select_runs([COMPLETED_RUN])
    assert action.isEnabled()
    browser.select_runs([1, 2])
    assert not action.isEnabled()


def test_export_report_writes_the_file_and_says_where(
    qtbot: QtBot, browser: RunBrowser, tmp_path: Path
) -> None:
    out = tmp_path / "run-1.html"
    browser.export_report(COMPLETED_RUN, out)
    qtbot.waitUntil(lambda: not browser.worker.busy, timeout=10_000)
    assert browser.banner.text() == f"Wrote the report of run 1 to {out}"
    assert "Sharpe Ratio" in ReportPage.of(out).values


def test_a_report_that_cannot_be_written_is_said_in_the_banner(
    qtbot: QtBot, browser: RunBrowser, tmp_path: Path
) -> None:
    browser.export_report(COMPLETED_RUN, tmp_path / "missing" / "run.html")
    qtbot.waitUntil(lambda: not browser.worker.busy, timeout=10_000)
    assert "does not exist" in browser.banner.text()
    browser.refresh()  # the browser still works
    qtbot.waitUntil(lambda: browser.model.rowCount() == 2, timeout=10_000)
