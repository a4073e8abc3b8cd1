"""Command line: one short handler per command; the options are defined in
``ostdesk.cli_parser``, the work is done by the engine, the store and the GUI, and what is
printed by ``ostdesk.cli_output``.

``ostdesk`` with no arguments opens the window. Every error a user can cause ends with one
clear line on stderr and a non-zero exit status, never a traceback (``ostdesk.cli_errors``).
Commands that only read the database open it read-only, so they work on a read-only file and
never create one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ostdesk import cli_errors, cli_output, cli_robustness
from ostdesk.cli_parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    command = args.command or "gui"
    prefix = f"ostdesk {command}"
    debug = cli_errors.debug_requested(args.debug)
    try:
        with cli_errors.stderr_logging(prefix, debug=debug):
            if command == "gui":
                from ostdesk.gui.app import run_app

                return run_app(args.db, _strategy_folders(args.app_strategies_dir))
            if args.app_strategies_dir:
                raise cli_errors.UserError(
                    f"--strategies-dir goes after the command: ostdesk {command} "
                    "--strategies-dir DIR"
                )
            return _COMMANDS[command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return cli_errors.INTERRUPTED
    except BrokenPipeError:  # `ostdesk symbols | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return cli_errors.OK
    except Exception as exc:
        message = cli_errors.refusal(exc)
        if message is None:
            return cli_errors.report_bug(prefix, exc, argv, debug=debug)
        print(f"{prefix}: {message}", file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        return cli_errors.REFUSED


_NO_DATABASE = (
    "no database at {path}; create one with `ostdesk demo-data` or `ostdesk import`, "
    "or name another with --db"
)


def _open_db(args: argparse.Namespace, *, write: bool, create: bool = False) -> Any:
    """The database, read-write for commands that change it; read-only for the others, which
    then work on a read-only file and never create one (but upgrade an older schema when the
    file can be written, since that cannot be done read-only). Only commands that bring data
    (``create``: import, demo-data) make a database, and its folders, that is not there."""
    from ostdesk.store import Database, StoreError, resolve_db_path
    from ostdesk.store.errors import MissingDatabaseError, ReadOnlyDatabaseError, UpgradeNeededError
    from ostdesk.store.runs import recover_interrupted_runs

    path = resolve_db_path(args.db)
    if not create and not path.exists():
        raise cli_errors.UserError(_NO_DATABASE.format(path=path))
    try:
        if write:
            db = Database.open(path)
        else:
            try:
                db = Database.open(path, read_only=True)
            except UpgradeNeededError as upgrade:
                try:
                    db = Database.open(path)
                except ReadOnlyDatabaseError:
                    raise upgrade from None
    except MissingDatabaseError as exc:
        raise cli_errors.UserError(_NO_DATABASE.format(path=exc.path)) from None
    except StoreError as exc:
        raise cli_errors.UserError(str(exc)) from None
    if not db.read_only:
        for run_id in recover_interrupted_runs(db):
            print(
                f"note: run {run_id} was left running by a process that ended; marked interrupted",
                file=sys.stderr,
            )
        from ostdesk.store.studies import recover_interrupted_studies

        for study_id in recover_interrupted_studies(db):  # no other process holds the file
            print(
                f"note: study {study_id} was left running by a process that ended; marked "
                f"interrupted (`ostdesk optimize --resume {study_id}` goes on)",
                file=sys.stderr,
            )
    return db


def _cmd_import(args: argparse.Namespace) -> int:
    from ostdesk.store import import_bars
    from ostdesk.store.import_checks import OverlapError

    progress = cli_output.ProgressBar(sys.stderr)
    with _open_db(args, write=True, create=True) as db:
        try:
            with cli_errors.as_user_error():
                try:
                    result = import_bars(
                        db,
                        args.files,
                        symbol=args.symbol,
                        period=args.period,
                        tz=args.tz,
                        columns=args.columns,
                        replace=args.replace,
                        progress=progress,
                        description=args.description,
                        force=args.force,
                        epoch_unit=args.epoch_unit,
                    )
                except OverlapError as exc:  # the store names no option: this is ours
                    raise OverlapError(
                        exc.file, exc.row, f"{exc.problem}; import with --replace to overwrite them"
                    ) from None
        finally:
            progress.finish()
    print(result.summary())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ostdesk.store import install_demo_data

    progress = cli_output.ProgressBar(sys.stderr)
    with _open_db(args, write=True, create=True) as db:
        symbols = install_demo_data(db, progress=progress)
    progress.finish()
    print(f"installed synthetic demo data for {', '.join(symbols)} in {db.path}")
    return 0


def _cmd_symbols(args: argparse.Namespace) -> int:
    from ostdesk.engine.events import BarPeriod
    from ostdesk.store import list_instruments
    from ostdesk.store.market_data import coverage
    from ostdesk.store.timefmt import format_ns

    with _open_db(args, write=False) as db:
        instruments = list_instruments(db)
        if not instruments:
            print("no market data stored; try `ostdesk demo-data` or `ostdesk import`")
        stored = {period: coverage(db, None, period) for period in BarPeriod}  # shortest first
        for inst in instruments:
            for period, per_symbol in stored.items():
                if inst.symbol not in per_symbol:
                    continue
                first, last, count = per_symbol[inst.symbol]
                print(
                    f"{inst.symbol:<12} {period.label:<7} {count:>10,} bars  "
                    f"{format_ns(first)} .. {format_ns(last)}  {inst.description or ''}"
                )
    return 0


def _strategy_folders(dirs: Sequence[str]) -> list[Path]:
    """The user's strategy folder and the ``--strategies-dir`` ones, which must exist."""
    from ostdesk.store.paths import default_strategies_dir

    for d in dirs:
        if not Path(d).is_dir():
            raise cli_errors.UserError(f"strategies folder {d} does not exist")
    return [default_strategies_dir(), *(Path(d) for d in dirs)]


