"""A launch that fails before the window opens tells a person why, with or without a terminal.

The launches are real subprocesses with no terminal (stdin /dev/null, stderr a pipe), as from
the desktop's menu. The notifier and dialog tools are tiny real scripts put on PATH that write
their arguments to a file: what the desktop would have shown.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import os
import pty
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from ostdesk import launch_failure
from ostdesk.store import Database, schema

LAUNCH_TIMEOUT_S = 60
SYSTEM_PATH = os.environ.get("PATH", os.defpath)  # before a test makes PATH its tools alone


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is the whole PATH, for the notifier and dialog tools a test puts
    there; the launch log goes to a temp state folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return folder


def add_tool(folder: Path, name: str, *, status: int = 0) -> Path:
    """A program ``name`` that records its arguments (one a line) and what it reads, and exits
    with ``status``; the file it records to (absent until it runs)."""
    record = folder.parent / f"{name}.args"
    script = folder / name
    script.write_text(
        f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> "{record}"\n'
        f'while read -r line; do printf "%s\\n" "$line"; done >> "{record}"\nexit {status}\n'
    )
    script.chmod(0o755)
    return record


def launch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``ostdesk ARGS`` as the desktop's menu starts it: no terminal on stdin or stderr."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault("QT_QPA_PLATFORM", "offscreen")
    environment.pop("OSTDESK_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "ostdesk", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment,
        timeout=LAUNCH_TIMEOUT_S,
    )


@contextmanager
def held_open(path: Path) -> Iterator[int]:
    """Another process holding the DuckDB write lock on ``path``; its pid."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ostdesk.store import Database;"
            "db = Database.open(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        yield holder.pid
    finally:
        holder.communicate("", timeout=10)


def test_a_menu_launch_on_a_database_held_by_another_process_is_logged_and_notified(
    tools: Path, db_path: Path
) -> None:
    notified = add_tool(tools, "notify-send")
    with held_open(db_path) as pid:
        result = launch("--db", str(db_path))

    assert result.returncode == 2, result.stderr
    log = launch_failure.log_path().read_text(encoding="utf-8")
    assert "ostdesk (pid " in log and "): Database already open" in log
    assert str(db_path) in log and f"process {pid}" in log
    assert "DatabaseLockedError" in log  # the traceback, for whoever reads the log
    shown = notified.read_text(encoding="utf-8")
    assert "--urgency=critical" in shown and "ostdesk: Database already open" in shown
    assert f"Written to {launch_failure.log_path()}" in shown


def test_a_menu_launch_on_a_newer_database_is_logged_and_the_file_left_alone(
    tools: Path, db_path: Path
) -> None:
    Database.open(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE schema_version SET version = ?", [schema.latest_version() + 1])
    con.close()
    before = db_path.read_bytes()
    notified = add_tool(tools, "notify-send")

    result = launch("--db", str(db_path))

    assert result.returncode == 2, result.stderr
    assert "upgrade ostdesk to open it" in launch_failure.log_path().read_text(encoding="utf-8")
    assert "upgrade ostdesk to open it" in notified.read_text(encoding="utf-8")
    assert db_path.read_bytes() == before


def test_a_bug_while_the_window_opens_is_logged_with_its_traceback(
    tools: Path, db_path: Path
) -> None:
    notified = add_tool(tools, "notify-send")
    code = (
        "import sys\n"
        "import ostdesk.gui.main_window as main_window\n"
        "class Broken:\n"
        "    def __init__(self, db, **options):\n"
        "        raise RuntimeError('the window could not be built')\n"
        "main_window.MainWindow = Broken\n"
        "from ostdesk.cli import main\n"
        "sys.exit(main(['--db', sys.argv[1]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(db_path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=LAUNCH_TIMEOUT_S,
    )

    assert result.returncode == 70, result.stderr  # the CLI's status for a bug
    assert "internal error (a bug in ostdesk)" in result.stderr
    log = launch_failure.log_path().read_text(encoding="utf-8")
    assert "Traceback" in log and "RuntimeError: the window could not be built" in log
    assert "ostdesk: Internal error while opening the window" in notified.read_text(
        encoding="utf-8"
    )
    Database.open(db_path).close()  # the launch let go of its database


def run_report(stdin: int, title: str = "Test", text: str = "what went wrong") -> str:
    """``report_launch_failure`` in a fresh process with ``stdin``; its stderr."""
    code = "import sys; from ostdesk.launch_failure import *; report_launch_failure(*sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, title, text],
        stdin=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=LAUNCH_TIMEOUT_S,
    ).stderr


