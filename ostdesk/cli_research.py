"""The parameter-study commands: ``optimize``, ``studies`` and ``study`` (their options here,
registered by ``ostdesk.cli_parser``; the work is ``ostdesk.research``'s).

``optimize`` prints one progress line with an ETA on stderr while it runs, and the best trials
at the end; Ctrl-C stops it as ``cancelled`` and ``optimize --resume N`` goes on from the
trials stored. A bad range, an unknown parameter or statistic, or an empty space is one line.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from ostdesk import cli_errors, cli_output

OpenDb = Callable[..., Any]


def add_parsers(sub: Any, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``optimize``, ``studies`` and ``study`` to the command line's subparsers."""
    opt = sub.add_parser(
        "optimize", help="search a strategy's parameters over stored bars (a study)"
    )
    add_db(opt)
    opt.add_argument("--strategy", help="strategy name (see `ostdesk strategies`)")
    opt.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=RANGE",
        help="a parameter to search: fast=5:50:5 (low:high:step), a,b,c, one value to fix it, "
        "or the name alone for its declared range (repeatable)",
    )
    opt.add_argument("--symbol", action="append", default=[], metavar="SYM", help="a symbol")
    opt.add_argument("--symbols", metavar="A,B", help="comma-separated symbols")
    opt.add_argument("--period", default="minute", help="bar period (default: minute)")
    opt.add_argument("--start", help="first day or time (ISO; UTC unless it has an offset)")
    opt.add_argument("--end", help="end of the range (ISO), as for backtest")
    opt.add_argument("--capital", type=float, default=100_000.0, help="initial capital")
    opt.add_argument("--commission", default="none", help="as for backtest (default: none)")
    opt.add_argument("--slippage", type=float, default=0.0, help="slippage in ticks")
    opt.add_argument(
        "--objective",
        action="append",
        default=[],
        metavar="STAT",
        help='a statistic to maximise, e.g. "Sharpe Ratio" ("min:STAT" to minimise it); '
        "several make a multi-objective study (nsga2)",
    )
    opt.add_argument("--minimize", action="store_true", help="minimise the objectives")
    opt.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="EXPR",
        help='a condition a trial must meet to count, e.g. "# Trades>=30" (repeatable)',
    )
    opt.add_argument(
        "--method",
        default="grid",
        choices=["grid", "random", "tpe", "cmaes", "nsga2"],
        help="search method (default: grid)",
    )
    opt.add_argument("--trials", type=int, help="number of trials (all methods but grid)")
    opt.add_argument("--seed", type=int, default=0, help="seed of random and model-based search")
    opt.add_argument("--workers", type=int, help="parallel trials (default: one per core)")
    opt.add_argument("--backend", default="local", choices=["local", "ray"], help="where to run")
    opt.add_argument(
        "--address", help="Ray cluster: auto (this machine's cluster) or HOST:PORT of its head"
    )
    opt.add_argument(
        "--trial-timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="stop a trial after S seconds (default: 600)",
    )
    opt.add_argument("--name", default="", help="a name for the study")
    opt.add_argument("--resume", type=int, metavar="N", help="continue study N where it stopped")
    opt.add_argument(
        "--strategies-dir", action="append", default=[], metavar="DIR", help="strategy folder"
    )
    opt.add_argument("--json", action="store_true", help="print JSON instead of text")

    studies = sub.add_parser("studies", help="list parameter studies")
    add_db(studies)
    studies.add_argument("--json", action="store_true", help="print JSON instead of text")

    study = sub.add_parser("study", help="a study's best trials; export, or re-run one")
    add_db(study)
    study.add_argument("study_id", type=int, help="the study's id (see `ostdesk studies`)")
    study.add_argument("--top", type=int, default=10, help="how many trials to show")
    study.add_argument("--export", metavar="FILE", help="write every trial to .csv or .parquet")
    study.add_argument("--rerun", type=int, metavar="TRIAL", help="record trial TRIAL as a run")
    study.add_argument("--json", action="store_true", help="print JSON instead of text")


