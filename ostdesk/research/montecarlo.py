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

Either way the run's own order reproduces its closed-trade equity exactly. Paths advance a
trade at a time, all the paths of a pass together (vector operations on data that stays in
the cache, in log space for compound), while the other cores sort the next pass's
permutations, so memory stays bounded and 10,000 paths of 4,000 trades take a fraction of a
second (``bench/montecarlo.py``). Each block of paths has its own generator spawned from
``seed``: the same arguments give the same paths on any machine, with any number of threads.

Per path: the maximum drawdown (the largest fall from a running peak, in percent of that
peak, negative as in the run statistics), the final return, and whether the equity ever fell
to the ruin level (``ruin_pct`` percent of the starting capital lost). The fan chart's
percentile bands are taken at up to ``MAX_BAND_POINTS`` evenly spaced trade counts.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

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
_BLOCK_CELLS = 1 << 20  # trades x paths per generator: 8 MB of sort keys for a permutation
_PASS_CELLS = 1 << 24  # trades x paths a thread walks at once: 32 MB of a permutation's orders
_STEP_ROWS = 64  # trades drawn at a time for every path of a pass


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
    threads: int | None = None,
) -> MonteCarlo:
    """Resample the round trips' ``pnl`` (in order of exit) into ``paths`` equity paths from
    ``capital`` on ``threads`` cores (default all); the same arguments but ``threads`` always
    give the same result."""
    trade_pnl = np.asarray(pnl, dtype=np.float64)
    _check(trade_pnl, capital, paths, method, ruin_pct)
    if threads is not None and threads < 1:
        raise MonteCarloError(f"threads {threads}: must be at least 1")
    actual = capital + np.concatenate(([0.0], np.cumsum(trade_pnl)))
    compound = _sizing(sizing, actual)
    if compound:  # log(1 + return on the equity before the trade); a total loss is -inf
        with np.errstate(divide="ignore"):
            increments = np.log(np.maximum(actual[1:] / actual[:-1], 0.0))
    else:
        increments = trade_pnl
    n = len(trade_pnl)
    steps = np.unique(np.linspace(0, n, min(n + 1, MAX_BAND_POINTS)).round().astype(np.int64))
    walk = _Walk(increments, np.log(capital) if compound else capital, compound, steps, paths)
    cores = threads or os.cpu_count() or 1
    passes = _passes(paths, n, seed, method)
    if cores == 1:
        for blocks in passes:
            walk.run(blocks, [_sampler(m, increments, rng, len(p)) for p, rng, m in blocks])
    else:  # the samplers (a permutation's sorts, the bulk of its work: numpy releases the
        # GIL in them) are made on every core a pass ahead; the walk's many short numpy calls
        # stay on this thread, as hand-offs of the GIL between threads cost more than they gain
        with ThreadPoolExecutor(cores, thread_name_prefix="ostdesk-montecarlo") as pool:

            def ahead(blocks: list[_Block]) -> list[Future[_Rows]]:
                return [pool.submit(_sampler, m, increments, rng, len(p)) for p, rng, m in blocks]

            coming = ahead(passes[0])
            for k, blocks in enumerate(passes):
                samplers, coming = coming, ahead(passes[k + 1]) if k + 1 < len(passes) else []
                walk.run(blocks, [f.result() for f in samplers])
    sampled, worst, lowest = walk.sampled, walk.worst, walk.lowest
    if compound:
        np.exp(sampled, out=sampled)
        np.exp(worst, out=worst)
        np.exp(lowest, out=lowest)
    final_return_pct = 100.0 * (sampled[-1] / capital - 1.0)
    sampled.sort(axis=1)  # the bands are read from sorted rows: several times faster
    return MonteCarlo(
        method=method,
        sizing=sizing,
        paths=paths,
        seed=seed,
        trades=n,
        capital=float(capital),
        ruin_pct=float(ruin_pct),
        steps=steps,
        bands=_percentiles_of_sorted(sampled, BAND_PERCENTILES),
        actual=actual[steps],
        max_drawdown_pct=100.0 * (worst - 1.0),
        final_return_pct=final_return_pct,
        ruin_probability=float(np.mean(lowest <= capital * (1.0 - ruin_pct / 100.0))),
        actual_max_drawdown_pct=100.0 * (float(np.min(actual / np.maximum.accumulate(actual))) - 1),
        actual_return_pct=100.0 * (float(actual[-1]) / capital - 1.0),
    )


_Block = tuple[range, np.random.Generator, str]  # paths, their generator, the method


