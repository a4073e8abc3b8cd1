"""The run browser on a real DuckDB file: listing, sorting, search, filters, opening, editing,
deleting, exporting, live updates and a database held by another process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.runs import RunBrowser
from ostdesk.gui.runs.table import COLUMN_KEYS
from ostdesk.store import DEMO_SYMBOLS, Database, install_demo_data
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.run_schema import EVENT_TABLES
from ostdesk.store.runs import get_run
from ostdesk.store.timefmt import utc_now
from ostdesk.strategies.sma_cross import SmaCross
from tests.gui.browser import browser_on

BIG_ID = 5_000_000_000  # beyond 32 bits: must survive Qt signals intact


def insert_runs(db: Database, n: int) -> None:
    """``n`` generated runs (no event rows): strategies, statuses, symbols and stats vary."""
    db.connection.execute(
        """
        INSERT INTO runs (name, strategy, params, symbols, period, capital, commission,
                          slippage_ticks, app_version, data_fingerprint, status, started_at,
                          ended_at, bars, first_bar_ns, last_bar_ns, equity_final, return_pct,
                          cagr_pct, sharpe, max_drawdown_pct, trades, win_rate_pct,
                          profit_factor)
        SELECT 'run ' || i, CASE WHEN i % 3 = 0 THEN 'Breakout' ELSE 'SmaCross' END,
               '{"fast": ' || (i % 50) || ', "slow": 30}', ['SYM' || (i % 7)], 'minute',
               100000, 'none', 0, '0.1.0', 'x',
               CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'completed' END,
               TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE,
               TIMESTAMP '2024-01-01' + i * INTERVAL 1 MINUTE + INTERVAL 3 SECOND,
               1000, 1704067200000000000, 1704153600000000000, 100000 + i,
               (i * 37 % 101) / 10.0 - 5, i / 200, (i * 53 % 97) / 10.0 - 3,
               -((i * 13) % 17) / 1.0, i % 300, (i * 7) % 100, 1 + (i % 9) / 10
        FROM range(?) t(i)
        """,
        [n],
    )


def make_real_runs(path: Path) -> None:
    """Demo data and three recorded SMA crossover runs (every event table filled)."""
    with Database.open(path) as db:
        install_demo_data(db)
        for symbol, fast in zip(DEMO_SYMBOLS[:3], (5, 10, 20), strict=True):
            config = BacktestConfig(
                strategy=SmaCross,
                symbols=(symbol,),
                period=BarPeriod.MINUTE,
                params={"fast": fast, "slow": 40},
                name=f"sma {fast}",
            )
            prepare_backtest(db, config).run()


@pytest.fixture(scope="module")
def real_runs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "real-runs.duckdb"
    make_real_runs(path)
    return path


@pytest.fixture
def real_db(real_runs_template: Path, db_path: Path) -> Iterator[Database]:
    shutil.copy(real_runs_template, db_path)
    db = Database.open(db_path)
    yield db
    db.close()


@pytest.fixture
def generated_db(db_path: Path) -> Iterator[Database]:
    db = Database.open(db_path)
    insert_runs(db, 500)
    yield db
    db.close()


@pytest.fixture
def browser(qtbot: QtBot, generated_db: Database) -> Iterator[RunBrowser]:
    widget = browser_on(qtbot, generated_db)
    yield widget
    widget.shutdown()


@pytest.fixture
def real_browser(qtbot: QtBot, real_db: Database) -> Iterator[RunBrowser]:
    widget = browser_on(qtbot, real_db)
    yield widget
    widget.shutdown()


def shown_ids(browser: RunBrowser) -> list[int]:
    return [browser.model.run_id_at(r) for r in range(browser.model.rowCount())]


def column_texts(browser: RunBrowser, key: str) -> list[str]:
    col = COLUMN_KEYS.index(key)
    model = browser.model
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def sql_ids(db: Database, where: str, params: list[object] | None = None) -> list[int]:
    rows = db.connection.execute(
        f"SELECT run_id FROM runs WHERE {where} ORDER BY run_id DESC", params or []
    ).fetchall()
    return [int(r[0]) for r in rows]


def answer_next_message_box(button: QMessageBox.StandardButton) -> list[str]:
    """Press ``button`` on the next modal message box; return its text once shown."""
    seen: list[str] = []

    def press() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(10, press)

    QTimer.singleShot(0, press)
    return seen


def test_lists_every_run_newest_first_with_headline_stats(browser: RunBrowser) -> None:
    assert browser.model.rowCount() == 500
    assert shown_ids(browser)[:3] == [500, 499, 498]
    assert browser.count_label.text() == "500 runs"
    row = browser.model.rows_of([500])[0]
    assert browser.model.value(row, "trades") == 499 % 300
    assert column_texts(browser, "status")[0] == "completed"
    assert column_texts(browser, "wall")[0] == "3.0 s"


def test_clicking_a_header_sorts_by_that_column(browser: RunBrowser) -> None:
    column = COLUMN_KEYS.index("sharpe")
    browser.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    sharpe = [browser.model.value(r, "sharpe") for r in range(browser.model.rowCount())]
    assert sharpe == sorted(sharpe, reverse=True)
    browser.table.sortByColumn(COLUMN_KEYS.index("name"), Qt.SortOrder.AscendingOrder)
    names = column_texts(browser, "name")
    assert names == sorted(names, key=str.lower)


def test_typing_in_the_search_box_filters_name_strategy_symbol_and_parameters(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database
) -> None:
    qtbot.keyClicks(browser.search_box, "fast=7")
    assert shown_ids(browser) == sql_ids(generated_db, "params LIKE '%\"fast\": 7,%'")
    browser.search_box.setText("breakout sym3")
    expected = sql_ids(generated_db, "strategy = 'Breakout' AND symbols[1] = 'SYM3'")
    assert shown_ids(browser) == expected and expected
    assert browser.count_label.text() == f"{len(expected)} of 500"
    browser.search_box.clear()
    assert browser.model.rowCount() == 500


def test_status_and_strategy_filters_combine_with_the_search(
    browser: RunBrowser, generated_db: Database
) -> None:
    browser.status_box.setCurrentIndex(browser.status_box.findData("failed"))
    browser.strategy_box.setCurrentIndex(browser.strategy_box.findData("Breakout"))
    expected = sql_ids(generated_db, "status = 'failed' AND strategy = 'Breakout'")
    assert shown_ids(browser) == expected and expected
    browser.search_box.setText("sym0")
    assert shown_ids(browser) == [
        i for i in expected if i in sql_ids(generated_db, "symbols[1] = 'SYM0'")
    ]


def test_date_filter_hides_runs_started_before_the_period(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database
) -> None:
    generated_db.connection.execute(
        "UPDATE runs SET started_at = ? WHERE run_id IN (7, 8)", [utc_now()]
    )
    with qtbot.waitSignal(browser.refreshed):
        browser.refresh()
    browser.date_box.setCurrentIndex(browser.date_box.findText("Last 7 days"))
    assert shown_ids(browser) == [8, 7]
    browser.date_box.setCurrentIndex(browser.date_box.findText("Any date"))
    assert browser.model.rowCount() == 500


def test_open_emits_the_run_id_as_a_python_int_even_beyond_32_bits(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database
) -> None:
    generated_db.connection.execute(
        "INSERT INTO runs (run_id, strategy, params, symbols, period, capital, commission,"
        " slippage_ticks, app_version, data_fingerprint, status, started_at)"
        " VALUES (?, 'SmaCross', '{}', ['X'], 'minute', 1, 'none', 0, '0', 'x', 'completed',"
        " ?)",
        [BIG_ID, utc_now()],
    )
    with qtbot.waitSignal(browser.refreshed):
        browser.refresh()
    browser.select_runs([BIG_ID])
    with qtbot.waitSignal(browser.openRequested) as opened:
        browser.actions["open"].trigger()
    assert opened.args == [BIG_ID] and type(opened.args[0]) is int
    row = browser.model.rows_of([BIG_ID])[0]
    with qtbot.waitSignal(browser.openRequested) as opened:
        browser.table.doubleClicked.emit(browser.model.index(row, 1))
    assert opened.args == [BIG_ID]


def test_compare_emits_the_selected_runs_and_needs_two(qtbot: QtBot, browser: RunBrowser) -> None:
    browser.select_runs([10])
    assert not browser.actions["compare"].isEnabled()
    browser.select_runs([10, 20, 30])
    with qtbot.waitSignal(browser.compareRequested) as compared:
        browser.actions["compare"].trigger()
    assert sorted(compared.args[0]) == [10, 20, 30]


def test_selection_survives_a_sort_and_a_refresh(qtbot: QtBot, browser: RunBrowser) -> None:
    browser.select_runs([42, 43])
    browser.table.sortByColumn(COLUMN_KEYS.index("sharpe"), Qt.SortOrder.AscendingOrder)
    assert sorted(browser.selected_run_ids()) == [42, 43]
    with qtbot.waitSignal(browser.refreshed):
        browser.refresh()
    assert sorted(browser.selected_run_ids()) == [42, 43]


def test_rename_notes_and_tags_are_saved_in_the_database(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database, db_path: Path
) -> None:
    with qtbot.waitSignal(browser.refreshed):
        browser.edit_run(12, name="Tuned baseline", notes="good on SYM5", tags=["a", "b"])
    row = browser.model.rows_of([12])[0]
    assert browser.model.value(row, "name") == "Tuned baseline"
    browser.search_box.setText("good on")
    assert shown_ids(browser) == [12]
    browser.shutdown()
    generated_db.close()
    with Database.open(db_path) as reopened:
        run = get_run(reopened, 12)
    assert run["name"] == "Tuned baseline" and run["notes"] == "good on SYM5"
    assert run["tags"] == ["a", "b"]


def test_the_edit_dialog_saves_what_is_typed(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database
) -> None:
    from ostdesk.gui.runs.dialogs import RunEditDialog

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RunEditDialog):
            QTimer.singleShot(10, fill)
            return
        dialog.name_edit.setText("renamed")
        dialog.tags_edit.setText("x, y ,x")
        dialog.notes_edit.setPlainText("a note")
        dialog.accept()

    browser.select_runs([5])
    QTimer.singleShot(0, fill)
    with qtbot.waitSignal(browser.refreshed):
        browser.actions["edit"].trigger()
    run = get_run(generated_db, 5)
    assert (run["name"], run["tags"], run["notes"]) == ("renamed", ["x", "y"], "a note")


def event_rows(db: Database, run_ids: list[int]) -> dict[str, int]:
    con = db.connection
    counts = {}
    for table in (*EVENT_TABLES, "runs"):
        row = con.execute(
            f"SELECT count(*) FROM {table} WHERE run_id IN (SELECT unnest(?))", [run_ids]
        ).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def test_delete_asks_first_and_then_removes_the_runs_from_every_table(
    qtbot: QtBot, real_browser: RunBrowser, real_db: Database
) -> None:
    assert shown_ids(real_browser) == [3, 2, 1]
    before = event_rows(real_db, [1, 2])
    assert all(before[t] > 0 for t in ("run_bars", "run_fills", "run_equity", "run_trades"))
    kept = event_rows(real_db, [3])
    real_browser.select_runs([1, 2])
    seen = answer_next_message_box(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(real_browser.runsDeleted) as deleted:
        real_browser.actions["delete"].trigger()
    assert "2 runs" in seen[0]
    assert sorted(deleted.args[0]) == [1, 2]
    qtbot.waitUntil(lambda: shown_ids(real_browser) == [3])
    assert all(n == 0 for n in event_rows(real_db, [1, 2]).values())
    assert event_rows(real_db, [3]) == kept


def test_cancelling_the_delete_confirmation_keeps_the_runs(
    qtbot: QtBot, real_browser: RunBrowser, real_db: Database
) -> None:
    before = event_rows(real_db, [1])
    real_browser.select_runs([1])
    answer_next_message_box(QMessageBox.StandardButton.Cancel)
    real_browser.actions["delete"].trigger()
    qtbot.waitUntil(lambda: not real_browser.worker.busy)
    assert event_rows(real_db, [1]) == before
    assert shown_ids(real_browser) == [3, 2, 1]


def test_rerun_emits_the_stored_configuration(qtbot: QtBot, real_browser: RunBrowser) -> None:
    real_browser.select_runs([2])
    with qtbot.waitSignal(real_browser.rerunRequested) as rerun:
        real_browser.actions["rerun"].trigger()
    config = rerun.args[0]
    assert config["strategy"] == "SmaCross"
    assert config["params"]["fast"] == 10 and config["params"]["slow"] == 40
    assert config["symbols"] == [DEMO_SYMBOLS[1]]


def test_export_writes_fills_trades_and_equity_as_csv_and_parquet(
    qtbot: QtBot, real_browser: RunBrowser, real_db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    real_browser.export_runs([1], ["fills", "trades", "equity"], folder, "csv")
    real_browser.export_runs([1], ["trades"], folder, "parquet")
    qtbot.waitUntil(lambda: not real_browser.worker.busy)
    assert "Exported 1 files" in real_browser.banner.text()
    n_trades = real_db.connection.execute(
        "SELECT count(*) FROM run_trades WHERE run_id = 1"
    ).fetchone()
    assert len(pd.read_csv(folder / "run-1-trades.csv")) == n_trades[0] > 0
    assert len(pd.read_parquet(folder / "run-1-trades.parquet")) == n_trades[0]
    assert len(pd.read_csv(folder / "run-1-fills.csv")) > 0
    equity = pd.read_csv(folder / "run-1-equity.csv")
    assert np.isfinite(equity["equity"]).all()


def test_a_started_run_appears_as_running_and_changes_when_it_ends(
    qtbot: QtBot, browser: RunBrowser, generated_db: Database
) -> None:
    con = generated_db.connection
    con.execute(
        "INSERT INTO runs (strategy, params, symbols, period, capital, commission,"
        " slippage_ticks, app_version, data_fingerprint, status, started_at)"
        " VALUES ('SmaCross', '{}', ['X'], 'minute', 1, 'none', 0, '0', 'x', 'running', ?)",
        [utc_now()],
    )
    run_id = int(con.execute("SELECT max(run_id) FROM runs").fetchone()[0])
    with qtbot.waitSignal(browser.refreshed):
        browser.run_started(run_id)
    assert shown_ids(browser)[0] == run_id
    assert column_texts(browser, "status")[0] == "running"
    assert column_texts(browser, "wall")[0].endswith(" s")  # counting since the start
    con.execute(
        "UPDATE runs SET status = 'completed', ended_at = ?, sharpe = 1.5 WHERE run_id = ?",
        [utc_now(), run_id],
    )
    with qtbot.waitSignal(browser.refreshed):
        browser.run_finished(run_id)
    assert column_texts(browser, "status")[0] == "completed"
    assert column_texts(browser, "sharpe")[0] == "1.50"


def test_a_database_held_by_another_process_gives_a_clear_message(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        browser = RunBrowser()
        qtbot.addWidget(browser)
        assert browser.open_file(path) is False
        text = browser.banner.text()
        assert "in use by another process" in text and str(path) in text
        assert f"PID {holder.pid}" in text
        assert browser.banner.isVisibleTo(browser)
        assert browser.model.rowCount() == 0
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_failed_runs_status_says_why_in_its_tooltip(qtbot: QtBot, generated_db: Database) -> None:
    con = generated_db.connection
    con.execute(
        "UPDATE runs SET status = 'failed', error = ? WHERE run_id = 500",
        [
            "the recording stopped after 2024-01-02 10:00:00 UTC: could not store its batch: "
            "No space left on device\n\nmore detail"
        ],
    )
    con.execute(
        "UPDATE runs SET status = 'failed', error = ? WHERE run_id = 499",
        ['Traceback (most recent call last):\n  File "x.py", line 3\nRuntimeError: bug at bar 5\n'],
    )
    widget = browser_on(qtbot, generated_db)
    try:
        model = widget.model
        col = COLUMN_KEYS.index("status")
        tips = {
            run_id: model.data(
                model.index(model.rows_of([run_id])[0], col), Qt.ItemDataRole.ToolTipRole
            )
            for run_id in (500, 499, 498)
        }
    finally:
        widget.shutdown()
    assert tips[500] == (
        "the recording stopped after 2024-01-02 10:00:00 UTC: could not store its batch: "
        "No space left on device"
    )
    assert tips[499] == "RuntimeError: bug at bar 5"
    assert tips[498] is None
