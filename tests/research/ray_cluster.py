"""A Ray cluster on this machine for tests and ``bench/sweep.py``: a head and a second node
joining it, one CPU each, on 127.0.0.1 only, usage statistics off; stopped on exit."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}


@contextmanager
def ray_cluster() -> Iterator[str]:
    """Start the two nodes and give the head's ``HOST:PORT``."""
    temp = Path("/tmp") / f"ray-{os.getpid()}"  # short: Ray's socket paths have a length limit
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    env = {**ENV, "RAY_TMPDIR": str(temp)}

    def ray(*args: str) -> None:
        subprocess.run([str(RAY), *args], check=True, env=env, capture_output=True, timeout=180)

    try:
        ray(
            "start",
            "--head",
            "--port",
            str(port),
            "--include-dashboard=false",
            f"--temp-dir={temp}",
            *common,
        )
        ray("start", "--address", address, *common)
        yield address
    finally:
        ray("stop", "--force")
        shutil.rmtree(temp, ignore_errors=True)
