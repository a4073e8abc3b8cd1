"""The local process pool's start-up, with real worker processes started from a real script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
