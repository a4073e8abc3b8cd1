"""Overfitting statistics against the DSR paper's worked example and against brute-force
references written independently here (per-split loops, Python's statistics module)."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

from ostdesk.research.overfitting import (
    OverfittingError,
    auto_blocks,
    deflated_sharpe,
    deflated_sharpe_of_returns,
    expected_max_sharpe,
    grid_of,
    nearest_plateau,
    plateau_score,
    probability_of_overfitting,
)


def test_deflated_sharpe_reproduces_the_papers_worked_example() -> None:
    """Bailey & López de Prado (2014), section on the numerical example: 100 trials with
    annualised Sharpe variance 1/2, best annualised Sharpe 2.5, five years of daily returns
    (1,250), skew -3, kurtosis 10: SR0 ~ 0.1132 per day and DSR ~ 0.9004."""
    result = deflated_sharpe(
        2.5 / math.sqrt(250), trials=100, sharpe_variance=0.5 / 250, periods=1250, skew=-3.0,
        kurtosis=10.0,
    )  # fmt: skip
    assert result.expected_max_sharpe == pytest.approx(0.1132, abs=5e-5)
    assert result.dsr == pytest.approx(0.9004, abs=5e-5)


def test_expected_max_sharpe_matches_the_mean_maximum_of_simulated_trials() -> None:
    """The formula approximates E[max] of N normal Sharpe ratios: check it against the
    average maximum of 4,000 simulated sets of 100 (within 2% for N = 100)."""
    rng = np.random.default_rng(11)
    simulated = rng.normal(0.0, 0.05, (4_000, 100)).max(axis=1).mean()
    assert expected_max_sharpe(100, 0.05**2) == pytest.approx(simulated, rel=0.02)
    assert expected_max_sharpe(1, 0.05**2) == 0.0


def test_dsr_of_a_returns_matrix_uses_the_best_trials_moments() -> None:
    rng = np.random.default_rng(5)
    returns = rng.normal(0.0, 0.01, (500, 30))
    returns[:, 7] += 0.003  # one trial with an edge
    result = deflated_sharpe_of_returns(returns)
    best = returns[:, 7]
    sharpes = [statistics.mean(c) / statistics.stdev(c) for c in returns.T.tolist()]
    mu, n = statistics.mean(best), len(best)
    m2 = sum((x - mu) ** 2 for x in best) / n
    skew = sum((x - mu) ** 3 for x in best) / n / m2**1.5
    kurt = sum((x - mu) ** 4 for x in best) / n / m2**2
    assert result.sharpe == pytest.approx(max(sharpes))
    assert result.skew == pytest.approx(skew) and result.kurtosis == pytest.approx(kurt)
    sr0 = expected_max_sharpe(30, statistics.variance(sharpes))
    z = (max(sharpes) - sr0) * math.sqrt(n - 1)
    z /= math.sqrt(1 - skew * max(sharpes) + (kurt - 1) / 4 * max(sharpes) ** 2)
    assert result.dsr == pytest.approx(statistics.NormalDist().cdf(z))
    assert result.dsr > 0.95  # a real edge survives the deflation


def brute_force_pbo(
    returns: np.ndarray, blocks: int, measure: str = "sharpe", sign: float = 1.0
) -> tuple[float, list[float]]:
    """CSCV written out: every half of the blocks in-sample, per-trial Sharpe by the
    statistics module (or compounded return, ``measure="return"``; ``sign`` -1: the lowest
    is the best), the in-sample best's out-of-sample rank (ties: mean rank)."""
    periods, trials = returns.shape
    edges = [round(i * periods / blocks) for i in range(blocks + 1)]
    rows = [list(range(edges[b], edges[b + 1])) for b in range(blocks)]
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        ins = [r for b in chosen for r in rows[b]]
        outs = [r for b in range(blocks) if b not in chosen for r in rows[b]]

        def perf(idx: list[int], t: int) -> float:
            col = [float(returns[i, t]) for i in idx]
            if measure == "return":
                return sign * (math.prod(1 + r for r in col) - 1)
            return sign * statistics.mean(col) / statistics.stdev(col)

        is_perf = [perf(ins, t) for t in range(trials)]
        best = is_perf.index(max(is_perf))
        oos = [perf(outs, t) for t in range(trials)]
        lower = sum(v < oos[best] for v in oos)
        same = sum(v == oos[best] for v in oos)
        omega = (lower + (same + 1) / 2) / (trials + 1)
        logits.append(math.log(omega / (1 - omega)))
    return sum(v <= 0 for v in logits) / len(logits), logits


