"""Where trials run: one interface, :class:`Backend`, and the local process pool.

A backend gets the study's data once (:meth:`Backend.start`), runs trials it is given while it
has room (:attr:`Backend.capacity` at a time) and hands back each result as soon as it is
there (:meth:`Backend.poll`), never all at the end. :meth:`Backend.close` stops whatever still
runs at once (a cancelled study does not wait for its trials). The Ray backend
(``ostdesk.research.ray_backend``) follows the same interface.

The local pool starts ``workers`` processes that share nothing with the parent (no state leaks
from it, and it is safe in a Qt app; its main script is not run again in them): by
``forkserver`` where the platform has it (a server process started once, with ostdesk
imported, forks each worker in milliseconds), else by ``spawn``; each has BLAS/OpenMP threads
set to 1 (workers already fill the cores) and gets the bars once, at start. A worker runs one
trial at a time; one that outlives its per-trial limit plus a grace, or dies, is replaced, its
trial ending ``timeout`` or ``failed``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from ostdesk.research.spec import TrialResult, TrialStatus
from ostdesk.research.trial import STOP_GRACE_S, StudyData, load_strategy, run_trial

THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
"""Set to 1 in every worker: a pool of N single-threaded workers already uses N cores."""

BACKSTOP_S = 5.0
"""Past its limit and the worker's own stop grace, how long a trial may still take before its
worker process is killed."""


class BackendError(RuntimeError):
    """A backend cannot run the study (a worker cannot load the strategy, Ray is missing or
    its cluster unreachable): one line saying so."""


class Backend(Protocol):
    name: str

    @property
    def capacity(self) -> int:
        """How many trials it runs at a time."""

    def start(self, data: StudyData) -> None: ...

    def submit(self, number: int, params: dict[str, Any]) -> None:
        """Run a trial; only while fewer than ``capacity`` are running."""

    def poll(self, timeout: float) -> list[TrialResult]:
        """Results finished since the last poll, waiting up to ``timeout`` s for the first."""

    def running(self) -> int: ...

    def close(self) -> None:
        """Stop at once, trials in flight included (their results are dropped)."""


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _worker_main(conn: Connection, nice: int) -> None:
    """A pool worker: load the strategy, then run trials until told to stop. Ctrl-C in the
    terminal reaches the whole process group: the parent decides, and stops its workers.

    ``nice`` lowers the worker's own priority (the app's pool: the window keeps a core). The
    worker does it itself rather than inheriting it from a lowered parent thread: that thread,
    the study's driver, shares the app's GIL, and descheduled while holding it, it stalled
    the window for as long as the busy cores kept it waiting.

    Workers are not pinned to CPUs: a trial runs on the synchronous executor, whose one thread
    the engine leaves unpinned, and the scheduler may then move a worker off a core that other
    programs keep busy (pinned, each waited for its own core on a shared machine)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    try:
        data: StudyData = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):
        return
    try:
        strategy = load_strategy(data.spec.strategy, data.spec.strategy_source)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            conn.send(("fatal", f"cannot load strategy {data.spec.strategy}: {exc}"))
        return
    try:  # a parent gone (killed) closes the pipe: the worker ends quietly, no traceback
        conn.send(("ready", None))
        while (task := conn.recv()) is not None:
            result, usable = run_trial(data, strategy, *task)
            conn.send(("result", result))
            if not usable:
                return  # strategy code it could not stop still runs here: retire
    except (EOFError, OSError):
        return


