"""The run list's numpy search, filters and sorting (Qt-free), on generated runs."""

from __future__ import annotations

import numpy as np
import pytest

from ostdesk.gui.runs.table import COLUMN_KEYS, RunQuery, RunTable


def listing(n: int = 12) -> dict[str, np.ndarray]:
    """``list_runs``-shaped columns, newest first, with NULLs where DuckDB gives masks."""
    ids = np.arange(n, 0, -1)
    statuses = np.array(["completed", "failed", "running"], dtype=object)[ids % 3]
    sharpe = np.ma.masked_array(ids / 10.0, mask=ids % 5 == 0)
    return {
        "run_id": ids,
        "name": np.array([f"Run {i}" for i in ids], dtype=object),
        "strategy": np.array(["SmaCross" if i % 2 else "Breakout" for i in ids], dtype=object),
        "params": np.array([f'{{"fast": {i}, "slow": 30}}' for i in ids], dtype=object),
        "symbols": lists([[f"SYM{i % 4}"] for i in ids]),
        "period": np.full(n, "minute", dtype=object),
        "status": statuses,
        "started_at": (np.datetime64("2024-01-01T00:00:00", "us") + ids * 3_600_000_000),
        "ended_at": np.ma.masked_array(
            np.datetime64("2024-01-01T00:00:00", "us") + ids * 3_600_000_000 + 5_000_000,
            mask=statuses == "running",
        ),
        "notes": np.array(["needle in notes" if i == 7 else "" for i in ids], dtype=object),
        "tags": lists([["tuned"] if i == 3 else [] for i in ids]),
        "sharpe": sharpe,
        "trades": np.ma.masked_array(ids * 2, mask=ids == 1),
    }


def lists(values: list[list[str]]) -> np.ndarray:
    """An object array of string arrays, as DuckDB returns a VARCHAR[] column."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = np.array(v, dtype=object)
    return out


@pytest.fixture
def table() -> RunTable:
    return RunTable.from_listing(listing())


def shown_ids(table: RunTable, query: RunQuery, key: str = "run_id", desc: bool = True) -> list:
    return table.run_id[table.view(query, key, desc)].tolist()


def test_nulls_become_nan_not_masked_arrays(table: RunTable) -> None:
    assert np.isnan(table.columns["sharpe"][table.positions_of([5])[0]])
    assert np.isnan(table.columns["wall"][table.positions_of([2])[0]])  # running: no end yet
    assert table.columns["wall"][table.positions_of([4])[0]] == pytest.approx(5.0)
    assert not any(np.ma.isMaskedArray(v) for v in table.columns.values())


def test_search_words_must_all_match_in_any_field(table: RunTable) -> None:
    assert shown_ids(table, RunQuery(text="fast=1")) == [12, 11, 10, 1]
    assert shown_ids(table, RunQuery(text="FAST=1 breakout")) == [12, 10]
    assert shown_ids(table, RunQuery(text="sym3")) == [11, 7, 3]
    assert shown_ids(table, RunQuery(text="needle")) == [7]
    assert shown_ids(table, RunQuery(text="tuned")) == [3]
    assert shown_ids(table, RunQuery(text="nothing-like-this")) == []


def test_status_strategy_and_start_filters_combine(table: RunTable) -> None:
    query = RunQuery(statuses=frozenset({"failed"}), strategy="SmaCross")
    assert shown_ids(table, query) == [7, 1]
    start = int(np.datetime64("2024-01-01T10:00:00", "us").astype(np.int64))
    assert shown_ids(table, RunQuery(started_from_us=start)) == [12, 11, 10]
    assert shown_ids(table, RunQuery(started_to_us=start)) == list(range(9, 0, -1))


def test_numeric_sort_puts_missing_values_last_both_ways(table: RunTable) -> None:
    up = shown_ids(table, RunQuery(), "sharpe", desc=False)
    down = shown_ids(table, RunQuery(), "sharpe", desc=True)
    assert up[:3] == [1, 2, 3] and set(up[-2:]) == {5, 10}
    assert down[:3] == [12, 11, 9] and set(down[-2:]) == {5, 10}


def test_text_sort_is_case_insensitive_and_stable(table: RunTable) -> None:
    ids = shown_ids(table, RunQuery(), "strategy", desc=False)
    assert ids == [12, 10, 8, 6, 4, 2, 11, 9, 7, 5, 3, 1]  # Breakout first, newest first within


def test_every_column_sorts(table: RunTable) -> None:
    for key in COLUMN_KEYS:
        for desc in (False, True):
            assert sorted(shown_ids(table, RunQuery(), key, desc)) == list(range(1, 13))


def test_an_empty_database_gives_an_empty_table() -> None:
    table = RunTable.empty()
    assert len(table) == 0
    assert shown_ids(table, RunQuery(text="x", statuses=frozenset({"failed"}))) == []