@pytest.mark.parametrize("blocks", [2, 4, 8])
def test_pbo_equals_a_brute_force_cscv(blocks: int) -> None:
    rng = np.random.default_rng(blocks)
    returns = rng.normal(0.0005, 0.01, (203, 12))  # 203: blocks of unequal length
    expected_pbo, expected_logits = brute_force_pbo(returns, blocks)
    result = probability_of_overfitting(returns, blocks)
    assert result.pbo == pytest.approx(expected_pbo)
    assert np.allclose(result.logits, expected_logits)
    assert len(result.logits) == math.comb(blocks, blocks // 2)


@pytest.mark.parametrize("maximize", [True, False])
def test_pbo_ranking_by_compounded_return_equals_a_brute_force_cscv(maximize: bool) -> None:
    rng = np.random.default_rng(17)
    returns = rng.normal(0.0004, 0.01, (150, 10)) * rng.uniform(0.3, 3.0, 10)
    sign = 1.0 if maximize else -1.0
    expected_pbo, expected_logits = brute_force_pbo(returns, 6, "return", sign)
    result = probability_of_overfitting(returns, 6, measure="return", maximize=maximize)
    assert result.measure == "return"
    assert result.pbo == pytest.approx(expected_pbo)
    assert np.allclose(result.logits, expected_logits)
    with pytest.raises(OverfittingError, match="'calmar': PBO ranks by one of sharpe, return"):
        probability_of_overfitting(returns, 6, measure="calmar")


def test_pbo_is_near_one_half_for_trials_of_pure_noise_and_near_zero_for_a_real_edge() -> None:
    rng = np.random.default_rng(21)
    noise = rng.normal(0.0, 0.01, (1_600, 50))
    assert 0.3 <= probability_of_overfitting(noise, 10).pbo <= 0.7
    edge = noise.copy()
    edge[:, 3] += 0.004
    assert probability_of_overfitting(edge, 10).pbo == 0.0


def test_pbo_is_high_when_in_sample_winners_lose_out_of_sample() -> None:
    """Mean reversion between halves: each trial's good stretches are followed by bad ones,
    so the in-sample best tends to rank low out of sample."""
    rng = np.random.default_rng(8)
    base = rng.normal(0.0, 0.01, (800, 20))
    swing = rng.normal(0.0, 0.004, (8, 20))
    shift = np.repeat(np.concatenate([swing, -swing])[[0, 8, 1, 9, 2, 10, 3, 11]], 100, axis=0)
    assert probability_of_overfitting(base + shift, 8).pbo > 0.7


@pytest.mark.parametrize(
    ("shape", "blocks", "message"),
    [
        ((100, 5), 3, "3 blocks: CSCV needs an even number"),
        ((10, 5), 8, "10 periods: 8 blocks need at least 16"),
        ((100, 1), 4, "1 trials: need at least 2"),
        ((100, 5), 18, "18 blocks make too many splits"),
    ],
)
def test_pbo_refuses_input_it_cannot_split(
    shape: tuple[int, int], blocks: int, message: str
) -> None:
    with pytest.raises(OverfittingError, match=message):
        probability_of_overfitting(np.ones(shape), blocks)


def test_pbo_names_the_trial_and_period_of_a_missing_return() -> None:
    returns = np.ones((40, 4))
    returns[17, 2] = np.nan
    with pytest.raises(OverfittingError, match="returns of trial 2 at period 17"):
        probability_of_overfitting(returns, 4)


def test_plateau_scores_a_flat_top_one_and_a_lone_spike_zero() -> None:
    plateau = np.zeros((5, 5))
    plateau[:3, :3] = 1.0
    assert plateau_score(plateau, (1, 1)).score == 1.0
    assert plateau_score(plateau, (2, 2)).score == pytest.approx(3 / 8)  # the top's edge
    spike = np.zeros((5, 5))
    spike[2, 2] = 3.0
    result = plateau_score(spike)
    assert result.cell == (2, 2) and result.neighbours == 8
    assert result.score == 0.0 and result.best == 3.0 and result.neighbour_min == 0.0


def test_plateau_uses_only_the_touching_cells_that_ran() -> None:
    rng = np.random.default_rng(2)
    grid = rng.normal(size=(6, 7, 4))
    grid[0, 0, 0] = 10.0  # a corner: 7 neighbours
    grid[1, 0, 1] = np.nan
    result = plateau_score(grid)
    around = [
        grid[i, j, k]
        for i in (0, 1) for j in (0, 1) for k in (0, 1)
        if (i, j, k) != (0, 0, 0) and not math.isnan(grid[i, j, k])
    ]  # fmt: skip
    worst = float(np.nanmin(grid))
    assert result.neighbours == 6
    assert result.neighbour_mean == pytest.approx(statistics.mean(around))
    assert result.score == pytest.approx(1 - (10.0 - statistics.mean(around)) / (10.0 - worst))


def test_plateau_of_a_minimised_objective_looks_for_the_lowest_cell() -> None:
    grid = np.array([[5.0, 4.0, 5.0], [4.0, -2.0, 4.0], [5.0, 4.0, 5.0]])
    result = plateau_score(grid, maximize=False)
    assert result.cell == (1, 1) and result.best == -2.0 and result.neighbour_mean == 4.5
    assert result.score == pytest.approx(1 - 6.5 / 7.0)


def test_nearest_plateau_scores_the_trials_nearest_the_chosen_one() -> None:
    points = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.2], [1.0, 1.0], [0.5, 0.5], [0.9, 0.0]])
    values = np.array([4.0, 3.0, 2.0, -1.0, 1.0, np.nan])  # the last ran without a value
    result = nearest_plateau(points, values, 0)  # 4 nearest: rows 1, 2, 4, 3 (5: no value)
    assert result.neighbours == 4 and result.cell == (0,)
    assert result.neighbour_mean == pytest.approx(statistics.mean([3.0, 2.0, 1.0, -1.0]))
    two = nearest_plateau(points, values, 0, neighbours=2)
    assert two.neighbour_mean == 2.5 and two.score == pytest.approx(1 - (4 - 2.5) / 5)
    low = nearest_plateau(points, values, 3, neighbours=1, maximize=False)
    assert low.best == -1.0 and low.neighbour_mean == 1.0  # row 4 is nearest row 3
    with pytest.raises(OverfittingError, match="trial 5 has no objective value"):
        nearest_plateau(points, values, 5)


