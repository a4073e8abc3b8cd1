"""Smoke test of the stand-alone build: ``python packaging/smoke.py [--dist DIR]``.

Builds ``dist/ostdesk/`` with ``packaging/build.py`` (or takes the built folder ``--dist``
names), then runs what a user runs first, against a database and user folders in a temp
folder: ``--version``, ``demo-data``, a ``backtest``, ``runs``, ``install-desktop`` and
``uninstall-desktop``, and the window, opened offscreen for a few seconds
(``packaging/launch.py`` reads ``OSTDESK_SMOKE_SECONDS``). Each step prints its time; the exit
status is 1 if any step fails. Last, a table puts the build time, the folder's size and the
start-up times of the bundle beside those of this Python's ostdesk (the venv).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from launch import SHOWN, SMOKE_ENV  # noqa: E402  (the entry script beside this file)

STEP_TIMEOUT_S = 120
WINDOW_SECONDS = 3.0
REPEATS = 3


class SmokeFailure(Exception):
    """A step of the smoke test did not do what it should; the message says what it did."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, help="a built folder (default: build dist/ostdesk)")
    args = parser.parse_args(argv)
    build_s = None
    if args.dist is None:
        print("building (python packaging/build.py) ...", flush=True)
        started = time.perf_counter()
        if subprocess.run([sys.executable, str(HERE / "build.py")], check=False).returncode:
            print("FAIL build", file=sys.stderr)
            return 1
        build_s = time.perf_counter() - started
        print(f"{'build':<18}{build_s:7.1f} s  ok", flush=True)
    folder = (args.dist or HERE.parent / "dist" / "ostdesk").resolve()
    bundle = folder / ("ostdesk.exe" if sys.platform == "win32" else "ostdesk")
    if not bundle.is_file():
        print(f"FAIL no bundle at {bundle}", file=sys.stderr)
        return 1
    venv = _venv_command()
    with tempfile.TemporaryDirectory(prefix="ostdesk-smoke-") as tmp:
        env = _isolated_env(Path(tmp))
        db = str(Path(tmp) / "smoke.duckdb")
        try:
            _run_steps([str(bundle)], db, env)
            bundle_times = _start_up_times([str(bundle)], db, env)
            venv_times = _start_up_times(venv, db, env) if venv else None
        except SmokeFailure as failure:
            print(f"FAIL {failure}", file=sys.stderr)
            return 1
    _print_figures(build_s, _folder_size(folder), _installed_size(), bundle_times, venv_times)
    baseline = _glibc_baseline(folder)
    if baseline:
        print(f"glibc: the bundle needs {baseline[0]} or newer (asked for by {baseline[1]})")
    return 0


def _run_steps(command: list[str], db: str, env: dict[str, str]) -> None:
    """What a new user does first, each step checked beyond its exit status."""

    def cli(*args: str, check: Callable[[str], None]) -> Callable[[], object]:
        return lambda: check(_run([*command, *args], env).stdout)

    backtest = ("backtest", "--db", db, "--strategy", "SmaCross", "--symbol", "DEMO-ALPHA")
    _step("--version", cli("--version", check=_expect(r"^ostdesk \S+$")))
    _step("demo-data", cli("demo-data", "--db", db, check=_expect("DEMO-ALPHA")))
    _step("backtest", cli(*backtest, "--json", check=_completed_run))
    _step("runs", cli("runs", "--db", db, check=_expect(r"completed\s+SmaCross")))
    entry = Path(env["XDG_DATA_HOME"]) / "applications" / "ostdesk.desktop"
    _step("install-desktop", cli("install-desktop", check=lambda _: _launches(entry, command)))
    _step("uninstall-desktop", cli("uninstall-desktop", check=lambda _: _removed(entry)))
    window_env = env | {SMOKE_ENV: str(WINDOW_SECONDS)}
    _step("window", lambda: _window_shown_after([*command, "--db", db], window_env))


