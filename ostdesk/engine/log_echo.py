"""Strategy messages as lines a person reads, and a sink that writes them to a stream as a run
goes (the CLI's stderr).

One line per message, in the order published: the bar's time (UTC, minutes unless the bar has
seconds), the strategy, the bar's symbol when the run trades several, then the message:
``2004-08-19 00:00 SmaCross: entering long``. The window's log dock uses the same lines. A
message of several lines is shown on one, its breaks as `` ⏎ `` (the database keeps its exact
text): a second line without time and strategy would read as nobody's, and the replay's log
counts one line per message.
"""

from __future__ import annotations

import time
from typing import TextIO

from ostdesk.engine.bus import EventBus
from ostdesk.engine.events import EventBase, StrategyLogged
from ostdesk.engine.sink import BufferedSink

ECHO_INTERVAL_S = 0.05
"""How often the echo writes what came: often enough to read as "as it happens", rarely enough
that a strategy logging every bar costs one write per batch, not one per message."""


def bar_time_text(ts_ns: int) -> str:
    """``ts_ns`` (UTC) as ``YYYY-MM-DD HH:MM`` (``:SS`` when not 0); ``setup`` for 0, the time of
    a message logged before any bar."""
    if ts_ns == 0:
        return "setup"
    seconds, _ = divmod(ts_ns, 1_000_000_000)
    fmt = "%Y-%m-%d %H:%M:%S" if seconds % 60 else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.gmtime(seconds))


def log_line(event: StrategyLogged, *, with_symbol: bool = False) -> str:
    """The line a person reads for ``event`` (see the module docstring)."""
    return format_log_line(
        event.ts_event_ns, event.strategy_id, event.symbol, event.message, with_symbol=with_symbol
    )


def format_log_line(
    ts_ns: int, strategy_id: str, symbol: str, message: str, *, with_symbol: bool = False
) -> str:
    """:func:`log_line` from a message's fields (a recorded row)."""
    where = f" [{symbol}]" if with_symbol and symbol else ""
    return f"{bar_time_text(ts_ns)} {strategy_id}{where}: {one_line(message)}"


LINE_BREAK_MARK = " ⏎ "

_QT_BLOCK_BREAKS = str.maketrans(dict.fromkeys("\ufdd0\ufdd1", "\ufffd"))
"""Characters a Qt text view also starts a new line at (its frame marks), which Python's
``splitlines`` leaves alone."""


def one_line(message: str) -> str:
    """``message`` on one line: each line break (``\\n``, ``\\r\\n``, ``\\r``, and the
    others ``str.splitlines`` knows) as ``LINE_BREAK_MARK``, a trailing one dropped."""
    if message.isprintable():  # the usual message: no break of any kind, nothing to do
        return message
    return LINE_BREAK_MARK.join(message.splitlines()).translate(_QT_BLOCK_BREAKS)


class LogEcho(BufferedSink):
    """Writes each :class:`StrategyLogged` of a run to ``stream`` as a line, in batches every
    ``ECHO_INTERVAL_S``; the runner's shutdown of it writes the last ones before the run ends.

    A stream that cannot be written (a closed pipe) is reported once, then left alone: the run
    goes on and is recorded as usual."""

    def __init__(self, bus: EventBus, stream: TextIO, *, with_symbol: bool = False) -> None:
        self._stream: TextIO | None = stream
        self._with_symbol = with_symbol
        super().__init__(bus, name="log-echo", interval=ECHO_INTERVAL_S)
        self._subscribe(StrategyLogged)

    def _on_batch(self, events: list[EventBase]) -> None:
        stream = self._stream
        if stream is None:
            return
        with_symbol = self._with_symbol
        text = "".join(
            log_line(e, with_symbol=with_symbol) + "\n"  # type: ignore[arg-type]
            for e in events
        )
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # ValueError: a closed file
            self._stream = None
            raise