class _Worker:
    def __init__(self, ctx: Any, lock: threading.Lock, nice: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, nice), name="ostdesk-trial-worker", daemon=True
        )
        with lock:  # the child (or the fork server, started by the first) copies it as it starts
            saved = {k: os.environ.get(k) for k in THREAD_ENV}
            os.environ.update(dict.fromkeys(THREAD_ENV, "1"))
            try:
                with _no_main():
                    self.process.start()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        child.close()
        self.ready = False
        self.task: tuple[int, dict[str, Any]] | None = None
        self.started = 0.0

    @property
    def name(self) -> str:
        return f"local:{self.process.pid}"

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_main() -> Iterator[None]:
    """While a worker starts, hide the parent's main module from ``multiprocessing``: a
    ``spawn`` or ``forkserver`` child otherwise runs the parent's main script again (as
    ``__mp_main__``) before its target, and a worker needs nothing from it (it loads its
    strategy by name). A script importing pandas and bokeh (``bench/sweep.py``) cost each
    worker 1.3 s of start-up that way, every study. Held under ``_ENV_LOCK``, for the
    milliseconds of ``Process.start``."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class LocalBackend:
    """A process pool on this machine (see the module's docstring); ``nice``: how much lower
    than normal the workers run."""

    name = "local"

    def __init__(
        self, workers: int | None = None, start_method: str | None = None, nice: int = 0
    ) -> None:
        self.workers = workers or default_workers()
        self.nice = nice
        methods = multiprocessing.get_all_start_methods()
        method = start_method or ("forkserver" if "forkserver" in methods else "spawn")
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":  # the server imports what every worker needs, once
            self._ctx.set_forkserver_preload([__name__])
        self._pool: list[_Worker] = []
        self._data: StudyData | None = None
        self._payload = b""
        self._queued: list[tuple[int, dict[str, Any]]] = []

    @property
    def capacity(self) -> int:
        return self.workers

    def start(self, data: StudyData) -> None:
        self._data = data
        self._payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)  # once, not per worker
        self._pool = [_Worker(self._ctx, _ENV_LOCK, self.nice) for _ in range(self.workers)]
        for worker in self._pool:  # all started first: each reads its bars as it is sent them
            worker.conn.send_bytes(self._payload)

    def running(self) -> int:
        return len(self._queued) + sum(w.task is not None for w in self._pool)

    def submit(self, number: int, params: dict[str, Any]) -> None:
        self._queued.append((number, params))
        self._dispatch()

    def _dispatch(self) -> None:
        for worker in self._pool:
            if not self._queued:
                return
            if worker.ready and worker.task is None:
                worker.task = self._queued.pop(0)
                worker.started = time.monotonic()
                worker.conn.send(worker.task)

    def poll(self, timeout: float) -> list[TrialResult]:
        results: list[TrialResult] = []
        ready = wait([w.conn for w in self._pool], timeout)
        for worker in list(self._pool):
            if worker.conn in ready:
                self._receive(worker, results)
        self._backstop(results)
        self._dispatch()
        return results

    def _receive(self, worker: _Worker, results: list[TrialResult]) -> None:
        try:
            kind, payload = worker.conn.recv()
        except (EOFError, OSError):  # it died (or retired after a trial it could not stop)
            self._replace(worker, results, "its worker process ended")
            return
        if kind == "fatal":
            self.close()
            raise BackendError(payload)
        if kind == "ready":
            worker.ready = True
            return
        result: TrialResult = payload
        result.worker = worker.name
        results.append(result)
        worker.task = None

    def _backstop(self, results: list[TrialResult]) -> None:
        assert self._data is not None
        limit = self._data.spec.trial_timeout_s + STOP_GRACE_S + BACKSTOP_S
        now = time.monotonic()
        for worker in list(self._pool):
            if worker.task is not None and now - worker.started > limit:
                self._replace(worker, results, None)

    def _replace(self, worker: _Worker, results: list[TrialResult], why: str | None) -> None:
        """Kill ``worker``, end its trial (``timeout`` without ``why``), start another."""
        assert self._data is not None
        worker.stop()
        if worker.task is not None:
            number, params = worker.task
            status = TrialStatus.FAILED if why else TrialStatus.TIMEOUT
            error = (
                why or f"stopped after the per-trial limit of {self._data.spec.trial_timeout_s:g} s"
            )
            elapsed = time.monotonic() - worker.started
            results.append(TrialResult(number, params, status, {}, error, elapsed, worker.name))
        index = self._pool.index(worker)
        self._pool[index] = _Worker(self._ctx, _ENV_LOCK, self.nice)
        self._pool[index].conn.send_bytes(self._payload)

    def close(self) -> None:
        for worker in self._pool:
            worker.stop()
        self._pool = []
        self._queued = []


def make_backend(
    name: str, workers: int | None = None, address: str | None = None, nice: int = 0
) -> Backend:
    """The backend called ``name`` (``local`` or ``ray``); ``nice`` lowers the local workers'
    priority (a Ray cluster's are its own)."""
    if name == "local":
        if address:
            raise BackendError("--address is for --backend ray")
        return LocalBackend(workers, nice=nice)
    if name == "ray":
        from ostdesk.research.ray_backend import RayBackend

        return RayBackend(address or "auto", workers)
    raise BackendError(f"--backend {name}: expected local or ray")
