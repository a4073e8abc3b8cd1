"""Stopping strategy code that does not return: an exception raised in its thread, only there.

Cancelling a run first asks politely: the datafeed stops after the current timestamp, which
needs every handler to return. A strategy stuck in an endless ``on_bar`` never does, so the
runner then interrupts it: CPython can raise an exception in another thread
(``PyThreadState_SetAsyncExc``), delivered at that thread's next bytecode boundary.

Delivered anywhere, it could land in the engine's own bookkeeping (between raising the bus's
pending count and enqueueing the event, say) and hang the idle barrier. So the strategy host
marks when its thread is inside strategy code (:class:`UserCodeGuard`), and the exception is
only ever sent while that mark is set and cleared, if still pending, as the mark is dropped:

- the host sets ``guard.inside`` to its thread's id before calling strategy code and calls
  :meth:`UserCodeGuard.leave` after it, inside a ``try`` that catches what lands; when strategy
  code calls back into the engine (an order, a log line), :meth:`UserCodeGuard.pause` and
  :meth:`UserCodeGuard.resume` mark the engine's work in between;
- the interrupter (:meth:`UserCodeGuard.interrupt`) writes its intent (``sent``, ``wanted``)
  *before* it reads the marks, and the host's thread drops a mark *before* it reads the intent:
  under the GIL one of the two sees the other's write, so a thread that leaves (or pauses)
  while an exception is being sent always waits for the interrupter's lock and clears the
  pending exception under it;
- an interrupt that finds the thread in the engine's work is not sent: ``resume`` raises it,
  once that work is complete (a strategy placing orders in a loop spends most of its time
  there);
- at most one interrupt is sent per stay in strategy code (``sent`` stays set until the thread
  leaves), so the ``except`` that catches it cannot be hit by a second one.

The host turns :class:`Interrupted` into a clean stop of the strategy: no further callbacks, no
error; the run ends ``cancelled``. One thread runs a strategy's code at a time (``setup`` in
the caller's thread before the host's thread receives anything, every later callback on the
host's thread), which is what lets the guard hold a single thread id.

Limits: the exception is seen at the next bytecode, so code blocked in one long C call
(``time.sleep(1e9)``, a blocking read) only sees it when the call returns; strategy code that
catches ``BaseException`` and goes on swallows it (it is not sent again while it stays); and
library code that strategy code calls itself (not through the engine) can be interrupted
halfway, as by any asynchronous exception: the ``logging`` module between taking a handler's
lock and its ``try``, say (which is why ``Strategy.log`` goes through the engine).
"""

from __future__ import annotations

import ctypes
import threading

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


class Interrupted(BaseException):
    """Raised in a thread running strategy code to stop it; only the strategy host catches it.

    A ``BaseException``, like ``KeyboardInterrupt``, so that strategy code's ``except
    Exception`` does not swallow it."""


class UserCodeGuard:
    """Marks when a thread is inside strategy code, so that it is interrupted only there.

    ``inside`` is the id of the thread running strategy code, 0 when none does; the host
    writes it directly on its per-bar path (an attribute store, no call), and reads ``sent``
    to know whether :meth:`leave` has anything to do."""

    __slots__ = ("_lock", "engine", "inside", "sent", "wanted")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0
        self.engine = False  # strategy code called into the engine: no exception may land
        self.sent = False  # this stay was interrupted, asynchronously or at ``resume``
        self.wanted = False  # this stay must end: ``resume`` raises

    def leave(self) -> None:
        """Called by the thread leaving strategy code: after it, nothing can be raised in it
        until it enters again. Whatever lands while this runs must be caught like an
        exception from strategy code (call it again in the handler)."""
        self.inside = 0
        self.engine = False
        if self.sent:
            with self._lock:
                _set_async_exc(ctypes.c_ulong(threading.get_ident()), None)  # None: clear
                self.sent = self.wanted = False

    def pause(self) -> bool:
        """Strategy code calls into the engine (an order): no exception may land until
        :meth:`resume`, which is given what this returns."""
        outer, self.engine = self.engine, True
        if self.sent:  # one may be on its way: ``resume`` raises it instead
            with self._lock:
                _set_async_exc(ctypes.c_ulong(threading.get_ident()), None)
        return outer

    def resume(self, outer: bool) -> None:
        """Back to strategy code after :meth:`pause`; raises :class:`Interrupted` there if an
        interrupt came meanwhile (the engine's work is complete by now)."""
        self.engine = outer
        if self.wanted and not outer:
            raise Interrupted

    def interrupt(self) -> bool:
        """Interrupt the thread inside strategy code, if one is and this stay of it was not
        interrupted yet: True if so (the exception is raised now or at :meth:`resume`)."""
        with self._lock:
            if self.sent:
                return False
            self.sent = self.wanted = True  # before reading the marks: see the docstring
            thread_id = self.inside
            if not thread_id:
                self.sent = self.wanted = False
                return False
            if not self.engine:
                _set_async_exc(ctypes.c_ulong(thread_id), ctypes.py_object(Interrupted))
            return True
