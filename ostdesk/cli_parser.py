"""The command line's commands and options, each with its help; ``--db`` and ``--debug`` are
accepted before or after the command's name."""

from __future__ import annotations

import argparse
from typing import NoReturn

from ostdesk import cli_errors, cli_robustness


def _add_db(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """``--db`` and ``--debug``, before or after the command; a command's parser leaves the
    values out when not given (SUPPRESS), so that it does not undo ``ostdesk --db X runs``."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help="database file (default: $OSTDESK_DB or the user data folder)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default if default is argparse.SUPPRESS else False,
        help=f"print tracebacks of errors (also: {cli_errors.DEBUG_ENV}=1)",
    )


def _add_app_strategies_dir(
    parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS
) -> None:
    """The window's ``--strategies-dir``, before or after ``gui`` (as ``--db``)."""
    parser.add_argument(
        "--strategies-dir",
        dest="app_strategies_dir",
        action="append",
        default=default,
        metavar="DIR",
        help="extra folder of strategy files for the window (repeatable)",
    )


def _version() -> str:
    """The installed package's version; a build without package metadata (PyInstaller) has
    the one the package states."""
    from importlib import metadata

    try:
        return metadata.version("ostdesk")
    except metadata.PackageNotFoundError:
        from ostdesk import __version__

        return __version__


class _Parser(argparse.ArgumentParser):
    """A mistake in the command line is one line, as every other refused input is."""

    def error(self, message: str) -> NoReturn:
        self.exit(cli_errors.REFUSED, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ostdesk",
        description=(
            "Research, backtest and replay trading strategies. Without a command, opens the app."
        ),
        epilog=cli_errors.EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"ostdesk {_version()}", help="print the version"
    )
    _add_db(parser, default=None)
    _add_app_strategies_dir(parser, default=[])
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="what to do (`ostdesk COMMAND --help` for more)"
    )

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    _add_db(gui)
    _add_app_strategies_dir(gui)

    bt = sub.add_parser("backtest", help="run a backtest headless and print its statistics")
    _add_db(bt)
    bt.add_argument("--strategy", required=True, help="strategy name (see `ostdesk strategies`)")
    bt.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="override a strategy parameter (repeatable)",
    )
    bt.add_argument(
        "--symbol",
        action="append",
        default=[],
        metavar="SYM",
        help="a symbol to trade (repeatable; the way to name a symbol containing a comma)",
    )
    bt.add_argument("--symbols", metavar="A,B", help="comma-separated symbols, e.g. AAPL,MSFT")
    bt.add_argument(
        "--period", default="minute", help="bar period: second|minute|hour|day (default: minute)"
    )
    bt.add_argument("--start", help="first day or time (ISO; UTC unless it has an offset)")
    bt.add_argument(
        "--end",
        help="end of the range (ISO; UTC unless it has an offset): a date includes that whole "
        "day, a time the bars that open before it",
    )
    bt.add_argument(
        "--capital", type=float, default=100_000.0, help="initial capital (default: 100000)"
    )
    bt.add_argument(
        "--commission",
        default="none",
        help='e.g. "per_unit=0.005,min=1", "percent=0.1" or "0.1%%" (default: none)',
    )
    bt.add_argument("--slippage", type=float, default=0.0, help="slippage in ticks (default: 0)")
    bt.add_argument("--name", default="", help="a name for the recorded run")
    bt.add_argument(
        "--fast",
        action="store_true",
        help="run every component on one thread (the synchronous executor): the same results, "
        "several times faster; the window always runs the threaded one",
    )
    bt.add_argument(
        "--strategies-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="extra folder of strategy files (repeatable)",
    )
    bt.add_argument("--json", action="store_true", help="print JSON instead of text")

    imp = sub.add_parser("import", help="import bars from CSV or Parquet files")
    _add_db(imp)
    imp.add_argument(
        "files", nargs="+", metavar="FILE", help="CSV (any delimiter, may be .gz) or Parquet"
    )
    imp.add_argument("--symbol", required=True, help="the symbol the bars are stored under")
    imp.add_argument("--period", required=True, help="bar period: second|minute|hour|day")
    imp.add_argument("--tz", help="time zone of naive timestamps, e.g. Europe/Berlin (default UTC)")
    imp.add_argument("--columns", help='column mapping, e.g. "timestamp=Date,close=Adj Close"')
    imp.add_argument("--replace", action="store_true", help="replace overlapping stored bars")
    imp.add_argument("--description", help="instrument description")
    imp.add_argument(
        "--force",
        action="store_true",
        help="store the bars even though their spacing does not fit --period",
    )
    imp.add_argument(
        "--epoch-unit",
        metavar="UNIT",
        help="unit of numeric timestamps: s, ms, us or ns (default: told by their size)",
    )

    demo = sub.add_parser("demo-data", help="install the synthetic demo bars")
    _add_db(demo)

    sym = sub.add_parser("symbols", help="list stored symbols and their data")
    _add_db(sym)

    runs = sub.add_parser("runs", help="list recorded runs with headline statistics")
    _add_db(runs)
    runs.add_argument("--json", action="store_true", help="print JSON instead of text")

    show = sub.add_parser("show", help="print a recorded run's statistics")
    _add_db(show)
    show.add_argument("run_id", type=int, help="the run's id (see `ostdesk runs`)")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")

    export = sub.add_parser(
        "export", help="export a run's fills, orders, trades, equity, bars or log"
    )
    _add_db(export)
    export.add_argument("run_id", type=int, help="the run's id (see `ostdesk runs`)")
    export.add_argument(
        "--what",
        required=True,
        choices=["fills", "orders", "trades", "equity", "bars", "log"],
        help="which of the run's records to write (log: every message of its self.log)",
    )
    export.add_argument(
        "--format",
        choices=["csv", "parquet"],
        help="file format (default: the file's extension, .csv or .parquet)",
    )
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")

    report = sub.add_parser(
        "report", help="write a run's report: one self-contained HTML file to share"
    )
    _add_db(report)
    report.add_argument("run_id", type=int, help="the run's id (see `ostdesk runs`)")
    report.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="HTML file to write (run.html)"
    )

    delete = sub.add_parser("delete", help="delete a recorded run and all its rows")
    _add_db(delete)
    delete.add_argument("run_id", type=int, help="the run's id (see `ostdesk runs`)")

    sub.add_parser("install-desktop", help="add ostdesk to the desktop's application menu")
    sub.add_parser("uninstall-desktop", help="remove ostdesk from the application menu")

    strat = sub.add_parser("strategies", help="list available strategies")
    strat.add_argument(
        "--strategies-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="extra folder of strategy files (repeatable)",
    )
    strat.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="print tracebacks"
    )
    from ostdesk import cli_research  # parameter studies: optimize, studies, study

    cli_research.add_parsers(sub, _add_db)
    cli_robustness.add_parsers(sub, _add_db)
    return parser
