"""What a strategy says about itself: ``self.log(...)`` as a fact on the bus."""

from __future__ import annotations

import dataclasses

from ostdesk.engine.events.base import EventBase

MAX_MESSAGE_CHARS = 10_000
"""A longer message keeps its start and says how much was cut: a strategy that logs a whole
DataFrame by mistake must not flood the terminal, the window or the database."""


@dataclasses.dataclass(kw_only=True, frozen=True, slots=True)
class StrategyLogged(EventBase):
    """A message of strategy ``strategy_id``, stamped with the market time of the bar it was
    handling (``ts_event_ns``: 0 in ``setup``, before any bar) and that bar's ``symbol``."""

    strategy_id: str
    symbol: str
    message: str


def message_text(message: object) -> str:
    """``message`` as the text stored and shown: ``str()`` of it, cut to
    ``MAX_MESSAGE_CHARS`` with a marker naming the cut."""
    text = message if type(message) is str else str(message)
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}… [{len(text) - MAX_MESSAGE_CHARS:,} more characters cut]"
