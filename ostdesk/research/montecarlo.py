"""Monte Carlo of a run: its round trips resampled into many equity paths.

A path starts at the run's capital and applies one round trip after another, so it models the
same trades in another order (``permutation``: every trade once, reordered; the final return is
the run's own, only the path to it differs) or another draw of the same trade distribution
(``bootstrap``: trades drawn with replacement). How a trade changes a path's equity:

* ``compound`` (default): by its return on the equity it was taken with -- ``pnl`` over the
  capital plus the P&L of the trades closed before it -- so a strategy that sizes by its equity
  (the built-in ones invest it all) keeps doing so on every path;
* ``fixed``: by its ``pnl`` in money, for a strategy that trades the same size whatever its
  equity.

Either way the run's own order reproduces its closed-trade equity exactly. Paths are computed
in chunks of whole rows (a cumulative sum and a running maximum, in log space for compound),
on every core (numpy releases the GIL), so memory stays bounded and 10,000 paths of 4,000
trades take about a second (``bench/montecarlo.py``). Each chunk has its own generator spawned
from ``seed``: the same arguments give the same paths on any machine.

Per path: the maximum drawdown (the largest fall from a running peak, in percent of that
peak, negative as in the run statistics), the final return, and whether the equity ever fell
to the ruin level (``ruin_pct`` percent of the starting capital lost). The fan chart's
percentile bands are taken at up to ``MAX_BAND_POINTS`` evenly spaced trade counts.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ostdesk.store.database import DbOrCursor, connection_of
from ostdesk.store.rows import first_row
from ostdesk.store.runs import UnknownRunError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS = ("bootstrap", "permutation")
SIZINGS = ("compound", "fixed")
BAND_PERCENTILES = (5, 25, 50, 75, 95)
MAX_BAND_POINTS = 501
MAX_PATHS = 1_000_000
_CHUNK_CELLS = 2_000_000  # path cells per chunk: 16 MB of float64 per buffer, two per thread


CLOSED_TRADES_NOTE = (
    "the closed trades of the run are its equity counted at each round trip's exit, as every "
    "path is: they leave out open positions' marks between exits (and a position still open "
    "at the end), so their drawdown and return differ from the run's Max. Drawdown and "
    "Return (`ostdesk show`), of the equity marked at every bar"
)
"""Why the run's row here is not its statistics: said next to it in the CLI and the tab."""


class MonteCarloError(ValueError):
    """Input a Monte Carlo cannot use; the message says what and why."""


@dataclass(frozen=True, slots=True)
class MonteCarlo:
    """The simulated paths' distribution; ``bands[i, j]`` is percentile
    ``BAND_PERCENTILES[i]`` of the equity after ``steps[j]`` trades, ``actual[j]`` the run's
    own equity there."""

    method: str
    sizing: str
    paths: int
    seed: int
    trades: int
    capital: float
    ruin_pct: float
    steps: IntArray
    bands: FloatArray
    actual: FloatArray
    max_drawdown_pct: FloatArray  # per path, <= 0
    final_return_pct: FloatArray  # per path
    ruin_probability: float  # share of paths that ever lost ruin_pct of the capital
    actual_max_drawdown_pct: float
    actual_return_pct: float

    def summary(self) -> dict[str, Any]:
        """Plain numbers for the CLI and JSON: percentiles of drawdown and return, ruin."""

        def spread(values: FloatArray, actual: float) -> dict[str, float]:
            qs = np.percentile(values, BAND_PERCENTILES)
            out = {f"p{p}": float(q) for p, q in zip(BAND_PERCENTILES, qs, strict=True)}
            out["mean"] = float(values.mean())
            out["closed_trades_of_the_run"] = actual
            return out

        return {
            "method": self.method,
            "sizing": self.sizing,
            "paths": self.paths,
            "seed": self.seed,
            "trades": self.trades,
            "capital": self.capital,
            "max_drawdown_pct": spread(self.max_drawdown_pct, self.actual_max_drawdown_pct),
            "final_return_pct": spread(self.final_return_pct, self.actual_return_pct),
            "ruin_loss_pct": self.ruin_pct,
            "risk_of_ruin_pct": 100.0 * self.ruin_probability,
            "note": CLOSED_TRADES_NOTE,
        }


