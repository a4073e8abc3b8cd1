"""The robustness commands, ``ostdesk montecarlo RUN`` and ``ostdesk robustness STUDY``: their
options are added to the parser here (``add_parsers``) and the work is done in
``ostdesk.research``, so ``cli.py`` and ``cli_parser.py`` only register them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ostdesk import cli_errors, cli_output


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
    rb.add_argument("--json", action="store_true", help="print JSON instead of text")


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
        cli_output.print_mapping(summary)
    return cli_errors.OK


def cmd_robustness(args: argparse.Namespace, open_db: Callable[..., Any]) -> int:
    """Print a stored study's robustness summary; definitions only with ``--json``."""
    from ostdesk.research.robustness import study_robustness

    with open_db(args, write=False) as db, cli_errors.as_user_error():
        summary = study_robustness(db, args.study_id).summary()
    if args.json:
        cli_output.print_json(summary)
        return cli_errors.OK
    notes = summary.pop("notes")
    del summary["definitions"]
    cli_output.print_mapping(summary)
    for note in notes:
        print(f"note: {note}")
    return cli_errors.OK
