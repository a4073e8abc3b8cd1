"""The robustness commands, ``ostdesk montecarlo RUN``, ``ostdesk robustness STUDY`` and
``ostdesk walkforward STUDY``: their
options are added to the parser here (``add_parsers``) and the work is done in
``ostdesk.research``, so ``cli.py`` and ``cli_parser.py`` only register them."""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from ostdesk import cli_errors, cli_output, cli_values


def parse_loss(text: str) -> float:
    """``30%`` or ``30``: a loss in percent of the starting capital, above 0 and at most 100."""
    number = text.strip().removesuffix("%").strip()
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a loss like 30%") from None
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r}: the loss must be above 0% and at most 100%")
    return value


def parse_blocks(text: str) -> int:
    """The PBO's number of blocks: even, from 2 to 16 (more make too many splits)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of blocks") from None
    if value < 2 or value > 16 or value % 2:
        raise argparse.ArgumentTypeError(f"{text!r}: the blocks must be an even number, 2 to 16")
    return value


_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw]?)\s*$")
_SPAN_NS = {"m": 60 * 10**9, "h": 3_600 * 10**9, "d": 86_400 * 10**9, "w": 7 * 86_400 * 10**9}


def parse_span(text: str) -> tuple[int, str]:
    """``500`` (bars) or ``90d`` / ``12w`` / ``6h`` / ``30m`` (nanoseconds): (length, unit)."""
    match = _SPAN.match(text)
    if match is None or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected N bars or a duration like 90d")
    count, unit = int(match[1]), match[2]
    return (count, "bars") if not unit else (count * _SPAN_NS[unit], "ns")


def add_parsers(sub: Any, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the robustness commands to the ``sub`` parsers (``add_db`` adds --db/--debug)."""
    mc = sub.add_parser(
        "montecarlo",
        help="resample a run's round trips: drawdown and return distribution, risk of ruin",
        description=(
            "Resample a recorded run's round trips into many equity paths from its capital: "
            "bootstrap draws trades with replacement, permutation reorders all of them."
        ),
    )
    add_db(mc)
    mc.add_argument("run_id", type=int, help="the run's id (see `ostdesk runs`)")
    mc.add_argument("--paths", type=int, default=10_000, help="paths (default: 10000)")
    mc.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    mc.add_argument(
        "--method",
        default="bootstrap",
        metavar="bootstrap|permutation",
        help="how to resample (default: bootstrap)",
    )
    mc.add_argument(
        "--sizing",
        default="compound",
        metavar="compound|fixed",
        help="a trade's effect: its return on the equity it had (compound, the default) or "
        "its P&L in money (fixed, for strategies that trade one size)",
    )
    mc.add_argument(
        "--ruin",
        type=parse_loss,
        default=50.0,
        metavar="LOSS",
        help="ruin is losing this share of the starting capital, e.g. 30%% (default: 50%%)",
    )
    mc.add_argument("--json", action="store_true", help="print JSON instead of text")

    rb = sub.add_parser(
        "robustness",
        help="a study's overfitting statistics: Deflated Sharpe Ratio, PBO, plateau score",
        description=(
            "The Deflated Sharpe Ratio of a stored study's best trial, the Probability of "
            "Backtest Overfitting (when the trials' returns are known) and the plateau score "
            "of the best grid cell, with their definitions."
        ),
    )
    add_db(rb)
    rb.add_argument("study_id", type=int, help="the study's id (see `ostdesk studies`)")
    rb.add_argument(
        "--blocks",
        type=parse_blocks,
        metavar="S",
        help="PBO: cut the trials' returns into S blocks, even, 2 to 16; it needs at least "
        "2 x S periods (default: the most up to 16 that have 2 periods each, at least 4)",
    )
    rb.add_argument("--json", action="store_true", help="print JSON instead of text")

    wf = sub.add_parser(
        "walkforward",
        help="walk a study forward: optimise on each in-sample window, run the best after it",
        description=(
            "Walk-forward analysis with a stored study's strategy, parameter space, objective, "
            "method and data: each in-sample window is optimised as a study of its own and "
            "its best trial recorded as a run on the out-of-sample window that follows."
        ),
    )
    add_db(wf)
    wf.add_argument("study_id", type=int, help="the study to walk forward (`ostdesk studies`)")
    for option, what in (("--in-sample", "optimised on"), ("--out-of-sample", "run after")):
        wf.add_argument(
            option,
            required=True,
            type=parse_span,
            metavar="LEN",
            help=f"length of each window {what}: N bars, or a duration like 90d, 12w, 6h",
        )
    wf.add_argument(
        "--anchored", action="store_true", help="in-sample windows all start at the first bar"
    )
    wf.add_argument("--workers", type=int, help="parallel trials (default: one per core)")
    wf.add_argument("--backend", default="local", choices=["local", "ray"], help="where to run")
    wf.add_argument("--json", action="store_true", help="print JSON instead of text")


def cmd_montecarlo(args: argparse.Namespace, open_db: Callable[..., Any]) -> int:
    """Print the run's Monte Carlo summary (``open_db`` is the CLI's read-only opener)."""
    from ostdesk.research.montecarlo import run_montecarlo

    with open_db(args, write=False) as db, cli_errors.as_user_error():
        result = run_montecarlo(
            db,
            args.run_id,
            paths=args.paths,
            seed=args.seed,
            method=args.method,
            sizing=args.sizing,
            ruin_pct=args.ruin,
        )
    summary = {"run_id": args.run_id, **result.summary()}
    if args.json:
        cli_output.print_json(summary)
    else:
        note = summary.pop("note")
        cli_output.print_mapping(summary)
        print(f"note: {note}")
    return cli_errors.OK


