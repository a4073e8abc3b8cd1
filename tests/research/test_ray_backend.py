"""The Ray backend against a real two-node cluster started on loopback by the test (a head and
a second node joining it), driven as a user would: ``ostdesk optimize --backend ray
--address HOST:PORT``. Skipped when Ray is not installed (``pip install 'ostdesk[ray]'``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk.store import Database
from ostdesk.store.studies import stored_trials
from tests.cli_data import import_goog

pytest.importorskip("ray", reason="Ray is not installed: pip install 'ostdesk[ray]'")

RAY = Path(sys.executable).with_name("ray")
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray(*args: str, temp: Path) -> None:
    subprocess.run(
        [str(RAY), *args],
        check=True,
        env={**ENV, "RAY_TMPDIR": str(temp)},
        timeout=180,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a head plus one worker node, one CPU each, on 127.0.0.1."""
    if not RAY.exists() and shutil.which("ray") is None:
        pytest.skip("the ray command is not installed")
    temp = Path("/tmp") / f"ray-{os.getpid()}"  # short: Ray's socket paths have a length limit
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    try:
        _ray(
            "start",
            "--head",
            "--port",
            str(port),
            "--include-dashboard=false",
            f"--temp-dir={temp}",
            *common,
            temp=temp,
        )
        _ray("start", "--address", address, *common, temp=temp)
        yield address
    finally:
        _ray("stop", "--force", temp=temp)
        shutil.rmtree(temp, ignore_errors=True)


def test_a_study_runs_on_a_two_node_ray_cluster_and_stores_its_trials(
    cluster: str, db_path: Path
) -> None:
    import_goog(db_path)
    args = ["optimize", "--db", str(db_path), "--strategy", "SmaCross", "--symbol", "GOOG"]
    args += ["--period", "day", "--param", "fast=5:20:5", "--param", "slow=20:40:20"]
    args += ["--backend", "ray", "--address", cluster, "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "ostdesk", *args], env=ENV, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    assert report["status"] == "completed"
    assert report["by_status"] == {"completed": 7, "pruned": 1}
    with Database.open(db_path, read_only=True) as db:
        trials = stored_trials(db, 1)
        backend = db.connection.execute("SELECT backend, workers FROM studies").fetchone()
    assert backend == ("ray", 2)  # both nodes' CPUs
    assert all(t.worker.startswith("ray:") for t in trials if t.status == "completed")
    local = subprocess.run(
        [sys.executable, "-m", "ostdesk", *args[:-5], "--workers", "2", "--json"],
        env=ENV,
        capture_output=True,
        timeout=300,
    )
    assert json.loads(local.stdout)["best"] == report["best"]  # the same figures either way