def simulate(
    pnl: npt.ArrayLike,
    capital: float,
    *,
    paths: int = 1000,
    seed: int = 0,
    method: str = "bootstrap",
    sizing: str = "compound",
    ruin_pct: float = 50.0,
) -> MonteCarlo:
    """Resample the round trips' ``pnl`` (in order of exit) into ``paths`` equity paths from
    ``capital``; the same arguments always give the same result."""
    trade_pnl = np.asarray(pnl, dtype=np.float64)
    _check(trade_pnl, capital, paths, method, ruin_pct)
    actual = capital + np.concatenate(([0.0], np.cumsum(trade_pnl)))
    compound = _sizing(sizing, actual)
    if compound:  # log(1 + return on the equity before the trade); a total loss is -inf
        with np.errstate(divide="ignore"):
            increments = np.log(np.maximum(actual[1:] / actual[:-1], 0.0))
    else:
        increments = trade_pnl
    n = len(trade_pnl)
    steps = np.unique(np.linspace(0, n, min(n + 1, MAX_BAND_POINTS)).round().astype(np.int64))
    sampled = np.empty((len(steps), paths))  # by step: percentiles read rows
    worst = np.empty(paths)  # lowest equity / running peak (its log when compounding)
    lowest = np.empty(paths)  # lowest equity (its log when compounding)
    rows = max(1, _CHUNK_CELLS // (n + 1))
    chunks = list(range(0, paths, rows))
    # one generator per chunk: the result does not depend on how chunks meet threads
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(chunks))]
    base = np.log(capital) if compound else capital

    def work(mine: range) -> None:
        equity = np.empty((min(rows, paths), n + 1))
        ratio = np.empty_like(equity)
        for i in mine:
            start = chunks[i]
            k = min(rows, paths - start)
            eq, peak = equity[:k], ratio[:k]
            eq[:, 0] = 0.0
            np.cumsum(_draws(rngs[i], increments, k, method), axis=1, out=eq[:, 1:])
            eq += base
            np.maximum.accumulate(eq, axis=1, out=peak)
            if compound:
                np.subtract(eq, peak, out=peak)  # -inf - peak: a total loss, ratio 0
            else:
                np.divide(eq, peak, out=peak)  # peak >= capital > 0
            worst[start : start + k] = peak.min(axis=1)
            lowest[start : start + k] = eq.min(axis=1)
            sampled[:, start : start + k] = eq[:, steps].T

    threads = min(len(chunks), os.cpu_count() or 1)
    if threads == 1:
        work(range(len(chunks)))
    else:  # numpy releases the GIL in these loops: the chunks run on every core
        with ThreadPoolExecutor(threads, thread_name_prefix="ostdesk-montecarlo") as pool:
            list(pool.map(work, (range(t, len(chunks), threads) for t in range(threads))))
    if compound:
        np.exp(sampled, out=sampled)
        np.exp(worst, out=worst)
        np.exp(lowest, out=lowest)
    return MonteCarlo(
        method=method,
        sizing=sizing,
        paths=paths,
        seed=seed,
        trades=n,
        capital=float(capital),
        ruin_pct=float(ruin_pct),
        steps=steps,
        bands=np.percentile(sampled, BAND_PERCENTILES, axis=1),
        actual=actual[steps],
        max_drawdown_pct=100.0 * (worst - 1.0),
        final_return_pct=100.0 * (sampled[-1] / capital - 1.0),
        ruin_probability=float(np.mean(lowest <= capital * (1.0 - ruin_pct / 100.0))),
        actual_max_drawdown_pct=100.0 * (float(np.min(actual / np.maximum.accumulate(actual))) - 1),
        actual_return_pct=100.0 * (float(actual[-1]) / capital - 1.0),
    )


def _sizing(sizing: str, actual: FloatArray) -> bool:
    """Whether to compound; compounding needs the equity before each trade to be above 0."""
    if sizing not in SIZINGS:
        raise MonteCarloError(f"sizing {sizing!r}: expected one of {', '.join(SIZINGS)}")
    if sizing == "fixed":
        return False
    broke = np.flatnonzero(actual[:-1] <= 0)
    if len(broke):
        raise MonteCarloError(
            f"the equity is {actual[broke[0]]:,.2f} before round trip {broke[0] + 1}: returns "
            "on it cannot be compounded; use fixed sizing"
        )
    return True


def _check(pnl: FloatArray, capital: float, paths: int, method: str, ruin_pct: float) -> None:
    if method not in METHODS:
        raise MonteCarloError(f"method {method!r}: expected one of {', '.join(METHODS)}")
    if pnl.ndim != 1 or len(pnl) < 2:
        count = "no round trip" if pnl.size == 0 else "one round trip"
        raise MonteCarloError(f"the run has {count}: a Monte Carlo needs at least two to resample")
    if not np.isfinite(pnl).all():
        row = int(np.argmin(np.isfinite(pnl)))
        raise MonteCarloError(f"round trip {row + 1} has no finite P&L: {pnl[row]}")
    if not (np.isfinite(capital) and capital > 0):
        raise MonteCarloError(f"capital {capital!r}: must be a number > 0")
    if not 1 <= paths <= MAX_PATHS:
        raise MonteCarloError(f"paths {paths}: must be between 1 and {MAX_PATHS:,}")
    if not 0 < ruin_pct <= 100:
        raise MonteCarloError(f"ruin at a loss of {ruin_pct}%: must be above 0% and at most 100%")


def _draws(rng: np.random.Generator, values: FloatArray, k: int, method: str) -> FloatArray:
    """``k`` rows of trade values: drawn with replacement, or each row a shuffle of all."""
    n = len(values)
    if method == "bootstrap":
        drawn: FloatArray = np.take(values, rng.integers(0, n, size=(k, n)))
        return drawn  # np.take: several times faster than values[indices] here
    shuffled: FloatArray = rng.permuted(np.broadcast_to(values, (k, n)), axis=1)
    return shuffled


def run_pnl(db: DbOrCursor, run_id: int) -> tuple[FloatArray, float]:
    """A recorded run's round-trip P&L in order of exit, and its starting capital."""
    con = connection_of(db)
    row = first_row(con.execute("SELECT capital FROM runs WHERE run_id = ?", [run_id]))
    if row is None:
        raise UnknownRunError(run_id)
    pnl = con.execute(
        "SELECT pnl FROM run_trades WHERE run_id = ? ORDER BY exit_ts, entry_ts", [run_id]
    ).fetchnumpy()["pnl"]
    return np.asarray(pnl, dtype=np.float64), float(row[0])


def run_montecarlo(db: DbOrCursor, run_id: int, **options: Any) -> MonteCarlo:
    """:func:`simulate` on a recorded run's round trips; a run with fewer than two says so."""
    pnl, capital = run_pnl(db, run_id)
    try:
        return simulate(pnl, capital, **options)
    except MonteCarloError as exc:
        raise MonteCarloError(f"run {run_id}: {exc}") from None
