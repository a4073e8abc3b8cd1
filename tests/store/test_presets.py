"""Saved run configurations: presets round-trip, names are checked, runs can be re-loaded."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest

from ostdesk import Param, Strategy
from ostdesk.engine.commission import CommissionModel
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.runner import BacktestConfig
from ostdesk.store import Database, StoreError, import_bars
from ostdesk.store.backtests import prepare_backtest
from ostdesk.store.presets import (
    SavedConfig,
    delete_preset,
    load_last_used,
    load_preset,
    preset_names,
    rename_preset,
    save_last_used,
    save_preset,
)
from ostdesk.store.runs import get_run
from ostdesk.strategies.sma_cross import SmaCross


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Modal(Strategy):
    """A strategy with an enum parameter."""

    mode = Param(Mode.FAST)
    length = Param(10, min=1, max=100)


def sample_config() -> BacktestConfig:
    return BacktestConfig(
        strategy=Modal,
        symbols=("AAA", "BBB"),
        period=BarPeriod.HOUR,
        params={"mode": Mode.SLOW, "length": 42},
        start_ns=1_000,
        end_ns=2_000,
        capital=25_000.0,
        commission=CommissionModel(per_unit=0.005, percent=0.1, minimum=1.0),
        slippage_ticks=1.5,
        max_leverage=2.0,
        name="nightly",
    )


def test_a_preset_round_trips_every_field_of_a_config(db: Database) -> None:
    config = sample_config()
    save_preset(db, "  my preset ", SavedConfig.from_config(config))
    assert preset_names(db) == ["my preset"]
    assert load_preset(db, "my preset").to_config(Modal) == config


def test_saving_under_an_existing_name_overwrites_it(db: Database) -> None:
    save_preset(db, "p", SavedConfig(strategy="SmaCross", capital=1_000.0))
    save_preset(db, "p", SavedConfig(strategy="SmaCross", capital=2_000.0))
    assert preset_names(db) == ["p"]
    assert load_preset(db, "p").capital == 2_000.0


def test_presets_are_listed_alphabetically_without_the_last_used_one(db: Database) -> None:
    for name in ("beta", "Alpha", "gamma"):
        save_preset(db, name, SavedConfig())
    save_last_used(db, SavedConfig(strategy="SmaCross"))
    assert preset_names(db) == ["Alpha", "beta", "gamma"]
    last = load_last_used(db)
    assert last is not None and last.strategy == "SmaCross"


def test_rename_moves_a_preset_and_refuses_to_overwrite_another(db: Database) -> None:
    save_preset(db, "old", SavedConfig(capital=5.0))
    save_preset(db, "other", SavedConfig(capital=6.0))
    with pytest.raises(StoreError, match="already exists"):
        rename_preset(db, "old", "other")
    assert rename_preset(db, "old", " new ") == "new"
    assert preset_names(db) == ["new", "other"]
    assert load_preset(db, "new").capital == 5.0
    assert load_preset(db, "other").capital == 6.0


def test_unknown_and_empty_names_are_refused(db: Database) -> None:
    with pytest.raises(StoreError, match="no preset named 'nope'"):
        load_preset(db, "nope")
    with pytest.raises(StoreError, match="no preset named 'nope'"):
        rename_preset(db, "nope", "x")
    with pytest.raises(StoreError, match="no preset named 'nope'"):
        delete_preset(db, "nope")
    with pytest.raises(StoreError, match="needs a name"):
        save_preset(db, "   ", SavedConfig())
    with pytest.raises(StoreError, match="no preset named ''"):
        delete_preset(db, "")  # the last used configuration is not a preset


def test_delete_removes_only_that_preset(db: Database) -> None:
    save_preset(db, "a", SavedConfig())
    save_preset(db, "b", SavedConfig())
    delete_preset(db, "a")
    assert preset_names(db) == ["b"]


def test_a_damaged_preset_is_reported_by_name_and_last_used_falls_back(db: Database) -> None:
    db.connection.execute(
        "INSERT INTO config_presets VALUES ('bad', '{\"capital\": \"lots\"}', now()::TIMESTAMP),"
        " ('', 'not json', now()::TIMESTAMP)"
    )
    with pytest.raises(StoreError, match=r"preset 'bad' cannot be read: 'capital' must be"):
        load_preset(db, "bad")
    assert load_last_used(db) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"symbols": "AAA"}, "'symbols' must be a list"),
        ({"period": "fortnight"}, "'period'"),
        ({"commission": "per_unit=abc"}, "'commission'"),
        ({"start_ns": 1.5}, "'start_ns' must be a whole number"),
        ({"params": [1, 2]}, "'params' must be an object"),
    ],
)
def test_from_dict_names_the_key_that_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SavedConfig.from_dict(data)


def test_enum_parameters_are_stored_by_name_and_read_back_as_members(db: Database) -> None:
    saved = SavedConfig.from_config(sample_config())
    assert saved.to_dict()["params"] == {"mode": "SLOW", "length": 42}
    assert saved.to_config(Modal).params["mode"] is Mode.SLOW


def test_a_recorded_run_gives_back_its_configuration(db: Database, goog_csv: Path) -> None:
    import_bars(db, goog_csv, symbol="GOOG", period="day")
    config = BacktestConfig(
        strategy=SmaCross,
        symbols=("GOOG",),
        period=BarPeriod.DAY,
        params={"fast": 5, "slow": 20, "fraction": 0.95, "size": 2.0},
        start_ns=1_100_000_000_000_000_000,
        end_ns=1_300_000_000_000_000_000,
        capital=50_000.0,
        commission=CommissionModel(percent=0.1, minimum=1.0),
        slippage_ticks=1.0,
        name="re-run me",
    )
    run = prepare_backtest(db, config)
    run.run()
    saved = SavedConfig.from_run(get_run(db, run.recording.run_id))
    assert saved.to_config(SmaCross) == config
