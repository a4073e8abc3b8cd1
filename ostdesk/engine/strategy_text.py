"""A strategy's docstring as a person reads it: without reStructuredText markup, and its
first sentence whole.

Qt-free so the CLI (``ostdesk strategies``) and the window's strategy picker show a
description alike: ``every ``rebalance`` bars`` reads ``every rebalance bars`` in both.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"(?::\w+:)?``?([^`]+?)``?")  # ``code``, `code`, :class:`Name`
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)[.!?](?=\s|$)")


def without_markup(text: str) -> str:
    """``text`` with inline markup (``code``, `code`, :role:`Name`) as its plain words."""
    return _MARKUP.sub(r"\1", text)


def first_sentence(doc: str) -> str:
    """A docstring's first sentence, whole even when it spans lines, without markup."""
    paragraph = without_markup(" ".join(doc.strip().split("\n\n")[0].split()))
    end = _SENTENCE_END.search(paragraph)
    return paragraph[: end.end()] if end else paragraph
