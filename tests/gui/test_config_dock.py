"""The strategy dock: data bounds from the store, validity and Run, presets, last used, Re-run."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt

from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.gui.config import ConfigDock
from ostdesk.gui.config.data_selection import DAY_NS
from ostdesk.store import Database
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.presets import SavedConfig
from ostdesk.store.runs import get_run
from ostdesk.strategies.rsi_reversion import RsiReversion
from ostdesk.strategies.sma_cross import SmaCross

DAY0 = 19_723  # 2024-01-01, days since the epoch


def add_bars(db: Database, symbol: str, period: str, first_day: int, days: int) -> None:
    """``days`` daily-spaced bars of ``symbol`` from ``first_day``, rising by 1 each bar."""
    step = BarPeriod.parse(period).value
    per_day = DAY_NS // step
    db.connection.execute(
        "INSERT INTO instruments (symbol) VALUES (?) ON CONFLICT DO NOTHING", [symbol]
    )
    db.connection.execute(
        "INSERT INTO bars SELECT ?, ?, ? + i * ?, 100 + i, 101 + i, 99 + i, 100.5 + i, 10"
        " FROM range(?) t(i)",
        [symbol, period, first_day * DAY_NS, step, days * per_day],
    )


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    add_bars(database, "AAA", "day", DAY0, 100)  # 2024-01-01 .. 2024-04-09
    add_bars(database, "BBB", "day", DAY0 + 50, 200)  # 2024-02-20 .. 2024-09-06
    add_bars(database, "AAA", "hour", DAY0, 10)
    yield database
    database.close()


def make_dock(qtbot, db: Database | None, tmp_path: Path) -> ConfigDock:  # type: ignore[no-untyped-def]
    dock = ConfigDock(strategy_dirs=[tmp_path / "strategies"])
    qtbot.addWidget(dock)
    if db is not None:
        with qtbot.waitSignal(dock.data.summaryLoaded):
            dock.set_database(db)
    return dock


def check(dock: ConfigDock, symbol: str, checked: bool = True) -> None:
    lst = dock.data.symbol_list
    for row in range(lst.count()):
        item = lst.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == symbol:
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            return
    raise AssertionError(f"{symbol} is not listed")


def test_a_fresh_database_opens_on_a_runnable_default(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    assert dock.strategy() is SmaCross
    assert dock.data.symbols() == ["AAA", "BBB"]
    assert dock.data.period() is BarPeriod.DAY  # the only period both symbols have
    assert dock.run_button.isEnabled()
    config = dock.config()
    assert config.symbols == ("AAA", "BBB") and config.start_ns is None


def test_changing_symbols_updates_the_date_bounds_and_the_coverage_hint(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    data = dock.data
    check(dock, "BBB", False)
    assert data.start_edit.minimumDate() == QDate(2024, 1, 1)
    assert data.end_edit.maximumDate() == QDate(2024, 4, 9)
    assert "AAA: 2024-01-01 → 2024-04-09, 100 day bars" in data.hint.text()
    check(dock, "BBB")
    assert data.end_edit.maximumDate() == QDate(2024, 9, 6)
    assert data.end_edit.date() == QDate(2024, 9, 6)
    assert "all have data 2024-02-20 → 2024-04-09" in data.hint.text()
    check(dock, "AAA", False)
    assert data.start_edit.minimumDate() == QDate(2024, 2, 20)


def test_picked_dates_become_a_half_open_range_that_includes_the_end_day(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.data.start_edit.setDate(QDate(2024, 3, 1))
    dock.data.end_edit.setDate(QDate(2024, 3, 31))
    config = dock.config()
    assert config.start_ns == (DAY0 + 60) * DAY_NS
    assert config.end_ns == (DAY0 + 91) * DAY_NS
    dock.data.end_edit.setDate(QDate(2024, 2, 1))
    assert not dock.run_button.isEnabled()
    assert "end date is before the start" in dock.reason_label.text()


def test_a_period_a_symbol_lacks_disables_run_with_the_reason(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    with qtbot.waitSignal(dock.validityChanged) as validity:
        dock.data.period_box.setCurrentIndex(dock.data.period_box.findData(BarPeriod.HOUR))
    assert validity.args == [False, "No hour bars are stored for BBB"]
    assert not dock.run_button.isEnabled()
    with pytest.raises(ValueError, match="No hour bars are stored for BBB"):
        dock.config()
    check(dock, "BBB", False)
    assert dock.run_button.isEnabled()


def test_an_invalid_parameter_combination_disables_run_with_the_reason(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    with qtbot.waitSignal(dock.validityChanged) as validity:
        dock.form.fields["fast"].editor.setValue(30)
    assert validity.args[0] is False
    assert "Fast" in validity.args[1] and "shorter than slow" in validity.args[1]
    assert dock.reason_label.text() == validity.args[1]
    assert not dock.run_button.isEnabled()
    qtbot.mouseClick(dock.run_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    with qtbot.waitSignal(dock.validityChanged) as validity:
        dock.form.fields["slow"].editor.setValue(60)
    assert validity.args == [True, ""]


def test_run_emits_the_configuration_the_form_shows(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.select_strategy("RsiReversion")
    dock.form.fields["length"].editor.setValue(21)
    check(dock, "BBB", False)
    dock.account.capital_spin.setValue(5_000)
    dock.account.per_unit_spin.setValue(0.01)
    dock.account.minimum_spin.setValue(1)
    dock.account.slippage_spin.setValue(2)
    dock.account.name_edit.setText("try")
    with qtbot.waitSignal(dock.runRequested) as requested:
        qtbot.mouseClick(dock.run_button, Qt.MouseButton.LeftButton)
    config = requested.args[0]
    assert isinstance(config, BacktestConfig)
    assert config.strategy is RsiReversion
    assert config.params["length"] == 21 and config.params["oversold"] == 30.0
    assert config.symbols == ("AAA",) and config.period is BarPeriod.DAY
    assert (config.capital, config.slippage_ticks, config.name) == (5_000, 2, "try")
    assert config.commission == CommissionModel(per_unit=0.01, minimum=1)
    assert config.make_strategy().parameters["length"] == 21
    dock.set_running(True)
    assert not dock.run_button.isEnabled()
    dock.set_running(False)
    assert dock.run_button.isEnabled()


def test_a_preset_round_trips_through_the_dock(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.select_strategy("RsiReversion")
    dock.form.fields["stop_pct"].editor.setValue(3.5)
    check(dock, "AAA", False)
    dock.data.start_edit.setDate(QDate(2024, 3, 1))
    dock.account.capital_spin.setValue(12_345)
    saved = dock.saved_config()
    assert dock.save_preset(" dip buyer ") == "dip buyer"
    assert dock.presets.names() == ["dip buyer"]

    dock.select_strategy("SmaCross")
    check(dock, "AAA")
    dock.data.use_full_range()
    dock.account.capital_spin.setValue(1)
    with qtbot.waitSignal(dock.presets.loadRequested):
        dock.presets.combo.setCurrentIndex(1)
        dock.presets.combo.activated.emit(1)
    assert dock.saved_config() == saved
    assert dock.strategy() is RsiReversion
    assert dock.form.values()["stop_pct"] == 3.5

    dock.presets.rename("dip buyer", "dips")
    assert dock.presets.names() == ["dips"] and dock.presets.current == "dips"
    dock.presets.delete("dips")
    assert dock.presets.names() == []


def test_the_last_used_configuration_is_restored_at_start_up(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = make_dock(qtbot, db, tmp_path)
    first.select_strategy("BollingerBreakout")
    first.form.fields["width"].editor.setValue(2.5)
    check(first, "AAA", False)
    with qtbot.waitSignal(first.runRequested):
        first.request_run()  # a run saves it at once (edits save it after a short delay)
    second = make_dock(qtbot, db, tmp_path)
    assert second.strategy().__name__ == "BollingerBreakout"
    assert second.form.values()["width"] == 2.5
    assert second.data.symbols() == ["BBB"]


def test_edits_are_saved_as_last_used_after_a_short_delay(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.account.capital_spin.setValue(777)
    from ostdesk.store.presets import load_last_used

    qtbot.waitUntil(lambda: (load_last_used(db) or SavedConfig()).capital == 777, timeout=3_000)


def test_starting_and_ending_a_run_saves_nothing(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The configuration did not change: a save would be a database write on the main
    thread in the middle of the run."""
    dock = make_dock(qtbot, db, tmp_path)
    dock.save_last_used()
    dock.set_running(True)
    dock.set_running(False)
    assert not dock._save_timer.isActive()


