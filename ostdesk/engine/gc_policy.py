"""Cyclic garbage collection while backtests run.

A backtest allocates millions of short-lived, acyclic event objects, and sinks (recorder, GUI
bridge) hold a fraction of a second of them at a time, so they survive into older generations
and trigger full collections that scan every live object: measured at ~0.85 s of a 1.7 s
recorded run (bench/recorder.py). While any run is active the thresholds are raised (young
collections ~100x rarer); the previous thresholds come back when the last run ends.
Reference counting still frees every acyclic object at once; only cycle detection waits.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

RUN_THRESHOLDS = (70_000, 50, 100)

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


def freeze_startup_objects() -> None:
    """Exempt everything alive now (modules, classes, a GUI's widgets: ~85,000 objects) from
    all later cycle collections. A full collection otherwise walks them all, a ~50 ms pause
    (measured in the window) for whichever thread triggers it, often the GUI's; frozen they
    cost ~10 ms. For objects that live as long as the process: a cycle among them would
    never be collected."""
    gc.collect()
    gc.freeze()


def run_started() -> None:
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*RUN_THRESHOLDS)
        _active += 1


def run_ended() -> None:
    global _active, _saved
    with _lock:
        _active -= 1
        if _active == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None


@contextlib.contextmanager
def allocating() -> Iterator[None]:
    """The run's thresholds while a block builds many lasting, acyclic objects (a
    ``BarTape``): at the usual ones, collections that find nothing doubled its build time."""
    run_started()
    try:
        yield
    finally:
        run_ended()
