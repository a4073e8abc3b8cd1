"""The local process pool: its workers' start-up (from a real script) and how it times trials."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ostdesk.engine.strategy import Strategy
from ostdesk.research import backends
from ostdesk.research.spec import TrialResult
from ostdesk.research.trial import STOP_GRACE_S
from ostdesk.store import Database
from tests.research.test_study import _data, flaky_spec

SCRIPT = """
import sys
from pathlib import Path

if __name__ == "__mp_main__":  # how a spawned child runs its parent's script again
    Path({mark!r}).write_text("the worker ran the parent's script")

if __name__ == "__main__":
    from ostdesk.engine.strategy_loader import load_strategies
    from ostdesk.research.backends import LocalBackend
    from ostdesk.research.space import parse_space
    from ostdesk.research.spec import Objective, StudySpec
    from ostdesk.research.trial import StudyData

    dims, fixed = parse_space(load_strategies().get("SmaCross").params, ["fast=5:10:5"])
    objective = (Objective("Sharpe Ratio"),)
    spec = StudySpec("SmaCross", "built-in", ("X",), "day", dims, objective, fixed)
    backend = LocalBackend(1, start_method=sys.argv[1])
    backend.start(StudyData(spec, (), 0, {{}}))
    backend.submit(0, {{"fast": 5}})
    while not (results := backend.poll(1.0)):
        pass
    backend.close()
    print(results[0].worker.startswith("local:"), results[0].error)
"""


@pytest.mark.parametrize("method", ["forkserver", "spawn"])
def test_workers_do_not_run_the_parents_main_script_again(tmp_path: Path, method: str) -> None:
    mark = tmp_path / "reran"
    script = tmp_path / "main_script.py"
    script.write_text(SCRIPT.format(mark=str(mark)))
    done = subprocess.run(
        [sys.executable, str(script), method],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("True")  # a worker of the pool ran the trial (no bars)
    assert not mark.exists()


def test_trials_queued_behind_a_busy_worker_are_timed_from_their_own_start(
    goog_db: Database, flaky: type[Strategy], flaky_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no backstop beyond the trial's own limit and stop grace (2.5 s): timed from their
    # submission, the last trials (submitted with the first, run after it and the others, each
    # using its 0.5 s and the stop) would pass it and have their worker killed
    monkeypatch.setattr(backends, "BACKSTOP_S", 0.0)
    spec = flaky_spec(flaky, flaky_file, ["mode=0,2"], trial_timeout_s=0.5)
    backend = backends.LocalBackend(1)
    backend.start(_data(goog_db, spec))
    try:
        for number in range(5):
            backend.submit(number, {"mode": 2})  # each loops until its limit stops it
        results: list[TrialResult] = []
        while backend.running():
            results += backend.poll(0.1)
    finally:
        backend.close()
    assert sorted(r.number for r in results) == [0, 1, 2, 3, 4]
    assert all(r.error == "stopped after the per-trial limit of 0.5 s" for r in results)
    assert all(r.worker == results[0].worker for r in results)  # no worker was killed
    assert all(0.5 <= r.duration_s < 0.5 + STOP_GRACE_S for r in results)
