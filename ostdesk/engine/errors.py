"""Where exceptions raised in engine threads go, so none is ever silently dropped.

Subscriber threads, the datafeed and the runner report here; the GUI's bridge shows the reports
(tracebacks included) in the log dock. Each report is also logged to ``ostdesk.engine``: one line
at ERROR, which the CLI prints, and the traceback at DEBUG. Listeners are called in the
reporting thread and must only hand the report on (append to a buffer), never block.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import traceback
from collections.abc import Callable

log = logging.getLogger("ostdesk.engine")


@dataclasses.dataclass(frozen=True, slots=True)
class ComponentError:
    """One exception raised by an engine component, with its formatted traceback."""

    component: str
    message: str
    traceback: str
    exception: BaseException
    wall_time_ns: int = dataclasses.field(default_factory=time.time_ns)

    def __str__(self) -> str:
        return f"{self.component}: {self.message}"


Listener = Callable[[ComponentError], None]


class ErrorSink:
    """Collects component errors and fans them out to listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: list[ComponentError] = []
        self._listeners: list[Listener] = []

    def report(self, component: str, exc: BaseException) -> ComponentError:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        error = ComponentError(component, f"{type(exc).__name__}: {exc}", text, exc)
        with self._lock:
            self._errors.append(error)
            listeners = tuple(self._listeners)
        # one line for whoever handles ERROR records (a CLI's stderr); the traceback is kept on
        # the report, and logged at DEBUG for whoever asked for it
        log.error("error in %s: %s", component, error.message.partition("\n")[0])
        log.debug("traceback of the error in %s:\n%s", component, text)
        for listener in listeners:
            listener(error)
        return error

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def errors(self) -> list[ComponentError]:
        with self._lock:
            return list(self._errors)
