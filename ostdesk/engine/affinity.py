"""Keep the engine's threads on one CPU, and keep them from preempting each other.

The GIL lets one Python thread run at a time, so spreading the engine's threads over cores buys
nothing, while every hand-off between threads on different cores costs a cross-core wake-up.
On the 2-core machines this was measured at ~25 µs a hand-off against ~5 µs on one core:
pinning makes the idle barrier ~2x and plain bus throughput ~4x faster (bench/bus.py).
DuckDB's own worker threads and the GUI thread are not pinned. A sink whose work is mostly
outside Python (the recorder: DuckDB releases the GIL while it writes) runs on the other CPUs
instead, where that work overlaps the engine's rather than taking its CPU time: the recorder's
cost to a 10-symbol backtest fell from ~25% to ~8% of the run (bench/recorder.py).

The engine's threads also run under ``SCHED_BATCH``, which differs from the default policy in
one thing that matters here: a thread it wakes does not preempt the running one. With the
default policy, a put into a sleeping subscriber's queue switched to that subscriber at once;
it found the GIL held by the publisher, slept again, and the publisher resumed: four context
switches per hand-off instead of one. Measured (bench/backtest.py): (a) 39k -> 70k bars/s,
(b) 124k -> 150-157k bars/s, kernel time a run 3.1 -> 1.3 s (a). The GUI thread keeps the default
policy, so it still preempts the engine when its timers fire. Linux only; elsewhere a no-op.

Only the threaded engine is pinned. A synchronous run (an ``inline`` bus: one thread, no
hand-offs to speed up) leaves its thread as it found it: a sweep's worker processes each run
one, and pinned to "the engine's CPU" (the same last CPU in each) they would share a core.
"""

from __future__ import annotations

import contextlib
import os

_ENGINE_CPU: int | None = None


def engine_cpu() -> int | None:
    """The CPU the engine's threads share: the last one this process may use."""
    global _ENGINE_CPU
    if _ENGINE_CPU is None and hasattr(os, "sched_getaffinity"):
        _ENGINE_CPU = max(os.sched_getaffinity(0))
    return _ENGINE_CPU


def pin_current_thread() -> None:
    """Make the calling thread an engine thread: on the engine's CPU, under ``SCHED_BATCH``
    (only this thread: Linux affinity and policy are per thread)."""
    if os.environ.get("OSTDESK_NO_PIN"):
        return
    _to_engine_cpu()
    if hasattr(os, "SCHED_BATCH"):  # Linux
        with contextlib.suppress(OSError):  # a container may forbid it: keep the default
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _to_engine_cpu() -> None:
    cpu = engine_cpu()
    if cpu is not None:
        with contextlib.suppress(OSError):  # a container may forbid it: run unpinned
            os.sched_setaffinity(0, {cpu})


def avoid_engine_cpu() -> None:
    """Move the calling thread to every CPU but the engine's (where there is another)."""
    if os.environ.get("OSTDESK_NO_PIN"):
        return
    cpu = engine_cpu()
    if cpu is None:
        return
    others = os.sched_getaffinity(0) - {cpu}
    if others:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, others)


def share_engine_cpu() -> set[int] | None:
    """Move the calling thread onto the engine's CPU and return the CPUs it had (None where
    affinity is not supported or pinning is off).

    For a GUI thread while a run lasts: it takes the GIL dozens of times a second, and each
    time an engine thread on another core is handed the GIL back, that costs a cross-core
    wake-up. Measured: the demo backtest from the window ran at ~69% of its headless speed
    with the GUI thread unpinned, ~77% sharing the engine's CPU (bench/gui.py).
    """
    if os.environ.get("OSTDESK_NO_PIN") or not hasattr(os, "sched_getaffinity"):
        return None
    saved = os.sched_getaffinity(0)
    _to_engine_cpu()  # but not SCHED_BATCH: the GUI should preempt the engine, not wait
    return saved


def restore_affinity(saved: set[int] | None) -> None:
    """Give the calling thread back the CPUs :func:`share_engine_cpu` returned."""
    if saved is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, saved)
