"""The parameter-study commands: ``optimize``, ``studies`` and ``study`` (their options here,
registered by ``ostdesk.cli_parser``; the work is ``ostdesk.research``'s).

``optimize`` prints one progress line with an ETA on stderr while it runs, and the best trials
at the end; Ctrl-C stops it as ``cancelled`` and ``optimize --resume N`` goes on from the
trials stored. A bad range, an unknown parameter or statistic, or an empty space is one line.
"""

from __future__ import annotations

import argparse
import math
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
        "--max-leverage", type=float, metavar="X", help="cap on leverage (default: no limit)"
    )
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

    with open_db(args, write=True) as db:  # it marks a study a dead process left running
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
    catalog = cli.strategy_catalog(args.strategies_dir)
    cls = catalog.get(args.strategy)
    symbols = cli.chosen_symbols(args)
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
            start_ns=cli.option_time("--start", args.start),
            end_ns=cli.option_time("--end", args.end, end_of_day=True),
            capital=args.capital,
            commission=args.commission,
            slippage_ticks=args.slippage,
            max_leverage=args.max_leverage,
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
        rate = progress.rate  # of this run's trials: a resumed study's stored ones took none
        eta = "?" if progress.eta_s is None else _clock(progress.eta_s)
        if progress.repeated:
            others += f"{', ' if others else ''}{progress.repeated} repeated"
        line = f"trials {progress.done}/{planned}" + (f" ({others})" if others else "")
        self._stream.write(f"\r{line}  {rate:.1f} trials/s  ETA {eta}   ")
        self._stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _report(db: Any, study_id: int, spec: Any, top: int) -> dict[str, Any]:
    """A study's row, counts, failures (a line per distinct error) and best trials: the
    ``top`` best by the objective (``ranked`` of them in all), or the whole Pareto front for
    several objectives."""
    from ostdesk.research.ranking import best_trials, pareto_front
    from ostdesk.research.study import REPEAT_WORKER
    from ostdesk.store.studies import get_study, stored_trials

    study = get_study(db, study_id)
    trials = stored_trials(db, study_id)
    several = len(spec.objectives) > 1
    ranked = pareto_front(trials, spec) if several else best_trials(trials, spec)
    shown = ranked if several else ranked[:top]
    report = {
        "study_id": study_id,
        "status": _status(db, study["status"]),
        "strategy": study["strategy"],
        "method": study["method"],
        "objectives": study["objectives"],
        "constraints": [c.describe() for c in spec.constraints],
        "trials": study["trials"],
        "planned": study["planned"],
        "by_status": study["by_status"],
        "repeated": sum(t.worker.startswith(REPEAT_WORKER) for t in trials),
        "failures": _failures(trials),
        "ranked": len(ranked),
        "pareto_front" if several else "best": [
            {
                "trial": t.number,
                "params": dict(t.params),
                "objective": list(t.objective),
                "statistics": dict(t.stats),
            }
            for t in shown
        ],
    }
    if not ranked:
        report["why_no_best"] = _why_no_best(trials, spec)
    return report


def _status(db: Any, status: str) -> str:
    """``running`` read from a file this process could open holds no study that runs: DuckDB
    lets no one read a file another process writes, so the process that ran it is gone."""
    return "interrupted" if status == "running" and db.read_only else status


