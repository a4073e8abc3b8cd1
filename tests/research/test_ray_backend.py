"""The Ray backend against a real two-node cluster started on loopback by the test (a head and
a second node joining it), driven as a user would: ``ostdesk optimize --backend ray
--address HOST:PORT``. Skipped when Ray is not installed (``pip install 'ostdesk[ray]'``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostdesk.store import Database
from ostdesk.store.studies import stored_trials
from tests.cli_data import import_goog
from tests.research.ray_cluster import ENV, RAY, ray_cluster

pytest.importorskip("ray", reason="Ray is not installed: pip install 'ostdesk[ray]'")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    if not RAY.exists():
        pytest.skip("the ray command is not installed beside this Python")
    with ray_cluster() as address:
        yield address


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
