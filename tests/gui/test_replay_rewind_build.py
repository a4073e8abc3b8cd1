"""The rewind folded on its own thread while a replay opens gives the books a fold from the
start gives, and a failure of the fold reaches whoever asks for the rewind."""

from __future__ import annotations

import pytest

from ostdesk.gui.replay.rewind_build import RewindBuild
from tests.gui.test_replay_timeline import (  # noqa: F401  (``runs`` is a fixture)
    Recorded,
    folded,
    runs,
    same_books,
)


def test_the_threaded_fold_gives_the_books_folded_from_the_start(
    runs: dict[str, Recorded],  # noqa: F811
) -> None:
    t = runs["rsi"].timeline
    events = t.events.events
    rewind = RewindBuild(events, t.capital).rewind()
    for e in (0, 1, len(events) // 3, len(events)):
        same_books(rewind.books_at(e), folded(events[:e], t.capital))


def test_a_failed_fold_is_raised_to_the_caller() -> None:
    build = RewindBuild(None, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        build.rewind()
