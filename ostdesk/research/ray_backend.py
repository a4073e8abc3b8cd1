"""The Ray backend: trials as Ray tasks on a cluster (``pip install 'ostdesk[ray]'``).

``address`` is what ``ray.init`` takes: ``auto`` (the cluster this machine belongs to, started
with ``ray start``), ``HOST:PORT`` of a head node's GCS, or ``ray://HOST:10001`` (Ray Client).
The study's data is put into the object store once; each task gets its reference (in a list,
so Ray does not resolve it) and a worker process reads it once, not per trial: its trials
then replay one ``BarTape`` (``trial.bars_of``). A task is a generator that first says it has
started: a trial is timed from then, not from its submission (a trial waiting in Ray's queue
for a CPU has not used any of its time). Every node must have ostdesk (and the strategy's file,
at the same path) installed. Results come back as tasks finish; ``close`` cancels the tasks
still running (forcibly: strategy code need not cooperate) and disconnects. A cluster that
vanishes (its head's GCS port refuses or stays silent) ends the study with a ``BackendError``
within seconds instead of Ray's own reconnect attempts.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

from ostdesk.research.backends import BACKSTOP_S, BackendError
from ostdesk.research.spec import TrialResult, TrialStatus
from ostdesk.research.trial import STOP_GRACE_S, StudyData, load_strategy, run_trial

_strategies: dict[tuple[str, str], Any] = {}  # per Ray worker process: loaded once
_data: tuple[str, StudyData] | None = None  # per Ray worker process: the last study's data
HEAD_CHECK_S = 1.0  # how often poll looks whether the head still answers
HEAD_TIMEOUT_S = 5.0  # how long an unanswered connect to the head may take


STARTED = "started"
"""What a task yields first, once it runs (its result comes second)."""


def _trial_task(data_ref: list[Any], number: int, params: dict[str, Any]) -> Iterator[Any]:
    import ray  # type: ignore[import-not-found,unused-ignore]

    global _data
    yield STARTED
    # Ray gives a task no CPU of its own: pinned, every worker of a node would share one
    os.environ["OSTDESK_NO_PIN"] = "1"

    ref = data_ref[0].hex()
    if _data is None or _data[0] != ref:
        _data = None  # the last study's data (and tape) is freed before the next is read
        _data = (ref, ray.get(data_ref[0]))
    data = _data[1]

    key = (data.spec.strategy, data.spec.strategy_source)
    if key not in _strategies:
        _strategies[key] = load_strategy(*key)
    result, _usable = run_trial(data, _strategies[key], number, params)
    result.worker = f"ray:{ray.get_runtime_context().get_node_id()[:8]}"
    yield result


@dataclasses.dataclass
class _Task:
    """A trial submitted to Ray; ``started``: when the driver learnt it runs (None: queued)."""

    number: int
    params: dict[str, Any]
    started: float | None = None

    def failed(self, status: TrialStatus, error: str, now: float) -> TrialResult:
        ran = now - self.started if self.started is not None else 0.0
        return TrialResult(self.number, self.params, status, {}, error, ran, "ray")


class RayBackend:
    """Trials as Ray tasks (see the module's docstring); ``workers`` None: the cluster's CPUs."""

    name = "ray"

    def __init__(self, address: str = "auto", workers: int | None = None) -> None:
        try:
            import ray  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise BackendError("the ray backend needs Ray: pip install 'ostdesk[ray]'") from None
        self._ray: Any = ray
        self.address = address
        self._workers = workers
        self._pending: dict[Any, _Task] = {}  # by the task's ObjectRefGenerator
        self._data_ref: Any = None
        self._task: Any = None
        self._limit = 0.0
        self._head: tuple[str, int] | None = None
        self._head_checked = 0.0
        self._vanished = False

    @property
    def capacity(self) -> int:
        if self._workers is None:
            self._connect()
            self._workers = max(1, int(self._ray.cluster_resources().get("CPU", 1)))
        return self._workers

    def _connect(self) -> None:
        ray = self._ray
        if ray.is_initialized():
            return
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing reaches the network
        try:
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except Exception as exc:
            raise BackendError(f"cannot reach the Ray cluster at {self.address}: {exc}") from None
        host, _, port = ray.get_runtime_context().gcs_address.rpartition(":")
        self._head = (host.strip("[]"), int(port))

    def _check_head(self) -> None:
        """Raise when the head's GCS no longer accepts connections (the cluster is gone)."""
        now = time.monotonic()
        if self._head is None or now - self._head_checked < HEAD_CHECK_S:
            return
        self._head_checked = now
        try:
            socket.create_connection(self._head, timeout=HEAD_TIMEOUT_S).close()
        except OSError as exc:
            self._vanished = True
            host, port = self._head
            raise BackendError(f"the Ray cluster at {host}:{port} went away ({exc})") from None

    def start(self, data: StudyData) -> None:
        self._connect()
        self._data_ref = self._ray.put(data)
        self._task = self._ray.remote(num_cpus=1, max_retries=0)(_trial_task)
        self._limit = data.spec.trial_timeout_s + STOP_GRACE_S + BACKSTOP_S

    def running(self) -> int:
        return len(self._pending)

    def submit(self, number: int, params: dict[str, Any]) -> None:
        stream = self._task.remote([self._data_ref], number, params)
        self._pending[stream] = _Task(number, params)

    def poll(self, timeout: float) -> list[TrialResult]:
        """Results finished since the last poll; a task that has started is timed from the
        poll that learns it (its own limit it enforces itself, from its own start: this is
        the backstop for strategy code it could not stop)."""
        ray = self._ray
        self._check_head()
        if not self._pending:
            return []
        ready, _ = ray.wait(list(self._pending), num_returns=len(self._pending), timeout=timeout)
        results = []
        for stream in ready:
            task = self._pending[stream]
            try:
                item = ray.get(next(stream))
            except Exception as exc:  # StopIteration too: a task that ended saying nothing
                del self._pending[stream]
                error = f"its Ray task failed: {exc or type(exc).__name__}"
                results.append(task.failed(TrialStatus.FAILED, error, time.monotonic()))
                continue
            if isinstance(item, TrialResult):
                del self._pending[stream]
                results.append(item)
            else:
                task.started = time.monotonic()
        now = time.monotonic()
        for stream, task in list(self._pending.items()):
            if task.started is not None and now - task.started > self._limit:
                ray.cancel(stream, force=True)
                del self._pending[stream]
                error = "its Ray task outlived the per-trial limit and was cancelled"
                results.append(task.failed(TrialStatus.TIMEOUT, error, now))
        return results

    def close(self) -> None:
        if not self._vanished:  # with no cluster, cancelling would wait on it
            for stream in self._pending:
                self._ray.cancel(stream, force=True)
        self._pending.clear()
        self._data_ref = None
        if self._ray.is_initialized():
            self._ray.shutdown()
