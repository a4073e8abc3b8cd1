"""Monte Carlo of a run: each resampling checked against an exhaustive enumeration of the
few-trade cases (pure-Python paths), then on a real recorded run through the store and CLI."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from ostdesk.cli import main
from ostdesk.cli_errors import REFUSED
from ostdesk.research.montecarlo import MonteCarloError, run_montecarlo, simulate
from ostdesk.store import Database
from ostdesk.store.runs import get_run, run_trades
from tests.cli_data import import_goog

CAPITAL = 1_000.0


def reference_path(capital: float, steps: Iterable[float], compound_on: list[float] | None):
    """(max drawdown %, final return %, lowest equity) of one path, by a plain loop.
    ``compound_on``: the equity each trade had in the run (its return is pnl / that)."""
    equity = peak = lowest = capital
    worst = 0.0
    for step in steps:
        if compound_on is None:
            equity += step
        else:
            equity *= 1.0 + step
        peak = max(peak, equity)
        lowest = min(lowest, equity)
        worst = min(worst, equity / peak - 1.0)
    return round(100 * worst, 9), round(100 * (equity / capital - 1), 9), lowest


def assert_frequencies(observed: Iterable[float], exact: Counter[float], total: int) -> None:
    """Each value seen is a possible one, seen about as often as its probability says
    (within 5 standard deviations of the binomial count)."""
    seen = Counter(round(float(v), 9) for v in observed)
    assert set(seen) <= set(exact), set(seen) - set(exact)
    paths = sum(seen.values())
    for value, ways in exact.items():
        p = ways / total
        expected = paths * p
        assert abs(seen[value] - expected) <= 5 * math.sqrt(expected * (1 - p)) + 1, value


def test_permutation_paths_are_each_order_of_the_trades_equally_often() -> None:
    pnl = [300.0, -200.0, -150.0, 100.0]
    result = simulate(pnl, CAPITAL, paths=24_000, seed=3, method="permutation", sizing="fixed")
    orders = list(itertools.permutations(pnl))
    exact = Counter(reference_path(CAPITAL, order, None)[0] for order in orders)
    assert_frequencies(result.max_drawdown_pct, exact, len(orders))
    assert np.allclose(result.final_return_pct, 5.0)  # every order ends where the run did


def test_bootstrap_paths_draw_trades_with_replacement_compounding_their_returns() -> None:
    pnl = [500.0, -600.0, 300.0]  # equity 1000 -> 1500 -> 900 -> 1200
    before = [1000.0, 1500.0, 900.0]
    returns = [p / e for p, e in zip(pnl, before, strict=True)]
    result = simulate(pnl, CAPITAL, paths=27_000, seed=5, method="bootstrap", ruin_pct=40)
    draws = list(itertools.product(returns, repeat=3))
    paths = [reference_path(CAPITAL, d, before) for d in draws]
    assert_frequencies(result.max_drawdown_pct, Counter(p[0] for p in paths), len(draws))
    assert_frequencies(result.final_return_pct, Counter(p[1] for p in paths), len(draws))
    ruined = sum(p[2] <= 600.0 for p in paths) / len(draws)  # lost 40% of 1000
    assert abs(result.ruin_probability - ruined) < 5 * math.sqrt(ruined * (1 - ruined) / 27_000)


def test_fixed_sizing_adds_money_and_counts_paths_that_lose_everything_as_ruined() -> None:
    result = simulate([600.0, -700.0], CAPITAL, paths=4_000, seed=1, sizing="fixed", ruin_pct=100)
    draws = list(itertools.product([600.0, -700.0], repeat=2))
    paths = [reference_path(CAPITAL, d, None) for d in draws]
    assert_frequencies(result.final_return_pct, Counter(p[1] for p in paths), 4)
    assert abs(result.ruin_probability - 0.25) < 0.04  # only -700, -700 goes below zero


def test_bands_are_percentiles_of_the_equity_after_each_number_of_trades() -> None:
    result = simulate([100.0, -50.0], CAPITAL, paths=2_000, seed=2, sizing="fixed")
    assert result.steps.tolist() == [0, 1, 2]
    low, *_, high = result.bands
    assert low.tolist() == [1000.0, 950.0, 900.0]
    assert high.tolist() == [1000.0, 1100.0, 1200.0]
    assert result.bands[2, 2] == 1050.0  # the median of 900, 1050, 1050, 1200
    assert (np.diff(result.bands, axis=0) >= 0).all()


def test_the_runs_own_order_is_its_equity_and_its_statistics() -> None:
    pnl = np.random.default_rng(0).normal(5, 40, 2_000)
    for sizing in ("compound", "fixed"):
        result = simulate(pnl, 10_000.0, paths=50, sizing=sizing)
        equity = 10_000.0 + np.concatenate(([0.0], np.cumsum(pnl)))
        assert np.allclose(result.actual, equity[result.steps])
        assert len(result.steps) == 501 and result.steps[-1] == 2_000
        dd, ret, _ = reference_path(10_000.0, pnl, None)
        assert result.actual_max_drawdown_pct == pytest.approx(dd)
        assert result.actual_return_pct == pytest.approx(ret)


def test_many_paths_in_many_chunks_each_place_the_one_loss_anywhere_equally_often() -> None:
    """2,999 gains of 1 and one loss of 500 from 10,000: a path's drawdown is the loss over
    the equity before it, -500 / (10,000 + j) with j gains before it, j uniform on 0..2,999.
    Thousands of paths of 3,000 trades span several chunks and threads."""
    pnl = np.ones(3_000)
    pnl[1_234] = -500.0
    result = simulate(pnl, 10_000.0, paths=3_000, seed=6, method="permutation", sizing="fixed")
    exact = 500.0 / (-result.max_drawdown_pct / 100.0) - 10_000.0
    gains_before = np.round(exact)
    assert np.allclose(exact, gains_before, atol=1e-6)
    assert gains_before.min() >= 0 and gains_before.max() <= 2_999
    assert abs(gains_before.mean() - 1_499.5) < 5 * 866.0 / math.sqrt(3_000)
    assert np.allclose(result.final_return_pct, 100 * 2_499 / 10_000)


def test_same_seed_same_paths_other_seed_other_paths() -> None:
    pnl = np.random.default_rng(4).normal(2, 20, 5_000)  # several chunks, several threads
    a = simulate(pnl, 10_000.0, paths=1_500, seed=7)
    b = simulate(pnl, 10_000.0, paths=1_500, seed=7)
    c = simulate(pnl, 10_000.0, paths=1_500, seed=8)
    assert np.array_equal(a.max_drawdown_pct, b.max_drawdown_pct)
    assert np.array_equal(a.bands, b.bands)
    assert not np.array_equal(a.max_drawdown_pct, c.max_drawdown_pct)


@pytest.mark.parametrize("method", ["bootstrap", "permutation"])
def test_the_paths_do_not_depend_on_how_many_threads_walk_them(method: str) -> None:
    """3,500 paths of 5,000 trades: 17 seeded blocks in 2 passes, their draws made on this
    thread or on a pool of 2 or 3 a pass ahead."""
    pnl = np.random.default_rng(9).normal(3, 30, 5_000)
    one, two, three = (
        simulate(pnl, 10_000.0, paths=3_500, seed=2, method=method, threads=t) for t in (1, 2, 3)
    )
    for other in (two, three):
        assert np.array_equal(one.max_drawdown_pct, other.max_drawdown_pct)
        assert np.array_equal(one.final_return_pct, other.final_return_pct)
        assert np.array_equal(one.bands, other.bands)
        assert one.ruin_probability == other.ruin_probability


def test_the_last_band_is_numpys_percentiles_of_the_paths_final_equity() -> None:
    pnl = np.random.default_rng(1).normal(4, 50, 700)
    result = simulate(pnl, 10_000.0, paths=3_000, seed=3)  # between two paths
    final_equity = 10_000.0 * (1 + result.final_return_pct / 100)
    expected = np.percentile(final_equity, [5, 25, 50, 75, 95])
    assert np.allclose(result.bands[:, -1], expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("pnl", "options", "message"),
    [
        ([], {}, "the run has no round trip: a Monte Carlo needs at least two"),
        ([5.0], {}, "the run has one round trip: a Monte Carlo needs at least two"),
        ([5.0, 1.0], {"method": "jackknife"}, "method 'jackknife': expected one of bootstrap"),
        ([5.0, 1.0], {"sizing": "kelly"}, "sizing 'kelly': expected one of compound, fixed"),
        ([5.0, 1.0], {"ruin_pct": 0.0}, "ruin at a loss of 0.0%: must be above 0%"),
        ([5.0, 1.0], {"threads": 0}, "threads 0: must be at least 1"),
        ([5.0, np.nan], {}, "round trip 2 has no finite P&L"),
        ([-1500.0, 10.0], {}, "before round trip 2: returns on it cannot be compounded"),
    ],
)
def test_input_a_monte_carlo_cannot_use_is_refused_saying_why(
    pnl: list[float], options: dict[str, object], message: str
) -> None:
    with pytest.raises(MonteCarloError, match=message.replace("(", r"\(")):
        simulate(pnl, CAPITAL, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def goog_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GOOG daily bars, run 1 an SMA cross with dozens of trades, run 2 one with none."""
    path = import_goog(tmp_path_factory.mktemp("mc") / "runs.duckdb")
    common = ["backtest", "--strategy", "SmaCross", "--symbols", "GOOG", "--period", "day"]
    assert main([*common, "--param", "fast=10", "--param", "slow=20", "--db", str(path)]) == 0
    assert main([*common, "--end", "2004-09-20", "--db", str(path)]) == 0
    return path