def strategy_catalog(dirs: Sequence[str]) -> Any:
    from ostdesk.engine.strategy_loader import load_strategies

    catalog = load_strategies(_strategy_folders(dirs))
    for error in catalog.errors:
        print(f"warning: could not load {error}", file=sys.stderr)
    return catalog


def _cmd_strategies(args: argparse.Namespace) -> int:
    from ostdesk.store.paths import default_strategies_dir

    catalog = strategy_catalog(args.strategies_dir)
    cli_output.print_strategies(catalog, default_strategies_dir())
    return 0


def _parse_params(cls: Any, pairs: Sequence[str]) -> dict[str, Any]:
    from ostdesk.engine.params import ParamError

    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise cli_errors.UserError(f"--param {pair!r}: expected NAME=VALUE")
        if key not in cls.params:
            known = ", ".join(cls.params) or "none"
            raise cli_errors.UserError(
                f"--param {key}: {cls.name} has no such parameter (parameters: {known})"
            )
        try:
            values[key] = cls.params[key].parse(text)
        except ParamError as exc:
            raise cli_errors.UserError(str(exc)) from None
    return values


def _cmd_backtest(args: argparse.Namespace) -> int:
    from ostdesk.engine.commission import parse_commission
    from ostdesk.engine.events import BarPeriod
    from ostdesk.engine.runner import BacktestConfig, RunStatus
    from ostdesk.store.backtests import prepare_backtest

    catalog = strategy_catalog(args.strategies_dir)
    with cli_errors.as_user_error():
        cls = catalog.get(args.strategy)
        params = _parse_params(cls, args.param)
        symbols = chosen_symbols(args)
        config = BacktestConfig(
            strategy=cls,
            symbols=symbols,
            period=BarPeriod.parse(args.period),
            params=params,
            start_ns=option_time("--start", args.start),
            end_ns=option_time("--end", args.end, end_of_day=True),
            capital=args.capital,
            commission=parse_commission(args.commission),
            slippage_ticks=args.slippage,
            name=args.name,
            executor="sync" if args.fast else "threaded",
        )
    with _open_db(args, write=True) as db:
        with cli_errors.as_user_error(), _comma_hint(args):
            run = prepare_backtest(
                db, config, strategy_source=catalog.sources[cls.__name__], echo_log=sys.stderr
            )
        try:
            run.run()
        except KeyboardInterrupt:
            if not run.done:  # its strategy is stuck in a C call: this process ends anyway
                _mark_interrupted(db, run)
            raise
        summary = cli_output.summary(db, run)
    if args.json:
        cli_output.print_json(summary)
    else:
        del summary["error"]  # stderr says it below, the traceback whole
        cli_output.print_mapping(summary)
    if run.status is RunStatus.COMPLETED:
        return cli_errors.OK
    print(f"run {summary['run_id']} {cli_output.why_not_completed(run)}", file=sys.stderr)
    if run.error is not None and run.error.component.startswith("strategy"):
        print(run.error.traceback.rstrip(), file=sys.stderr)  # the user's own code
    return cli_errors.RUN_NOT_COMPLETED


def chosen_symbols(args: argparse.Namespace) -> tuple[str, ...]:
    """``--symbol`` (repeatable, any characters) or ``--symbols A,B``, not both."""
    if args.symbol and args.symbols is not None:
        raise cli_errors.UserError("give --symbol (repeatable) or --symbols A,B, not both")
    named = args.symbols.split(",") if args.symbols is not None else args.symbol
    symbols = tuple(s.strip() for s in named if s.strip())
    if not symbols:
        raise cli_errors.UserError("name the symbols to trade: --symbol SYM or --symbols A,B")
    return symbols


