"""What a strategy says about itself: ``self.log(...)`` as a fact on the bus."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ostdesk.engine.events.base import EventBase, event_factory

MAX_MESSAGE_CHARS = 10_000
"""A longer message keeps its start and says how much was cut: a strategy that logs a whole
DataFrame by mistake must not flood the terminal, the window or the database."""


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class StrategyLogged(EventBase):
    """A message of strategy ``strategy_id``, stamped with the market time of the bar it was
    handling and that bar's ``symbol`` (in ``setup``, before any bar: 0 and "")."""

    strategy_id: str
    symbol: str
    message: str


def message_text(message: object) -> str:
    """``message`` as the text stored and shown: ``str()`` of it, cut to
    ``MAX_MESSAGE_CHARS`` with a marker naming the cut.

    A lone surrogate (``"\\ud800"``, from a bad decode) is written as its escape: UTF-8 cannot
    hold it, and the database, a terminal or a pipe would refuse the whole batch with it."""
    text = message if type(message) is str else str(message)
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode()
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}… [{len(text) - MAX_MESSAGE_CHARS:,} more characters cut]"


def strategy_logged_factory() -> Callable[[int, str, str, str], StrategyLogged]:
    """Builds ``StrategyLogged(ts, strategy_id, symbol, message)`` (see ``event_factory``): a
    strategy may log on every bar, and this halves the event's cost."""
    return event_factory(StrategyLogged)