def test_grid_of_trials_keeps_the_best_trial_per_cell() -> None:
    params = [
        {"fast": 5, "slow": 20, "x": 1},
        {"fast": 5, "slow": 20, "x": 2},
        {"fast": 10, "slow": 40, "x": 1},
    ]
    grid, axes = grid_of(params, [1.0, 3.0, 2.0], ["fast", "slow"])
    assert axes == [[5, 10], [20, 40]]
    assert grid[0, 0] == 3.0 and grid[1, 1] == 2.0 and np.isnan(grid[0, 1])
    low, _ = grid_of(params, [1.0, 3.0, 2.0], ["fast", "slow"], maximize=False)
    assert low[0, 0] == 1.0


@pytest.mark.parametrize(
    ("periods", "blocks"), [(8, 4), (9, 4), (12, 6), (19, 8), (31, 14), (32, 16), (5_000, 16)]
)
def test_auto_blocks_are_the_most_even_up_to_16_with_two_periods_each(
    periods: int, blocks: int
) -> None:
    assert auto_blocks(periods) == blocks
    probability_of_overfitting(np.random.default_rng(1).normal(size=(periods, 3)), blocks)


def test_auto_blocks_refuse_fewer_than_eight_periods() -> None:
    with pytest.raises(OverfittingError, match="7 periods: PBO needs at least 8 periods"):
        auto_blocks(7)
