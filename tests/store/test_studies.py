"""The studies store: trials and their statistics round-trip, a crashed study is marked
interrupted, and every trial exports as one wide row."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from ostdesk.store import Database, StoreError
from ostdesk.store.studies import (
    TrialRow,
    append_trials,
    create_study,
    export_trials,
    get_study,
    list_studies,
    recover_interrupted_studies,
    stored_trials,
)


def _study(db: Database) -> int:
    return create_study(
        db,
        name="s",
        strategy="SmaCross",
        method="grid",
        objectives="max SQN",
        spec="{}",
        fingerprint="f",
        backend="local",
        workers=2,
        planned=3,
    )


TRIALS = [
    TrialRow(
        0, {"fast": 5}, "completed", [1.5], True, {"# Trades": 4.0, "SQN": 1.5}, None, 0.1, "w"
    ),
    TrialRow(
        1,
        {"fast": 10},
        "completed",
        [math.nan],
        False,
        {"# Trades": 0.0, "SQN": None},
        None,
        0.2,
        "w",
    ),
    TrialRow(2, {"fast": 15}, "failed", [math.nan], False, {}, "boom", 0.3, "w"),
]


def test_trials_and_statistics_round_trip_in_number_order(db: Database) -> None:
    study = _study(db)
    append_trials(db, study, TRIALS[2:])
    append_trials(db, study, TRIALS[:2])
    back = stored_trials(db, study)
    assert [t.number for t in back] == [0, 1, 2]
    assert back[0] == TRIALS[0]
    assert back[1].stats == {"# Trades": 0.0, "SQN": None} and math.isnan(back[1].objective[0])
    assert back[2].error == "boom" and back[2].stats == {}
    assert get_study(db, study)["by_status"] == {"completed": 2, "failed": 1}
    assert list_studies(db)[0]["trials"] == 3


def test_a_trial_is_stored_once(db: Database) -> None:
    study = _study(db)
    append_trials(db, study, TRIALS[:1])
    with pytest.raises(duckdb.ConstraintException):
        append_trials(db, study, TRIALS[:2])
    assert len(stored_trials(db, study)) == 1  # the failed batch left nothing behind


def test_a_study_left_running_is_marked_interrupted(db: Database) -> None:
    study = _study(db)
    assert recover_interrupted_studies(db) == [study]
    assert get_study(db, study)["status"] == "interrupted"
    assert recover_interrupted_studies(db) == []


def test_an_unknown_study_is_one_line(db: Database) -> None:
    with pytest.raises(StoreError, match="no study 9; `ostdesk studies` lists them"):
        get_study(db, 9)


@pytest.mark.parametrize("name", ["trials.csv", "trials.parquet"])
def test_every_trial_exports_with_parameters_and_statistics_as_columns(
    db: Database, tmp_path: Path, name: str
) -> None:
    study = _study(db)
    append_trials(db, study, TRIALS)
    target = tmp_path / name
    assert export_trials(db, study, target) == 3
    rows = duckdb.sql(
        f"SELECT number, fast, \"# Trades\", SQN, error FROM '{target}' ORDER BY number"
    )
    assert rows.fetchall() == [
        (0, 5, 4.0, 1.5, None),
        (1, 10, 0.0, None, None),
        (2, 15, None, None, "boom"),
    ]


START_NS = 1_092_873_600_000_000_000  # 2004-08-19T00:00:00Z
END_NS = 1_704_724_200_000_000_000  # 2024-01-08T14:30:00Z, stored as a double (~256 ns off)
TIMED = [
    TrialRow(0, {"fast": 5}, "completed", [1.0], True,
             {"Start": float(START_NS), "End": float(END_NS), "SQN": 1.0}, None, 0.1, "w"),
    TrialRow(1, {"fast": 10}, "failed", [math.nan], False, {}, "boom", 0.1, "w"),
]  # fmt: skip


def test_trial_times_export_as_iso_utc_in_csv(db: Database, tmp_path: Path) -> None:
    study = _study(db)
    append_trials(db, study, TIMED)
    target = tmp_path / "trials.csv"
    export_trials(db, study, target)
    header, first, second = target.read_text().splitlines()
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert (row["Start"], row["End"]) == ("2004-08-19T00:00:00Z", "2024-01-08T14:30:00Z")
    assert dict(zip(header.split(","), second.split(","), strict=True))["Start"] == ""


def test_trial_times_export_as_timestamps_in_parquet(db: Database, tmp_path: Path) -> None:
    study = _study(db)
    append_trials(db, study, TIMED)
    target = tmp_path / "trials.parquet"
    export_trials(db, study, target)
    rows = duckdb.sql(f"SELECT Start, \"End\" FROM '{target}' ORDER BY number").fetchall()
    assert [(a and a.isoformat(), b and b.isoformat()) for a, b in rows] == [
        ("2004-08-19T00:00:00", "2024-01-08T14:30:00"),
        (None, None),
    ]


def test_the_study_list_names_symbols_period_and_the_bars_range(db: Database) -> None:
    spec = '{"symbols": ["GOOG", "MSFT"], "period": "1d", "start_ns": null, "end_ns": null}'
    study = create_study(
        db, name="s", strategy="SmaCross", method="grid", objectives="max SQN", spec=spec,
        fingerprint="f", backend="local", workers=2, planned=2,
    )  # fmt: skip
    append_trials(db, study, TIMED)
    (row,) = list_studies(db)
    assert (row["symbols"], row["period"]) == (["GOOG", "MSFT"], "1d")
    assert (row["start"], row["end"]) == ("2004-08-19T00:00:00Z", "2024-01-08T14:30:00Z")
