"""``ostdesk optimize``, ``studies`` and ``study`` as a user types them: one line per mistake,
JSON output, export, a trial re-run as a recorded run, and a study killed with SIGKILL that
resumes without re-running its stored trials."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from ostdesk.cli import main
from ostdesk.cli_errors import REFUSED
from ostdesk.store import Database
from ostdesk.store.studies import get_study, stored_trials
from tests.cli_data import import_goog
from tests.test_cli_interrupt import _WITH_DEFAULT_SIGINT

GRID = ["--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]


@pytest.fixture
def goog_path(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    import_goog(db_path)
    capsys.readouterr()
    return db_path


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--param", "fast=1:50:5"], "--param fast=1:50:5: 1 is below the minimum 2"),
        (["--param", "speed=1:5"], "--param speed: no such parameter"),
        (["--param", "fast=9"], "the parameter space is empty"),
        (["--param", "fast=5:9", "--objective", "Sharp"], "--objective 'Sharp': no such statistic"),
        (["--param", "fast=5:9", "--constraint", "Trades>3"], "--constraint 'Trades': no such"),
        (["--param", "fast=5:9", "--constraint", "# Trades >> 3"], "'>>' is not an operator"),
        (["--param", "fast=5:9", "--method", "tpe"], "--method tpe needs --trials N"),
        (["--param", "fast=5:9", "--symbol", "NOPE"], "NOPE"),
        (["--param", "fast=5:9", "--max-leverage", "0"], "--max-leverage 0: must be a positive"),
    ],
)
def test_a_mistake_is_one_line_and_refused(
    goog_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], line: str
) -> None:
    code = main(["optimize", "--db", str(goog_path), *GRID, *extra])
    err = capsys.readouterr().err.strip()
    assert code == REFUSED and line in err and "\n" not in err, err
    with Database.open(goog_path, read_only=True) as db:
        assert db.connection.execute("SELECT count(*) FROM studies").fetchone() == (0,)


def test_a_studys_leverage_cap_is_stored_and_bounds_its_trials_and_reruns(
    goog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ostdesk.research.study import stored_spec
    from ostdesk.research.trial import rerun_config

    args = ["optimize", "--db", str(goog_path), *GRID, "--param", "fast=5:10:5", "--json"]
    assert main([*args, "--max-leverage", "0.5"]) == 0
    assert main(args) == 0
    capsys.readouterr()
    with Database.open(goog_path, read_only=True) as db:
        spec, cls = stored_spec(db, 1)
        assert (spec.max_leverage, stored_spec(db, 2)[0].max_leverage) == (0.5, None)
        assert rerun_config(spec, cls, 0, {"fast": 5}, 1).max_leverage == 0.5
        trades = [[t.stats["# Trades"] for t in stored_trials(db, s)] for s in (1, 2)]
    # SmaCross orders all its capital buys: under half leverage each order is refused
    assert trades[0] == [0, 0] and all(n > 0 for n in trades[1])


def test_optimize_json_then_list_export_and_rerun_a_trial_as_a_run(
    goog_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["optimize", "--db", str(goog_path), *GRID, "--param", "fast=5:15:5"]
    args += ["--param", "slow=20:40:20", "--constraint", "# Trades>=5", "--workers", "2", "--json"]
    assert main(args) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert re.search(r"trials 6/6 .*ETA", out.err)
    assert report["by_status"] == {"completed": 6} and report["constraints"] == ["# Trades >= 5"]
    best = report["best"][0]
    assert best["objective"] == [max(b["objective"][0] for b in report["best"])]

    assert main(["studies", "--db", str(goog_path), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["study_id"], listed["trials"], listed["status"]) == (1, 6, "completed")

    target = tmp_path / "trials.csv"
    assert main(["study", "1", "--db", str(goog_path), "--export", str(target)]) == 0
    assert "wrote 6 trials of study 1" in capsys.readouterr().out
    assert len(target.read_text().splitlines()) == 7

    assert (
        main(["study", "1", "--db", str(goog_path), "--rerun", str(best["trial"]), "--json"]) == 0
    )
    run = json.loads(capsys.readouterr().out)
    assert run["status"] == "completed" and run["parameters"]["fast"] == best["params"]["fast"]
    assert run["statistics"]["Sharpe Ratio"] == best["statistics"]["Sharpe Ratio"]
    assert run["statistics"]["# Trades"] == best["statistics"]["# Trades"]


def _wait_for_trials(proc: subprocess.Popen[bytes], count: int, timeout: float) -> None:
    """Read the progress line until it shows ``count`` trials done."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
        done = [int(n) for n in re.findall(rb"trials (\d+)/", seen)]
        if done and max(done) >= count:
            return
    raise AssertionError(f"no progress to {count} trials: {seen[-500:]!r}")


def _rest_of(stream: IO[bytes], timeout: float) -> str:
    """What is still written to ``stream`` until every process holding it has ended."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return b"".join(chunks).decode(errors="replace")
            chunks.append(chunk)
    raise AssertionError(f"a worker outlived its killed parent: {b''.join(chunks)[-500:]!r}")


def test_a_study_killed_with_sigkill_resumes_without_rerunning_stored_trials(
    goog_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["optimize", "--db", str(goog_path), *GRID, "--param", "fast=2:60"]
    args += ["--param", "slow=61:250", "--method", "random", "--trials", "80", "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ostdesk", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        _wait_for_trials(proc, 20, timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stderr is not None
        left = _rest_of(proc.stderr, timeout=30)  # the workers' output, until the last ends
        proc.stderr.close()
    assert "Traceback" not in left, left  # workers left without a parent end quietly
    with Database.open(goog_path) as db:
        before = {t.number: t for t in stored_trials(db, 1)}
    assert 0 < len(before) < 80
    assert main(["studies", "--db", str(goog_path)]) == 0  # not "running" for ever
    listed = capsys.readouterr().out
    assert " interrupted " in listed and "`ostdesk optimize --resume 1` goes on" in listed

    assert main(["optimize", "--db", str(goog_path), "--resume", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "completed"
    with Database.open(goog_path, read_only=True) as db:
        after = stored_trials(db, 1)
        assert get_study(db, 1)["status"] == "completed"
    assert sorted(t.number for t in after) == list(range(80))
    assert all(before[t.number] == t for t in after if t.number in before)


def test_ctrl_c_of_the_terminal_stops_the_study_cancelled_without_tracebacks(
    goog_path: Path,
) -> None:
    args = ["-m", "ostdesk", "optimize", "--db", str(goog_path), *GRID, "--param", "fast=2:60"]
    args += ["--param", "slow=61:250", "--method", "random", "--trials", "500", "--workers", "2"]
    proc = subprocess.Popen(  # its own process group, as a terminal's foreground job
        [sys.executable, "-c", _WITH_DEFAULT_SIGINT, *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_trials(proc, 5, timeout=60)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group gets it
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "`ostdesk optimize --resume 1` goes on" in text
    with Database.open(goog_path, read_only=True) as db:
        assert get_study(db, 1)["status"] == "cancelled"