def cmd_optimize(args: argparse.Namespace, open_db: OpenDb) -> int:
    from ostdesk.research.backends import BackendError
    from ostdesk.research.study import StudyRunner
    from ostdesk.store.studies import recover_interrupted_studies

    with open_db(args, write=True) as db:
        recover_interrupted_studies(db)
        with cli_errors.as_user_error():
            if args.resume is not None:
                runner = StudyRunner.resume(
                    db, args.resume, **_running(args), on_progress=_ProgressLine(sys.stderr)
                )
            else:
                spec, cls = _spec(args)
                runner = StudyRunner(
                    db,
                    spec,
                    strategy=cls,
                    name=args.name,
                    **_running(args),
                    on_progress=_ProgressLine(sys.stderr),
                )
        try:
            with cli_errors.as_user_error():
                summary = runner.run()
        except BackendError as exc:  # the workers or the cluster are gone: nothing to retry
            raise cli_errors.UserError(f"study {runner.study_id} stopped: {exc}") from None
        except KeyboardInterrupt:
            print(
                f"\nstudy {runner.study_id} interrupted; `ostdesk optimize --resume "
                f"{runner.study_id}` goes on from the stored trials",
                file=sys.stderr,
            )
            raise
        print(file=sys.stderr)
        report = _report(db, summary.study_id, runner.spec, 10)
    _print_report(report, args.json)
    return cli_errors.OK


def _running(args: argparse.Namespace) -> dict[str, Any]:
    from ostdesk.research.backends import BackendError

    if args.workers is not None and args.workers < 1:
        raise cli_errors.UserError(f"--workers {args.workers}: must be 1 or more")
    if args.address and args.backend != "ray":
        raise cli_errors.UserError("--address is for --backend ray")
    try:
        from ostdesk.research.backends import make_backend

        backend = make_backend(args.backend, args.workers, args.address)
    except BackendError as exc:
        raise cli_errors.UserError(str(exc)) from None
    return {"backend": backend}


def _spec(args: argparse.Namespace) -> tuple[Any, Any]:
    from ostdesk import cli
    from ostdesk.engine.commission import parse_commission
    from ostdesk.engine.events import BarPeriod
    from ostdesk.research.space import SpaceError, parse_space
    from ostdesk.research.spec import Constraint, Objective, StudySpec, check_stat

    if not args.strategy:
        raise cli_errors.UserError("name the strategy: --strategy NAME (or --resume N)")
    catalog = cli._catalog(args.strategies_dir)
    cls = catalog.get(args.strategy)
    symbols = cli._symbols(args)
    period = BarPeriod.parse(args.period)
    parse_commission(args.commission)  # refused here, not in every worker
    try:
        space, fixed = parse_space(cls.params, args.param)
        objectives = []
        for text in args.objective or ["Sharpe Ratio"]:
            how, sep, stat = text.partition(":")
            if sep and how in ("min", "max"):
                objectives.append(Objective(check_stat(stat, "--objective"), how == "min"))
            else:
                objectives.append(Objective(check_stat(text, "--objective"), args.minimize))
        spec = StudySpec(
            strategy=cls.__name__,
            strategy_source=catalog.sources[cls.__name__],
            symbols=symbols,
            period=period.label,
            space=space,
            objectives=tuple(objectives),
            fixed=fixed,
            constraints=tuple(Constraint.parse(c) for c in args.constraint),
            method=args.method,
            n_trials=args.trials,
            seed=args.seed,
            start_ns=cli._when("--start", args.start),
            end_ns=cli._when("--end", args.end, end_of_day=True),
            capital=args.capital,
            commission=args.commission,
            slippage_ticks=args.slippage,
            trial_timeout_s=args.trial_timeout,
        )
    except SpaceError as exc:
        raise cli_errors.UserError(str(exc)) from None
    return spec, cls