def cmd_robustness(args: argparse.Namespace, open_db: Callable[..., Any]) -> int:
    """Print a stored study's robustness summary; definitions only with ``--json``."""
    from ostdesk.research.robustness import study_robustness

    with open_db(args, write=False) as db, cli_errors.as_user_error():
        summary = study_robustness(db, args.study_id, blocks=args.blocks).summary()
    if args.json:
        cli_output.print_json(summary)
        return cli_errors.OK
    notes = summary.pop("notes")
    del summary["definitions"]
    cli_output.print_mapping(summary)
    for note in notes:
        print(f"note: {note}")
    return cli_errors.OK


def cmd_walkforward(args: argparse.Namespace, open_db: Callable[..., Any]) -> int:
    """Walk study ``args.study_id`` forward; print each window and the efficiency."""
    from ostdesk.research import walkforward as wf
    from ostdesk.research.study import stored_spec

    (is_len, is_unit), (oos_len, oos_unit) = args.in_sample, args.out_of_sample
    if is_unit != oos_unit:
        raise cli_errors.UserError(
            "give --in-sample and --out-of-sample both in bars or both as durations"
        )
    with open_db(args, write=True) as db, cli_errors.as_user_error():
        spec, cls = stored_spec(db, args.study_id)
        windows = wf.study_windows(db, spec, is_len, oos_len, unit=is_unit, anchored=args.anchored)
        result = wf.run_walkforward(
            db, spec, windows, backend=args.backend, workers=args.workers, strategy=cls,
            name=f"walk-forward of study {args.study_id}",
            on_window=None if args.json else partial(_print_window, spec.objectives[0].stat),
        )  # fmt: skip
    rows = [_window_row(r, spec.objectives[0].stat) for r in result.windows]
    if result.failure is not None:  # nothing ran out of sample: no efficiency, no run
        if args.json:
            cli_output.print_json({"windows": rows, "failure": result.failure, "run_id": None})
        print(f"ostdesk walkforward: {result.failure}", file=sys.stderr)
        return cli_errors.RUN_NOT_COMPLETED
    if args.json:
        cli_output.print_json(
            {
                "windows": rows,
                "efficiency": result.efficiency,
                "in_sample_mean_pct": 100 * result.is_mean,
                "out_of_sample_mean_pct": 100 * result.oos_mean,
                "efficiency_note": result.efficiency_note,
                "run_id": result.stitched_run_id,
                "run_note": wf.STITCHED_NOTE if result.stitched_run_id is not None else None,
            }
        )
    else:
        print(f"walk-forward efficiency {cli_values.text(result.efficiency)}"
              " (mean yearly log return out of sample / in sample:"
              f" {_percent(result.oos_mean)} / {_percent(result.is_mean)})")  # fmt: skip
        if result.efficiency_note is not None:
            print(f"note: walk-forward efficiency {result.efficiency_note}")
        if any(r.too_short for r in result.windows):
            print(f"note: {_SHORT_NOTE}")
        if result.stitched_run_id is not None:
            print(f"out of sample stitched: run {result.stitched_run_id}"
                  f" (`ostdesk show {result.stitched_run_id}`)")  # fmt: skip
            print(f"note: {wf.STITCHED_NOTE}")
    return cli_errors.OK


_SHORT_NOTE = (
    "windows marked 'too short' have fewer than 20 trading days on a side: their annualised "
    "figures (Sharpe, Sortino, Return (Ann.)) scale a few days up to a year; compare their "
    "returns instead"
)


def _percent(rate: float) -> str:
    return f"{100 * rate:+.2f}% a year" if math.isfinite(rate) else "n/a"


def _window_row(result: Any, stat: str) -> dict[str, Any]:
    from ostdesk.cli_values import time_of_ns

    w = result.window
    return {
        "window": w.index + 1,
        "in_sample": [time_of_ns(w.is_start_ns), time_of_ns(w.is_end_ns)],
        "out_of_sample": [time_of_ns(w.oos_start_ns), time_of_ns(w.oos_end_ns)],
        "study_id": result.study_id,
        "best_trial": result.best_trial,
        "best_params": dict(result.best_params),
        "objective": stat,
        "in_sample_objective": result.is_stats.get(stat),
        "out_of_sample_objective": result.oos_stats.get(stat),
        "out_of_sample_run_id": result.oos_run_id,
        "no_trial_because": result.why_none,
        "trading_days": [result.is_days, result.oos_days],
        "too_short_for_annualised": result.too_short,
    }


def _print_window(stat: str, result: Any) -> None:
    w = result.window
    if result.best_trial is None:
        print(f"window {w.index + 1}: study {result.study_id} chose no trial: {result.why_none}",
              flush=True)  # fmt: skip
        return
    params = " ".join(f"{k}={v}" for k, v in result.best_params.items())
    is_value = cli_values.text(result.is_stats.get(stat))
    oos_value = cli_values.text(result.oos_stats.get(stat))
    short = f" (too short: {result.oos_days} trading days)" if result.too_short else ""
    print(
        f"window {w.index + 1}: study {result.study_id} best {params} ({stat} {is_value}); "
        f"out of sample: run {result.oos_run_id} ({stat} {oos_value}){short}",
        flush=True,
    )