@contextlib.contextmanager
def _comma_hint(args: argparse.Namespace) -> Iterator[None]:
    """An unknown symbol out of ``--symbols A,B`` may be half of a name with a comma in it."""
    from ostdesk.store.errors import UnknownSymbolError

    try:
        yield
    except UnknownSymbolError as exc:
        if args.symbols is None or "," not in args.symbols:
            raise
        raise cli_errors.UserError(
            f"{exc}; --symbols splits at commas: name a symbol containing one with --symbol"
        ) from None


def _mark_interrupted(db: Any, run: Any) -> None:
    """The run a Ctrl-C could not stop is stored ``interrupted`` now, as the next open would
    (this process holds the database for writing: no other run can be live)."""
    from ostdesk.store.runs import recover_interrupted_runs

    for run_id in recover_interrupted_runs(db):
        print(
            f"run {run_id} did not stop within 2 s (its strategy is blocked); marked interrupted",
            file=sys.stderr,
        )


def option_time(option: str, text: str | None, *, end_of_day: bool = False) -> int | None:
    from ostdesk.timeparse import parse_when

    if not text:
        return None
    try:
        return parse_when(text, end_of_day=end_of_day)
    except ValueError as exc:
        raise cli_errors.UserError(f"{option}: {exc}") from None


def _cmd_runs(args: argparse.Namespace) -> int:
    from ostdesk.store.runs import list_runs

    with _open_db(args, write=False) as db:
        runs = list_runs(db)
    rows = cli_output.run_rows(runs)
    if args.json:
        cli_output.print_json(rows)
    else:
        cli_output.print_runs(rows)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from ostdesk.store.runs import get_run, run_stats

    with _open_db(args, write=False) as db:
        with cli_errors.as_user_error():
            run = get_run(db, args.run_id)
        details = cli_output.run_details(run, run_stats(db, args.run_id))
    if args.json:
        cli_output.print_json(details)
    else:
        error = details.pop("error")  # a traceback: printed whole, after the statistics
        cli_output.print_mapping(details)
        if error:
            print(f"error:\n{error}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from ostdesk.store.export import export_run

    with _open_db(args, write=False) as db, cli_errors.as_user_error():
        rows = export_run(db, args.run_id, args.what, args.output, args.format)
    print(f"wrote {rows:,} rows of {args.what} of run {args.run_id} to {args.output}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ostdesk.report import write_report

    with _open_db(args, write=False) as db, cli_errors.as_user_error():
        path = write_report(db, args.run_id, args.output)
    print(f"wrote the report of run {args.run_id} to {path}")
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from ostdesk.store.runs import delete_run

    with _open_db(args, write=True) as db, cli_errors.as_user_error():
        delete_run(db, args.run_id)
    print(f"deleted run {args.run_id}")
    return 0


def _cmd_install_desktop(args: argparse.Namespace) -> int:
    from ostdesk.gui.desktop import DesktopInstallError, install_desktop

    try:
        path = install_desktop()
    except DesktopInstallError as exc:
        raise cli_errors.UserError(str(exc)) from None
    print(f"installed {path}")
    return 0


def _cmd_uninstall_desktop(args: argparse.Namespace) -> int:
    from ostdesk.gui.desktop import DesktopInstallError, uninstall_desktop

    try:
        removed = uninstall_desktop()
    except DesktopInstallError as exc:
        raise cli_errors.UserError(str(exc)) from None
    print("\n".join(f"removed {p}" for p in removed) or "nothing to remove")
    return 0


_COMMANDS = {
    "install-desktop": _cmd_install_desktop,
    "uninstall-desktop": _cmd_uninstall_desktop,
    "backtest": _cmd_backtest,
    "import": _cmd_import,
    "demo-data": _cmd_demo,
    "symbols": _cmd_symbols,
    "strategies": _cmd_strategies,
    "runs": _cmd_runs,
    "show": _cmd_show,
    "export": _cmd_export,
    "report": _cmd_report,
    "delete": _cmd_delete,
    "montecarlo": lambda args: cli_robustness.cmd_montecarlo(args, _open_db),
    "robustness": lambda args: cli_robustness.cmd_robustness(args, _open_db),
    "walkforward": lambda args: cli_robustness.cmd_walkforward(args, _open_db),
}


def _research_command(name: str) -> Any:
    """``ostdesk.cli_research``'s command ``name``, with this module's way to open the database."""

    def command(args: argparse.Namespace) -> int:
        from ostdesk import cli_research

        return cli_research.COMMANDS[name](args, _open_db)

    return command


_COMMANDS.update({name: _research_command(name) for name in ("optimize", "studies", "study")})