def test_without_a_notifier_a_dialog_tool_shows_the_failure(tools: Path) -> None:
    refused = add_tool(tools, "notify-send", status=1)  # no notification service running
    dialog = add_tool(tools, "zenity")
    add_tool(tools, "xmessage")

    run_report(subprocess.DEVNULL, text="the database & its <lock>")

    assert refused.is_file()
    assert dialog.read_text(encoding="utf-8").splitlines()[:3] == [
        "--error",
        "--no-markup",
        "--title=ostdesk: Test",
    ]
    assert "--text=the database & its <lock>" in dialog.read_text(encoding="utf-8")
    assert not (tools.parent / "xmessage.args").exists()  # the first that shows it is enough


def test_a_dialog_tool_that_cannot_show_leaves_it_to_the_next(tools: Path) -> None:
    add_tool(tools, "zenity", status=5)
    add_tool(tools, "kdialog", status=1)
    last = add_tool(tools, "xmessage")

    run_report(subprocess.DEVNULL, text="Qt needs the system library libxcb-cursor0 " * 4)

    shown = last.read_text(encoding="utf-8").splitlines()
    assert "-center" in shown
    message = shown[shown.index("-") + 1 :]  # what it read: xmessage cuts long lines, not wraps
    assert len(message) > 1 and max(len(line) for line in message) <= 78
    assert not any(line.endswith("-") for line in message)  # package names stay whole


def test_in_a_terminal_the_failure_is_printed_and_logged_but_not_notified(tools: Path) -> None:
    notified = add_tool(tools, "notify-send")
    terminal, tty = pty.openpty()
    try:
        stderr = run_report(tty)
    finally:
        os.close(terminal)
        os.close(tty)

    assert stderr == "ostdesk: what went wrong\n"
    assert "what went wrong" in launch_failure.log_path().read_text(encoding="utf-8")
    assert not notified.exists()


def test_the_log_keeps_every_failure_with_its_time(tools: Path) -> None:
    launch_failure.append_to_log("first", "one")
    path = launch_failure.append_to_log("second", "two")

    assert path == tools.parent / "state" / "ostdesk" / "log" / "launch.log"
    entries = path.read_text(encoding="utf-8").split("\n\n")
    assert [e.splitlines()[0].split(": ", 1)[1] for e in entries if e] == ["first", "second"]
    assert entries[0].startswith(dt.date.today().isoformat())


def test_a_log_that_cannot_be_written_costs_one_line_not_the_message(
    tools: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tools.parent / "state-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))

    assert launch_failure.append_to_log("Test", "what went wrong") is None
    err = capsys.readouterr().err
    assert err.startswith("ostdesk: could not write the launch log ") and err.count("\n") == 1


def without_library(soname: str) -> list[str]:
    """A command prefix under which ``soname`` cannot be loaded: none where it is not
    installed, else a private mount namespace with /dev/null bound over it (root only)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the missing-library check is for Linux's X11 plugin")
    try:
        ctypes.CDLL(soname)
    except OSError:
        return []  # missing already, as on the machines the check is for
    if os.geteuid() != 0:
        pytest.skip("hiding a system library needs root (a bind mount in a mount namespace)")
    unshare = shutil.which("unshare", path=SYSTEM_PATH)
    if unshare is None:
        pytest.skip("util-linux's unshare is not installed")
    if subprocess.run([unshare, "-m", sys.executable, "-c", ""], capture_output=True).returncode:
        pytest.skip("this container does not allow a private mount namespace (unshare -m)")
    mapped = (Path(line.split()[-1]) for line in Path("/proc/self/maps").read_text().splitlines())
    library = next(path for path in mapped if path.name.startswith(soname))
    hide = 'mount --bind /dev/null "$1" && shift && exec "$@"'
    return [unshare, "-m", "sh", "-c", hide, "sh", str(library)]


def test_a_menu_launch_without_libxcb_cursor_is_logged_and_notified(tools: Path) -> None:
    hidden = without_library("libxcb-cursor.so.0")
    notified = add_tool(tools, "notify-send")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":99"  # never reached: the libraries are checked before the display

    result = subprocess.run(
        [*hidden, sys.executable, "-m", "ostdesk"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**env, "PATH": f"{tools}{os.pathsep}{SYSTEM_PATH}"},
        timeout=LAUNCH_TIMEOUT_S,
    )

    assert result.returncode == 3, result.stderr
    assert "libxcb-cursor0" in result.stderr
    assert "libxcb-cursor0" in launch_failure.log_path().read_text(encoding="utf-8")
    shown = notified.read_text(encoding="utf-8")
    assert "ostdesk: Cannot open the window" in shown and "apt-get install" in shown


def test_reporting_a_failure_loads_no_qt_since_qt_may_be_what_failed() -> None:
    code = (
        "import sys, ostdesk.cli, ostdesk.gui.app, ostdesk.launch_failure\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
