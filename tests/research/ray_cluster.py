"""A Ray cluster on this machine for tests and ``bench/sweep.py``: a head and a second node
joining it, one CPU each, usage statistics off, stopped on exit, reachable on loopback only.

Ray cannot be kept on loopback by its options alone: ``ray start --node-ip-address 127.0.0.1``
is rewritten to the machine's outward address (``resolve_ip_for_localhost``; only
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` stops that, and it also forbids a second node), and
with that address the GCS's and raylets' gRPC servers listen on every interface. So the
cluster lives in a network namespace of its own that holds nothing but ``lo`` (``unshare
--net``): there the node address stays 127.0.0.1 and every server binds it. Programs that
talk to the cluster run in the same namespace: ``cluster.enter + [program, ...]``.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
# Each cluster is alone in its namespace, but Ray refuses to start a head whose address a
# gcs_server of any namespace already shows on its command line: one port per cluster.
_clusters = itertools.count()


LO_UP = "ip link set lo up && echo up && exec cat"  # the holder: lives until its stdin ends


class NoNamespace(RuntimeError):
    """This machine does not let us make a network namespace (no user namespaces)."""


@dataclass(frozen=True)
class RayCluster:
    address: str  # the head's HOST:PORT, reachable inside the namespace
    enter: list[str]  # a command prefix that runs a program inside the cluster's namespace
    holder: int  # the pid of the process that keeps the namespace alive

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
        """Run ``ray ARGS`` inside the namespace."""
        return subprocess.run(
            [*self.enter, str(RAY), *args], env=ENV, capture_output=True, timeout=timeout
        )

    def listening(self) -> list[tuple[str, int]]:
        """Every TCP socket listening (and UDP socket bound) in the cluster's namespace."""
        found = []
        for name, state in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
            lines = Path(f"/proc/{self.holder}/net/{name}").read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                if fields[3] == state:
                    host, port = fields[1].split(":")
                    found.append((_address(host), int(port, 16)))
        return found


def _address(hex_le: str) -> str:
    """An address as /proc/net/tcp{,6} writes it: 32-bit words, each little-endian."""
    raw = bytes.fromhex(hex_le)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def only_loopback() -> bool:
    """Whether this process's network namespace holds ``lo`` and nothing else."""
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    return [line.split(":")[0].strip() for line in lines] == ["lo"]


@contextmanager
def loopback_namespace() -> Iterator[tuple[int, list[str]]]:
    """A network namespace holding only ``lo`` (up): the holder's pid and the enter prefix."""
    unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
    if unshare is None or nsenter is None:
        raise NoNamespace("unshare and nsenter (util-linux) are not installed")
    holder = subprocess.Popen(
        [unshare, "--user", "--map-root-user", "--net", "--", "sh", "-c", LO_UP],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline() != b"up\n":
            error = holder.stderr.read().decode().strip() if holder.stderr else ""
            raise NoNamespace(f"cannot make a network namespace: {error}")
        pid = holder.pid
        yield pid, [nsenter, "-t", str(pid), "-U", "-n", "--preserve-credentials", "--"]
    finally:
        if holder.stdin is not None:
            holder.stdin.close()  # cat ends: the namespace goes with its last process
        holder.wait(timeout=30)


@contextmanager
def ray_cluster(nodes: int = 2) -> Iterator[RayCluster]:
    """Start the head (and ``nodes - 1`` nodes joining it) in a loopback-only namespace."""
    n = next(_clusters)
    temp = Path("/tmp") / f"ray-{os.getpid()}-{n}"  # short: Ray's socket paths are limited
    port = 6379 + n
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    here = nullcontext((os.getpid(), list[str]()))  # already alone on loopback: no new one
    with here if only_loopback() else loopback_namespace() as (holder, enter):
        cluster = RayCluster(address, enter, holder)

        def ray(*args: str) -> None:
            done = cluster.run(*args)
            if done.returncode:
                raise RuntimeError(f"ray {args[0]} failed: {done.stderr.decode()[-2000:]}")

        try:
            head = ["--head", "--port", str(port), "--include-dashboard=false"]
            ray("start", *head, f"--temp-dir={temp}", *common)
            for _ in range(nodes - 1):
                ray("start", "--address", address, *common)
            yield cluster
        finally:
            cluster.run("stop", "--force")
            shutil.rmtree(temp, ignore_errors=True)
