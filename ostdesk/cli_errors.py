"""How the command line ends: exit statuses, one line per problem on stderr (which errors
are the input's, ``UserError``), bug reports.

A user sees one line for each thing that went wrong, never a traceback, unless they ask for
tracebacks (``--debug`` or ``OSTDESK_DEBUG=1``). A bug's traceback is written to a file that
its one line names.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

OK = 0
RUN_NOT_COMPLETED = 1
REFUSED = 2
BUG = 70  # EX_SOFTWARE of sysexits.h
INTERRUPTED = 130  # 128 + SIGINT, as shells report it

EXIT_STATUS_HELP = f"""\
exit status:
  {OK:<4} done
  {RUN_NOT_COMPLETED:<4} the backtest ran but did not complete: it failed (its strategy raised,
       or its record could not be stored whole) or was cancelled
  {REFUSED:<4} refused: bad input, or a database or file that cannot be used; one line on
       stderr says what and where, and nothing stored was changed
  {BUG:<4} an internal error, a bug in ostdesk: one line names the file holding its traceback
  {INTERRUPTED:<4} interrupted (Ctrl+C)

environment:
  OSTDESK_DB     the database file when --db is not given
  OSTDESK_DEBUG  set to 1 to print tracebacks, as --debug does
"""

DEBUG_ENV = "OSTDESK_DEBUG"


def debug_requested(flag: bool) -> bool:
    """``--debug``, or ``OSTDESK_DEBUG`` set to anything but empty or 0."""
    return flag or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def stderr_logging(prefix: str, *, debug: bool) -> Iterator[None]:
    """While inside, ostdesk's log records reach stderr as ``<prefix>: <message>`` lines:
    warnings and errors (one line each, such as a component's error), or everything with
    ``debug`` (the tracebacks of component errors included)."""
    logger = logging.getLogger("ostdesk")
    handler = _StderrHandler(logging.DEBUG if debug else logging.WARNING)
    handler.setFormatter(logging.Formatter(f"{prefix}: %(message)s"))
    level = logger.level
    if debug:
        logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def report_bug(prefix: str, exc: BaseException, argv: Sequence[str], *, debug: bool) -> int:
    """One line saying ``exc`` is a bug and where its traceback was written; ``BUG``."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    summary = f"{type(exc).__name__}: {exc}".partition("\n")[0]
    path = _write_report(f"ostdesk {' '.join(argv)}\n\n{text}")
    where = f"its traceback is in {path}" if path else "its traceback could not be saved"
    print(f"{prefix}: internal error (a bug in ostdesk): {summary}; {where}", file=sys.stderr)
    if debug or path is None:
        print(text, end="", file=sys.stderr)
    return BUG


def _write_report(text: str) -> Path | None:
    """The traceback in a new file in the user log folder (else the temp folder)."""
    import platformdirs

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"ostdesk-error-{stamp}-{os.getpid()}.txt"
    folders = (
        Path(platformdirs.user_log_dir("ostdesk", appauthor=False)),
        Path(tempfile.gettempdir()),
    )
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


class UserError(Exception):
    """A mistake in the command's input: reported as one line."""


def refusal(exc: Exception) -> str | None:
    """The one line for an error that is the input's or the machine's (a bad value, a file
    that cannot be read or written, a full disk), or None for a bug."""
    from ostdesk.engine.params import ParamError
    from ostdesk.store import StoreError

    if isinstance(exc, UserError | StoreError | ParamError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if "duckdb" in sys.modules:
        import duckdb

        from ostdesk.store.database import duckdb_message

        if isinstance(exc, duckdb.IOException | duckdb.TransactionException):
            return duckdb_message(exc).partition("\n")[0]
    return None


def _user_errors() -> tuple[type[BaseException], ...]:
    from ostdesk.engine.params import ParamError
    from ostdesk.store import StoreError

    return (StoreError, ParamError, ValueError, KeyError, FileNotFoundError)


def _message(exc: BaseException) -> str:
    return exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)


@contextlib.contextmanager
def as_user_error() -> Iterator[None]:
    """What the store or a parameter refuses is a mistake in the input: one line, no trace."""
    try:
        yield
    except _user_errors() as exc:
        raise UserError(_message(exc)) from None
