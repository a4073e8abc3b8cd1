"""The Ray backend against a real two-node cluster started on loopback by the test (a head and
a second node joining it, in a network namespace holding only ``lo``), driven as a user would:
``ostdesk optimize --backend ray --address HOST:PORT``. Skipped when Ray is not installed
(``pip install 'ostdesk[ray]'``) or the machine makes no network namespaces."""

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
from tests.research.conftest import FLAKY
from tests.research.ray_cluster import (
    ENV,
    RAY,
    NoNamespace,
    RayCluster,
    is_loopback,
    loopback_namespace,
    ray_cluster,
)

pytest.importorskip("ray", reason="Ray is not installed: pip install 'ostdesk[ray]'")


def _cluster(nodes: int) -> Iterator[RayCluster]:
    if not RAY.exists():
        pytest.skip("the ray command is not installed beside this Python")
    try:
        with ray_cluster(nodes) as cluster:
            yield cluster
    except NoNamespace as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    yield from _cluster(2)


@pytest.fixture
def lone_head() -> Iterator[RayCluster]:
    yield from _cluster(1)


def _optimize(db_path: Path, *more: str) -> list[str]:
    args = [sys.executable, "-m", "ostdesk", "optimize", "--db", str(db_path)]
    return [*args, "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day", *more]


def test_a_study_runs_on_a_two_node_ray_cluster_and_stores_its_trials(
    cluster: RayCluster, db_path: Path
) -> None:
    import_goog(db_path)
    args = _optimize(db_path, "--param", "fast=5:20:5", "--param", "slow=20:40:20")
    ray = ["--backend", "ray", "--address", cluster.address]
    done = subprocess.run(
        [*cluster.enter, *args, *ray, "--json"], env=ENV, capture_output=True, timeout=300
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
        [*args, "--workers", "2", "--json"],
        env=ENV,
        capture_output=True,
        timeout=300,
    )
    assert json.loads(local.stdout)["best"] == report["best"]  # the same figures either way


def test_every_socket_the_ray_cluster_listens_on_is_loopback(
    cluster: RayCluster, db_path: Path
) -> None:
    import_goog(db_path)
    args = _optimize(db_path, "--param", "fast=5:10:5", "--param", "slow=20:20:1")
    ray = ["--backend", "ray", "--address", cluster.address]
    done = subprocess.run([*cluster.enter, *args, *ray], env=ENV, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    listening = cluster.listening()  # the nodes and the workers the study started
    assert len({port for _, port in listening}) >= 4  # the GCS, the raylets and their agents
    assert [(host, port) for host, port in listening if not is_loopback(host)] == []


@pytest.fixture
def namespace() -> Iterator[tuple[int, list[str]]]:
    try:
        with loopback_namespace() as held:
            yield held
    except NoNamespace as exc:
        pytest.skip(str(exc))


def test_the_loopback_check_sees_sockets_bound_to_every_interface(
    namespace: tuple[int, list[str]],
) -> None:
    holder, enter = namespace
    listen = "import socket\nfor h in ('0.0.0.0', '::', '127.0.0.1'):\n"
    listen += " s = socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET)\n"
    listen += " s.bind((h, 0)); s.listen(); globals()[h] = s\nprint(flush=True)\ninput()"
    server = subprocess.Popen(
        [*enter, sys.executable, "-c", listen], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert server.stdout is not None and server.stdin is not None
    assert server.stdout.readline() == b"\n"  # all three listen
    seen = RayCluster("", enter, holder).listening()
    server.stdin.close()
    server.wait(timeout=30)
    assert sorted(is_loopback(host) for host, _ in seen) == [False, False, True]


def test_a_study_whose_ray_cluster_vanishes_fails_in_one_line(
    lone_head: RayCluster, db_path: Path
) -> None:
    import_goog(db_path)
    args = _optimize(db_path, "--param", "fast=2:60:1", "--param", "slow=61:260:1")
    ray = ["--backend", "ray", "--address", lone_head.address]
    driver = subprocess.Popen(
        [*lone_head.enter, *args, *ray], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert driver.stderr is not None
    seen = b""
    while b"trials " not in seen:  # the study is under way on the cluster
        chunk = driver.stderr.read1(4096)
        assert chunk, seen.decode()
        seen += chunk
    assert lone_head.run("stop", "--force").returncode == 0
    _, err = driver.communicate(timeout=60)  # not Ray's minute-long reconnect attempts
    last = (seen + err).decode().replace("\r", "\n").strip().splitlines()[-1]
    assert driver.returncode != 0
    assert "the Ray cluster at 127.0.0.1:" in last and "went away" in last
    assert "Traceback" not in (seen + err).decode()


QUEUED = """
import sys
from pathlib import Path

from ostdesk.engine.events import BarPeriod
from ostdesk.engine.strategy_loader import load_file
from ostdesk.research import ray_backend
from ostdesk.research.space import parse_space
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.trial import StudyData
from ostdesk.store import Database
from ostdesk.store.market_data import bar_chunks, count_bars

db_path, source, address = sys.argv[1:]
(flaky,) = load_file(Path(source))
dims, fixed = parse_space(flaky.params, ["mode=0,2"])
objective = (Objective("Return [%]"),)
spec = StudySpec("Flaky", source, ("GOOG",), "day", dims, objective, fixed, trial_timeout_s=0.5)
day = BarPeriod.parse("day")
with Database.open(Path(db_path), read_only=True) as db:
    chunks = tuple(bar_chunks(db, ("GOOG",), day))
    data = StudyData(spec, chunks, count_bars(db, ("GOOG",), day), {})
ray_backend.BACKSTOP_S = 0.0  # the backstop: the trial's own limit and stop grace only
backend = ray_backend.RayBackend(address)
backend.start(data)
for number in range(5):
    backend.submit(number, {"mode": 2})  # each loops until its own limit stops it
results = []
while backend.running():
    results += backend.poll(0.1)
backend.close()
for r in sorted(results, key=lambda r: r.number):
    print(r.number, r.status.value, r.error, sep="|")
"""


def test_trials_queued_for_the_clusters_cpu_are_timed_from_their_start_not_submission(
    lone_head: RayCluster, db_path: Path, tmp_path: Path
) -> None:
    import_goog(db_path)
    source = tmp_path / "flaky.py"
    source.write_text(FLAKY)
    driver = [sys.executable, "-c", QUEUED, str(db_path), str(source), lone_head.address]
    done = subprocess.run(
        [*lone_head.enter, *driver],
        env=ENV,
        capture_output=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    # one CPU: the last waited four trials in Ray's queue, longer than its limit and grace
    own = "timeout|stopped after the per-trial limit of 0.5 s"
    assert done.stdout.decode().splitlines() == [f"{n}|{own}" for n in range(5)]