def _step(name: str, action: Callable[[], object]) -> None:
    """Run one step and print its time; a failed step raises SmokeFailure."""
    print(f"{name:<18}{_timed(action):7.2f} s  ok", flush=True)


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise SmokeFailure(f"{shlex.join(command)} still ran after {STEP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise SmokeFailure(
            f"{shlex.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def _expect(pattern: str) -> Callable[[str], None]:
    def check(stdout: str) -> None:
        if not re.search(pattern, stdout, re.MULTILINE):
            raise SmokeFailure(f"expected {pattern!r} in the output, got:\n{stdout}")

    return check


def _completed_run(stdout: str) -> None:
    try:
        run = json.loads(stdout)
    except json.JSONDecodeError:
        run = {}
    if run.get("status") != "completed" or not run.get("bars"):
        raise SmokeFailure(f"the backtest did not complete over bars: {stdout}")


def _launches(entry: Path, command: list[str]) -> None:
    """The menu entry (written from the bundled template) starts this bundle."""
    text = entry.read_text(encoding="utf-8") if entry.is_file() else ""
    if f"TryExec={command[0]}" not in text.splitlines():
        raise SmokeFailure(f"{entry} does not start {command[0]}:\n{text}")


def _removed(entry: Path) -> None:
    if entry.exists():
        raise SmokeFailure(f"uninstall-desktop left {entry}")


def _window_shown_after(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``command`` to its window being shown; it must then quit by
    itself with status 0 (``launch.py`` makes it quit ``OSTDESK_SMOKE_SECONDS`` later)."""
    env = env | {"QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    watchdog = threading.Timer(STEP_TIMEOUT_S, process.kill)  # a hung window ends the reads
    watchdog.start()
    shown_s = None
    output = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith(SHOWN) and shown_s is None:
                shown_s = time.perf_counter() - started
        status = process.wait()
    finally:
        watchdog.cancel()
    if status != 0 or shown_s is None:
        what = "showed its window but" if shown_s is not None else "showed no window and"
        raise SmokeFailure(f"{shlex.join(command)} {what} exited with {status}:\n{''.join(output)}")
    return shown_s


def _start_up_times(command: list[str], db: str, env: dict[str, str]) -> tuple[float, float]:
    """Median seconds of ``--version`` and of the window being shown, over REPEATS runs."""
    version = _median(lambda: _timed(lambda: _run([*command, "--version"], env)))
    window = _median(lambda: _window_shown_after([*command, "--db", db], env | {SMOKE_ENV: "0"}))
    return version, window


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median(measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(REPEATS))


def _venv_command() -> list[str] | None:
    """This Python's ostdesk: ``launch.py`` is the ``ostdesk`` command's code plus the smoke
    switch, run the way the command runs it. None when ostdesk is not installed here."""
    try:
        metadata.distribution("ostdesk")
    except metadata.PackageNotFoundError:
        return None
    return [sys.executable, str(HERE / "launch.py")]


def _isolated_env(tmp: Path) -> dict[str, str]:
    """The environment with the user's folders and database moved into ``tmp``: the smoke test
    neither reads nor changes the user's settings, strategies or data."""
    env = {k: v for k, v in os.environ.items() if k != "OSTDESK_DB"}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp / name.lower())
    return env


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _installed_size() -> int | None:
    """Bytes of ostdesk's installed distributions and all they require (not the test tools
    the venv may also hold); None when ostdesk is not installed here."""
    seen: set[str] = set()
    pending = ["ostdesk"]
    total = 0
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        for file in dist.files or ():
            path = Path(str(dist.locate_file(file)))
            total += path.stat().st_size if path.is_file() else 0
        for requirement in dist.requires or ():
            if "extra ==" not in requirement:
                pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return total if "ostdesk" in seen and total else None


def _glibc_baseline(folder: Path) -> tuple[str, str] | None:
    """The newest glibc symbol version the bundle's binaries ask for, and one that asks: the
    oldest glibc it runs on. None off Linux or without binutils' objdump."""
    objdump = shutil.which("objdump")
    if not sys.platform.startswith("linux") or objdump is None:
        return None
    binaries = [str(p) for p in folder.rglob("*") if p.is_file() and ".so" in p.name]
    dump = subprocess.run(
        [objdump, "-T", str(folder / "ostdesk"), *binaries],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    newest: tuple[tuple[int, int], str] | None = None
    current = ""
    for line in dump.splitlines():
        if "file format" in line:
            current = Path(line.split(":", 1)[0]).name
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", line):
            version = (int(major), int(minor))
            if newest is None or version > newest[0]:
                newest = (version, current)
    return None if newest is None else (f"glibc {newest[0][0]}.{newest[0][1]}", newest[1])


def _print_figures(
    build_s: float | None,
    bundle_bytes: int,
    venv_bytes: int | None,
    bundle: tuple[float, float],
    venv: tuple[float, float] | None,
) -> None:
    rows = [
        ("build", _figure(build_s, "{:.0f} s"), "-"),
        ("size", _figure(bundle_bytes / 1e6, "{:.0f} MB"), _figure(venv_bytes, "{:.0f} MB", 1e-6)),
        ("--version", _figure(bundle[0], "{:.2f} s"), _figure(venv and venv[0], "{:.2f} s")),
        ("window shown", _figure(bundle[1], "{:.2f} s"), _figure(venv and venv[1], "{:.2f} s")),
    ]
    print(f"\n{'':<14}{'bundle':>10}{'venv':>10}   (start-up: median of {REPEATS} runs)")
    for name, ours, theirs in rows:
        print(f"{name:<14}{ours:>10}{theirs:>10}")
    print("venv size: ostdesk's installed distributions and what they require")


def _figure(value: float | None, form: str, scale: float = 1.0) -> str:
    return "-" if value is None else form.format(value * scale)


if __name__ == "__main__":
    sys.exit(main())