@pytest.fixture
def runs_db(goog_runs: Path, db_path: Path) -> Path:
    shutil.copy(goog_runs, db_path)
    return db_path


def test_a_recorded_run_is_resampled_from_its_stored_round_trips(runs_db: Path) -> None:
    with Database.open(runs_db, read_only=True) as db:
        trades = run_trades(db, 1)
        capital = get_run(db, 1)["capital"]
        result = run_montecarlo(db, 1, paths=500, seed=4)
    assert len(trades["pnl"]) > 20
    same = simulate(trades["pnl"], capital, paths=500, seed=4)
    assert np.array_equal(result.max_drawdown_pct, same.max_drawdown_pct)
    assert result.actual_return_pct == pytest.approx(100 * trades["pnl"].sum() / capital)


def test_cli_prints_the_distribution_as_json(
    runs_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    args = ["montecarlo", "1", "--paths", "300", "--seed", "2", "--method", "permutation"]
    assert main([*args, "--ruin", "25%", "--json", "--db", str(runs_db)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] == 1 and out["paths"] == 300 and out["method"] == "permutation"
    assert out["ruin_loss_pct"] == 25.0 and 0 <= out["risk_of_ruin_pct"] <= 100
    dd = out["max_drawdown_pct"]
    assert dd["p5"] <= dd["p25"] <= dd["p50"] <= dd["p75"] <= dd["p95"] <= 0
    final = out["final_return_pct"]
    assert final["p5"] == pytest.approx(final["closed_trades_of_the_run"])
    assert final["p95"] == pytest.approx(final["closed_trades_of_the_run"])


def test_cli_labels_the_runs_row_closed_trades_and_says_why_it_is_not_shows_statistics(
    runs_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["montecarlo", "1", "--paths", "200", "--db", str(runs_db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not [x for x in lines if x.split() and x.split()[0] == "run"]
    assert sum("closed_trades_of_the_run" in x for x in lines) == 2  # drawdown and return
    (note,) = [x for x in lines if x.startswith("note: ")]
    assert "differ from the run's Max. Drawdown and Return (`ostdesk show`)" in note


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2"], "run 2: the run has no round trip: a Monte Carlo needs at least two"),
        (["7"], "no run with id 7"),
        (["1", "--ruin", "150%"], "'150%': the loss must be above 0% and at most 100%"),
        (["1", "--method", "shuffle"], "method 'shuffle': expected one of bootstrap"),
    ],
)
def test_cli_refuses_in_one_line(
    runs_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    capsys.readouterr()
    try:
        code = main(["montecarlo", *args, "--db", str(runs_db)])
    except SystemExit as exit_:  # the option parser refuses by exiting
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == REFUSED
    assert message in err and "\n" not in err, err