def _passes(paths: int, n: int, seed: int, method: str) -> list[list[_Block]]:
    """The paths in blocks of about ``_BLOCK_CELLS`` trades, each with a generator of its own
    spawned from ``seed`` (so no path depends on how blocks meet passes and threads), and the
    blocks in passes of about ``_PASS_CELLS``."""
    size = max(1, _BLOCK_CELLS // n)
    blocks = [range(start, min(start + size, paths)) for start in range(0, paths, size)]
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(blocks))]
    count = -(-len(blocks) // max(1, _PASS_CELLS // (n * size)))
    return [
        [(blocks[b], rngs[b], method) for b in part]
        for part in np.array_split(np.arange(len(blocks)), count)
    ]


class _Rows(Protocol):
    def __call__(self, first: int, count: int) -> FloatArray: ...


def _sampler(method: str, values: FloatArray, rng: np.random.Generator, paths: int) -> _Rows:
    """The trade values of a block of ``paths`` paths, ``count`` steps from step ``first`` at a
    time: a row per step, a column per path. A pass asks for the same steps in the same order
    whatever its other blocks, so a block's paths depend only on its generator."""
    n = len(values)
    if method == "bootstrap":

        def drawn(first: int, count: int) -> FloatArray:
            taken: FloatArray = np.take(values, rng.integers(0, n, size=(count, paths)))
            return taken  # np.take: several times faster than values[indices] here

        return drawn
    # each path is the trades sorted by random 64-bit keys, the trade's index in their low bits
    # (so two keys alike but for those bits, about 1e-9 per path, keep the trades' order);
    # several times faster than Generator.permuted, one row at a time
    low = (1 << (n - 1).bit_length()) - 1
    keys = rng.bit_generator.random_raw((paths, n))
    keys &= np.uint64(~low & 0xFFFF_FFFF_FFFF_FFFF)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort(axis=1)
    keys &= np.uint64(low)
    order = np.ascontiguousarray(keys.astype(np.min_scalar_type(low)).T)  # a row per step

    def shuffled(first: int, count: int) -> FloatArray:
        taken: FloatArray = np.take(values, order[first : first + count])
        return taken

    return shuffled


class _Walk:
    """The paths' equity one trade at a time, each step a few vector operations over all the
    paths of a pass (an accumulate along each path is a scalar loop several times slower):
    per path, the lowest equity, the lowest equity / running peak (both logs when
    compounding) and the equity at the band steps. Passes fill disjoint columns."""

    def __init__(
        self, increments: FloatArray, base: float, compound: bool, steps: IntArray, paths: int
    ) -> None:
        self.increments = increments
        self.base = base
        self.compound = compound
        self.steps = steps.tolist()
        self.sampled = np.empty((len(steps), paths))  # by step: percentiles read rows
        self.worst = np.empty(paths)
        self.lowest = np.empty(paths)

    def run(self, blocks: list[_Block], samplers: list[_Rows]) -> None:
        """Walk the paths of ``blocks`` (adjacent, in order; ``samplers`` theirs) from the
        first trade to the last."""
        start, stop = blocks[0][0].start, blocks[-1][0].stop
        width, n = stop - start, len(self.increments)
        columns = [
            (paths.start - start, paths.stop - start, sample)
            for (paths, _, _), sample in zip(blocks, samplers, strict=True)
        ]
        equity = np.full(width, self.base)
        peak, lowest = equity.copy(), equity.copy()
        worst = np.full(width, 0.0 if self.compound else 1.0)
        drop = np.empty(width)
        rows = np.empty((_STEP_ROWS, width))
        ratio = np.subtract if self.compound else np.divide  # -inf - peak: a total loss
        sampled = self.sampled[:, start:stop]
        sampled[0] = self.base  # steps[0] is 0
        steps, at = self.steps, 1
        for first in range(0, n, _STEP_ROWS):
            count = min(_STEP_ROWS, n - first)
            for left, right, sample in columns:
                rows[:count, left:right] = sample(first, count)
            for i in range(count):
                np.add(equity, rows[i], out=equity)
                np.maximum(peak, equity, out=peak)
                ratio(equity, peak, out=drop)
                np.minimum(worst, drop, out=worst)
                np.minimum(lowest, equity, out=lowest)
                if first + i + 1 == steps[at]:
                    sampled[at] = equity
                    at += 1
        self.worst[start:stop] = worst
        self.lowest[start:stop] = lowest


def _percentiles_of_sorted(rows: FloatArray, percentiles: tuple[int, ...]) -> FloatArray:
    """np.percentile(rows, percentiles, axis=1) (its linear method) of rows already sorted:
    sorting the rows first is several times faster than its partitions."""
    position = np.asarray(percentiles) / 100.0 * (rows.shape[1] - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, rows.shape[1] - 1)
    t = (position - below)[:, None]
    a, b = rows[:, below].T, rows[:, above].T
    diff = b - a
    out: FloatArray = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return out


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