class _ProgressLine:
    """``trials 37/100 (2 failed, 5 pruned)  12.3 trials/s  ETA 0:05`` on one line."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._shown = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if now - self._shown < 0.2 and progress.done != progress.planned:
            return
        self._shown = now
        planned = "?" if progress.planned is None else str(progress.planned)
        others = ", ".join(
            f"{n} {s}" for s, n in sorted(progress.by_status.items()) if s != "completed"
        )
        rate = progress.done / progress.elapsed_s if progress.elapsed_s else 0.0
        eta = "?" if progress.eta_s is None else _clock(progress.eta_s)
        line = f"trials {progress.done}/{planned}" + (f" ({others})" if others else "")
        self._stream.write(f"\r{line}  {rate:.1f} trials/s  ETA {eta}   ")
        self._stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _report(db: Any, study_id: int, spec: Any, top: int) -> dict[str, Any]:
    """A study's row, counts and best trials (the Pareto front for several objectives)."""
    from ostdesk.research.ranking import best_trials, pareto_front
    from ostdesk.store.studies import get_study, stored_trials

    study = get_study(db, study_id)
    trials = stored_trials(db, study_id)
    best = pareto_front(trials, spec) if len(spec.objectives) > 1 else best_trials(trials, spec)
    return {
        "study_id": study_id,
        "status": study["status"],
        "strategy": study["strategy"],
        "method": study["method"],
        "objectives": study["objectives"],
        "constraints": [c.describe() for c in spec.constraints],
        "trials": study["trials"],
        "planned": study["planned"],
        "by_status": study["by_status"],
        "best" if len(spec.objectives) == 1 else "pareto_front": [
            {
                "trial": t.number,
                "params": dict(t.params),
                "objective": list(t.objective),
                "statistics": dict(t.stats),
            }
            for t in best[:top]
        ],
    }


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        cli_output.print_json(report)
        return
    heading = "best trials:" if "best" in report else "Pareto front:"
    best = report.pop("best", None) or report.pop("pareto_front", [])
    cli_output.print_mapping({k: v for k, v in report.items() if k != "constraints"})
    if report["constraints"]:
        print(f"{'constraints':<28} {'; '.join(report['constraints'])}")
    if not best:
        print("no trial completed that meets the constraints")
        return
    print(heading)
    for t in best:
        params = " ".join(f"{k}={v}" for k, v in t["params"].items())
        values = ", ".join(f"{v:.6g}" for v in t["objective"])
        trades = t["statistics"].get("# Trades")
        print(f"  trial {t['trial']:<6} {values:<24} {params}  ({trades:.0f} trades)")


def cmd_studies(args: argparse.Namespace, open_db: OpenDb) -> int:
    from ostdesk.store.studies import list_studies

    with open_db(args, write=False) as db:
        rows = list_studies(db)
    if args.json:
        cli_output.print_json(rows)
        return cli_errors.OK
    if not rows:
        print("no studies yet; run one with `ostdesk optimize`")
    for r in rows:
        planned = "?" if r["planned"] is None else r["planned"]
        print(
            f"{r['study_id']:>5}  {r['status']:<11} {r['strategy']:<16} {r['method']:<7} "
            f"{r['trials']:>6}/{planned:<6} {r['objectives']}  {r['name']}"
        )
    return cli_errors.OK


def cmd_study(args: argparse.Namespace, open_db: OpenDb) -> int:
    from ostdesk.research.study import stored_spec
    from ostdesk.store.studies import export_trials

    write = args.rerun is not None
    with open_db(args, write=write) as db, cli_errors.as_user_error():
        spec, cls = stored_spec(db, args.study_id)
        if args.export:
            count = export_trials(db, args.study_id, args.export)
            print(f"wrote {count:,} trials of study {args.study_id} to {args.export}")
            return cli_errors.OK
        if args.rerun is not None:
            return _rerun(db, args, spec, cls)
        report = _report(db, args.study_id, spec, args.top)
    _print_report(report, args.json)
    return cli_errors.OK


def _rerun(db: Any, args: argparse.Namespace, spec: Any, cls: Any) -> int:
    """Record trial ``args.rerun`` as a run (the threaded executor, as the window runs)."""
    import dataclasses

    from ostdesk.engine.runner import RunStatus
    from ostdesk.research.trial import config_for
    from ostdesk.store.backtests import prepare_backtest
    from ostdesk.store.studies import stored_trials

    trial = next((t for t in stored_trials(db, args.study_id) if t.number == args.rerun), None)
    if trial is None:
        raise cli_errors.UserError(f"study {args.study_id} has no trial {args.rerun}")
    params = {k: cls.params[k].validate(v) for k, v in trial.params.items()}
    config = dataclasses.replace(
        config_for(spec, cls, params, {}),
        executor="threaded",
        name=f"study {args.study_id} trial {args.rerun}",
    )
    source = spec.strategy_source
    run = prepare_backtest(db, config, strategy_source=source).run()
    summary = cli_output.summary(db, run)
    if args.json:
        cli_output.print_json(summary)
    else:
        del summary["error"]
        cli_output.print_mapping(summary)
    if run.status is not RunStatus.COMPLETED:
        print(f"run {summary['run_id']} {cli_output.why_not_completed(run)}", file=sys.stderr)
        return cli_errors.RUN_NOT_COMPLETED
    return cli_errors.OK


COMMANDS: dict[str, Callable[[argparse.Namespace, OpenDb], int]] = {
    "optimize": cmd_optimize,
    "studies": cmd_studies,
    "study": cmd_study,
}