def _failures(trials: Any) -> list[dict[str, Any]]:
    """Trials that failed or timed out, a row per distinct error with how many, most first."""
    from ostdesk.research.spec import error_line

    counts: dict[str, int] = {}
    for t in trials:
        if t.status in ("failed", "timeout"):
            line = error_line(t.error)
            counts[line] = counts.get(line, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return [{"error": error, "count": n} for error, n in ranked]


def _why_no_best(trials: Any, spec: Any) -> str:
    """Why no trial is ranked: the failed ones (and the first's error), those with no value
    of an objective (and their trade count), those that break the constraints."""
    from ostdesk.research.spec import error_line

    parts = []
    for status in ("failed", "timeout", "pruned"):
        these = [t for t in trials if t.status == status]
        if these:
            parts.append(f"{len(these)} {status} (first: {error_line(these[0].error)})")
    completed = [t for t in trials if t.status == "completed"]
    missing = [t for t in completed if any(math.isnan(v) for v in t.objective)]
    if missing:
        stats = ", ".join(o.stat for o in spec.objectives)
        trades = {t.stats.get("# Trades") for t in missing}
        count = next(iter(trades)) if len(trades) == 1 else None
        said = f" ({count:.0f} trades)" if count is not None else ""
        parts.append(f"{len(missing)} completed with no {stats}{said}")
    broke = sum(not t.feasible for t in completed if t not in missing)
    if broke:
        parts.append(f"{broke} completed but break the constraints")
    return "no best trial: " + ("; ".join(parts) if parts else "no trial has finished")


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        cli_output.print_json(report)
        return
    best = report.pop("best", None)
    front = report.pop("pareto_front", None)
    failures = report.pop("failures")
    ranked = report.pop("ranked")
    why = report.pop("why_no_best", None)
    constraints = report.pop("constraints")
    repeated = report.pop("repeated")
    cli_output.print_mapping(report)
    if constraints:
        print(f"{'constraints':<28} {'; '.join(constraints)}")
    if repeated:
        print(
            f"{repeated} trials asked for a parameter set tried before: its stored result was "
            "told to the method again, not run again"
        )
    if failures:
        print("failed trials:")
        for f in failures:
            print(f"  {f['count']:>5} x {f['error']}")
    if report["status"] in ("interrupted", "cancelled"):
        print(_resume_hint(report["study_id"], report["status"]))
    if why:
        print(why)
        return
    if front is not None:
        print(f"Pareto front ({ranked} trials):")
    elif best is not None and len(best) < ranked:
        print(f"best trials (the top {len(best)} of {ranked}; --top N shows more):")
    else:
        print("best trials:")
    for t in best if best is not None else front or []:
        params = " ".join(f"{k}={v}" for k, v in t["params"].items())
        values = ", ".join(f"{v:.6g}" for v in t["objective"])
        trades = t["statistics"].get("# Trades")
        print(f"  trial {t['trial']:<6} {values:<24} {params}  ({trades:.0f} trades)")


def cmd_studies(args: argparse.Namespace, open_db: OpenDb) -> int:
    from ostdesk.store.studies import list_studies

    with open_db(args, write=False) as db:
        rows = list_studies(db)
        for r in rows:
            r["status"] = _status(db, r["status"])
    if args.json:
        cli_output.print_json(rows)
        return cli_errors.OK
    if not rows:
        print("no studies yet; run one with `ostdesk optimize`")
        return cli_errors.OK
    print(
        f"{'id':>5}  {'status':<11} {'strategy':<16} {'method':<7} {'trials':>13}  "
        f"{'symbols':<16} {'period':<7} {'bars from':<10} {'to':<10}  objectives  name"
    )
    for r in rows:
        trials = f"{r['trials']}/{'?' if r['planned'] is None else r['planned']}"
        symbols = ",".join(r["symbols"])
        print(
            f"{r['study_id']:>5}  {r['status']:<11} {r['strategy']:<16} {r['method']:<7} "
            f"{trials:>13}  {symbols[:16]:<16} {r['period'] or '':<7} {_day(r['start']):<10} "
            f"{_day(r['end']):<10}  {r['objectives']}  {r['name']}".rstrip()
        )
    for r in rows:
        if r["status"] in ("interrupted", "cancelled"):
            print(_resume_hint(r["study_id"], r["status"]))
    return cli_errors.OK


def _day(iso: str | None) -> str:
    return "?" if iso is None else iso[:10]


def _resume_hint(study_id: int, status: str) -> str:
    resume = f"`ostdesk optimize --resume {study_id}`"
    return f"study {study_id} is {status}: {resume} goes on from its stored trials"


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
    from ostdesk.engine.runner import RunStatus
    from ostdesk.research.trial import rerun_config
    from ostdesk.store.backtests import prepare_backtest
    from ostdesk.store.studies import stored_trials

    trial = next((t for t in stored_trials(db, args.study_id) if t.number == args.rerun), None)
    if trial is None:
        raise cli_errors.UserError(f"study {args.study_id} has no trial {args.rerun}")
    config = rerun_config(spec, cls, trial.number, trial.params, args.study_id)
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
