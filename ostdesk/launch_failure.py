"""Where a launch that fails before its window opens leaves the reason, so a person finds it.

From a terminal the one line on stderr is enough. From the desktop's menu there is no terminal,
and what failed may be Qt itself (a missing system library), so the message goes where it needs
no Qt: a desktop notification (``notify-send``), else a small dialog tool (``zenity``,
``kdialog``, ``xmessage``), else, only when Qt is up, a Qt message box. It is always appended,
with the time and any traceback, to the launch log (``log_path()``, named in the README).

Qt-free: it serves failures of Qt itself (the caller passes the Qt box, if it has one).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import shutil
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP_NAME = "ostdesk"
LOG_NAME = "launch.log"
NOTIFY_TIMEOUT_S = 10.0
# A dialog tool that is still up after this long is showing the message; one that cannot (no
# display) exits sooner with an error, and the next one is tried.
DIALOG_SETTLE_S = 1.0


def log_path() -> Path:
    """The launch log: ``~/.local/state/ostdesk/log/launch.log`` on Linux ($XDG_STATE_HOME),
    ``~/Library/Logs/ostdesk/`` on macOS, ``%LOCALAPPDATA%\\ostdesk\\Logs\\`` on Windows."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)) / LOG_NAME


def has_terminal() -> bool:
    """Whether a person sees stderr: stdin or stderr is a terminal (a launch from the desktop's
    menu has neither; a gui-script on Windows has no streams at all)."""
    for stream in (sys.stdin, sys.stderr):
        try:
            if stream is not None and stream.isatty():
                return True
        except (ValueError, OSError):  # a closed stream
            continue
    return False


def report_launch_failure(
    title: str,
    text: str,
    *,
    exc: BaseException | None = None,
    qt_dialog: Callable[[str], object] | None = None,
    to_stderr: bool = True,
) -> None:
    """Tell a person why ostdesk did not start: stderr (unless the caller prints it), the log,
    and, without a terminal, a notification or dialog; ``qt_dialog`` (a Qt message box, when
    Qt is up, given the text to show) is shown in a terminal too, and without one only if
    nothing else could show it."""
    if to_stderr and sys.stderr is not None:
        print(f"{APP_NAME}: {' '.join(text.split())}", file=sys.stderr)
    log = append_to_log(title, text, exc)
    body = text + (f"\n\n(Written to {log})" if log is not None else "")
    if not has_terminal():
        heading = f"{APP_NAME}: {title}"
        if notify(heading, body) or show_dialog_tool(heading, body):
            return
    if qt_dialog is not None:
        qt_dialog(body)


def append_to_log(title: str, text: str, exc: BaseException | None = None) -> Path | None:
    """Append the failure, stamped with the time, to the launch log; its path, or None (after
    a line on stderr) when it cannot be written."""
    path = log_path()
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    entry = f"{stamp} {APP_NAME} (pid {os.getpid()}): {title}\n{text}\n"
    if exc is not None:
        entry += "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(entry + "\n")
    except OSError as error:
        if sys.stderr is not None:
            print(f"{APP_NAME}: could not write the launch log {path}: {error}", file=sys.stderr)
        return None
    return path


def notify(title: str, body: str) -> bool:
    """A desktop notification through ``notify-send`` on PATH; whether one was shown. Critical
    urgency keeps it on screen until dismissed."""
    program = shutil.which("notify-send")
    if program is None:
        return False
    command = [
        program,
        "--urgency=critical",
        f"--app-name={APP_NAME}",
        "--icon=dialog-error",
        title,
        html.escape(body, quote=False),  # the body may be read as markup
    ]
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=NOTIFY_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def show_dialog_tool(title: str, body: str) -> bool:
    """An error dialog from the first of zenity, kdialog, xmessage on PATH that can show one;
    whether one did. The dialog is left open (its own process) when ostdesk exits."""
    tools: list[tuple[str, list[str], str | None]] = [
        ("zenity", ["--error", "--no-markup", f"--title={title}", f"--text={body}"], None),
        ("kdialog", ["--title", title, "--error", body], None),
        ("xmessage", ["-center", "-title", title, "-buttons", "OK", "-file", "-"], _wrap(body)),
    ]
    for name, arguments, stdin in tools:
        program = shutil.which(name)
        if program is not None and _shows(program, arguments, stdin):
            return True
    return False


def _wrap(text: str, width: int = 78) -> str:
    """``text`` with its lines wrapped at ``width`` (xmessage cuts long lines off)."""
    wrapper = textwrap.TextWrapper(width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(wrapper.fill(line) for line in text.splitlines())


def _shows(program: str, arguments: list[str], stdin: str | None) -> bool:
    """Whether the dialog ``program`` came up: it is still open after a moment or ended well."""
    try:
        process = subprocess.Popen(
            [program, *arguments],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives ostdesk's exit
        )
    except OSError:
        return False
    if stdin is not None and process.stdin is not None:
        try:
            process.stdin.write(stdin.encode())
            process.stdin.close()
        except OSError:  # it ended before reading: it could not show anything
            pass
    try:
        return process.wait(timeout=DIALOG_SETTLE_S) == 0
    except subprocess.TimeoutExpired:
        return True