def test_an_edit_still_to_save_when_a_run_starts_is_saved_before_it(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ostdesk.store.presets import load_last_used

    dock = make_dock(qtbot, db, tmp_path)
    dock.account.capital_spin.setValue(778)
    assert dock._save_timer.isActive(), "an edit is saved after a short delay"
    dock.set_running(True)  # the run is held while the window prepares
    assert not dock._save_timer.isActive()
    assert (load_last_used(db) or SavedConfig()).capital == 778


def test_re_run_fills_the_form_from_a_recorded_run(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("BBB",),
        period=BarPeriod.DAY,
        params={"fast": 4, "slow": 9, "fraction": 0.95, "size": 3.0},
        start_ns=(DAY0 + 60) * DAY_NS + 3_600_000_000_000,  # not on a day boundary: kept exact
        end_ns=(DAY0 + 120) * DAY_NS,
        capital=20_000.0,
        commission=CommissionModel(percent=0.05),
        slippage_ticks=0.5,
        name="recorded",
    )
    run = prepare_backtest(db, config)
    run.run()
    dock = make_dock(qtbot, db, tmp_path)
    dock.select_strategy("RsiReversion")
    dock.load_config(SavedConfig.from_run(get_run(db, run.recording.run_id)).to_dict())
    assert dock.config() == config
    assert dock.data.start_edit.date() == QDate(2024, 3, 1)
    assert not dock.notes_label.isVisibleTo(dock)


def test_a_configuration_of_a_missing_strategy_or_symbol_says_so(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.load_config({"strategy": "Vanished", "symbols": ["ZZZ"], "period": "day"})
    assert "strategy 'Vanished' is not loaded" in dock.notes_label.text()
    assert "No day bars are stored for ZZZ" in dock.reason_label.text()
    assert not dock.run_button.isEnabled()
    check(dock, "ZZZ", False)
    check(dock, "AAA")
    assert dock.run_button.isEnabled()


def test_without_a_database_run_is_disabled(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, None, tmp_path)
    assert not dock.run_button.isEnabled()
    assert dock.reason_label.text() == "No database is open"
    assert dock.open_import_dialog() is None


def test_re_run_repeats_the_recorded_configuration_as_a_named_re_run_leaving_the_form(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Re-run runs the recorded run again; the form (and the name of later runs) is untouched."""
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("BBB",),
        period=BarPeriod.DAY,
        params={"fast": 4, "slow": 9},
        capital=20_000.0,
        name="recorded",
    )
    run = prepare_backtest(db, config)
    run.run()
    run_id = run.recording.run_id
    dock = make_dock(qtbot, db, tmp_path)
    dock.select_strategy("RsiReversion")
    before = dock.saved_config()

    again, source = dock.rerun_config(get_run(db, run_id))

    assert source == "built-in"
    assert again.name == f"recorded (re-run of run {run_id})"
    assert again.strategy is SmaCross and again.params["fast"] == 4
    assert dataclasses.replace(again, name="", tick_sizes={}) == dataclasses.replace(
        config, name="", params=again.params
    )
    assert dock.saved_config() == before and dock.account.run_name() == ""
    row = {**get_run(db, run_id), "name": again.name, "run_id": 7}
    assert dock.rerun_config(row)[0].name == "recorded (re-run of run 7)"
    with pytest.raises(ValueError, match="'Vanished' is not loaded"):
        dock.rerun_config({**get_run(db, run_id), "strategy": "Vanished"})


MY_STRATEGY = '''
from ostdesk import Param, Strategy

class Mine(Strategy):
    """A user strategy whose file changes between reloads."""

    length = Param(10, min=1, max=50)
{rest}
'''


def test_reload_keeps_edited_values_that_still_fit_and_says_what_it_reset(
    qtbot, db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "strategies"
    folder.mkdir()
    path = folder / "mine.py"
    path.write_text(
        MY_STRATEGY.format(
            rest="    width = Param(2.0, min=0.5, max=5.0)\n    gone = Param(3, min=0, max=9)"
        )
    )
    dock = make_dock(qtbot, db, tmp_path)
    assert dock.select_strategy("Mine")
    dock.form.fields["length"].editor.setValue(21)
    dock.form.fields["width"].editor.setValue(4.5)
    dock.form.fields["gone"].editor.setValue(7)
    path.write_text(
        MY_STRATEGY.format(rest="    width = Param(2.0, min=0.5, max=3.0)\n    new = Param(True)")
    )

    qtbot.mouseClick(dock.picker.reload_button, Qt.MouseButton.LeftButton)

    assert dock.strategy().params["width"].max == 3.0  # the new version
    assert dock.form.values() == {"length": 21, "width": 2.0, "new": True}
    notes = dock.notes_label.text()
    assert notes.startswith("Reset on reload: ")
    assert "width: 4.5 is above the maximum 3 (reset to the default)" in notes
    assert "gone: the strategy no longer has this parameter" in notes
    assert "length" not in notes
    assert dock.notes_label.isVisibleTo(dock)
    dock.select_strategy("SmaCross")  # the notes were about Mine
    assert not dock.notes_label.isVisibleTo(dock)


def test_reload_keeps_the_edited_values_of_a_built_in_strategy(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.form.fields["fast"].editor.setValue(7)
    dock.picker.reload()
    assert dock.strategy() is SmaCross
    assert dock.form.values()["fast"] == 7
    assert not dock.notes_label.isVisibleTo(dock)


def test_reset_all_leaves_no_preset_named_in_the_preset_box(qtbot, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dock = make_dock(qtbot, db, tmp_path)
    dock.form.fields["fast"].editor.setValue(7)
    dock.save_preset("quick")
    assert dock.presets.combo.currentText() == "quick"

    qtbot.mouseClick(dock.form.reset_all_button, Qt.MouseButton.LeftButton)

    assert dock.form.values()["fast"] == 10
    assert dock.presets.combo.currentIndex() == 0 and dock.presets.current == ""
    assert dock.presets.names() == ["quick"]  # kept, only no longer shown as loaded
    assert not dock.presets.overwrite_action.isEnabled()
