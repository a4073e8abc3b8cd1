"""Max speed's step: painting's fixed cost is kept apart from the cost of a bar, so a display
that paints slowly still gets many bars a frame, and a fast one is held to the frame budget; a
frame never passes more events than the blotters fold in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ostdesk.gui.replay.controller import FOLD_LIMIT, FRAME_MS
from ostdesk.gui.replay.pacing import FRAME_BUDGET_S, MIN_ADVANCE_SHARE, MaxPace
from tests.gui.test_replay_timeline import Recorded, runs  # noqa: F401  (``runs`` is a fixture)


@dataclass
class Display:
    """A machine whose frame costs ``paint_s`` to draw plus ``overhead_s + bar_s * bars`` to
    advance, on the controller's timer (a frame never starts sooner than its period)."""

    paint_s: float
    bar_s: float
    overhead_s: float = 0.001

    def advance_s(self, bars: int) -> float:
        return self.overhead_s + self.bar_s * bars

    def frame_s(self, bars: int) -> float:
        return max(FRAME_MS / 1000, self.advance_s(bars) + self.paint_s)


def play(pace: MaxPace, display: Display, frames: int) -> list[int]:
    """The steps of ``frames`` frames, each learnt from the one before."""
    steps = []
    for _ in range(frames):
        step = pace.step
        steps.append(step)
        pace.record(step, display.advance_s(step), display.frame_s(step))
    return steps


def test_slow_painting_still_advances_many_bars_a_frame() -> None:
    display = Display(paint_s=0.060, bar_s=2e-6)  # one paint is twice the whole budget
    steps = play(MaxPace(), display, 30)
    share = FRAME_BUDGET_S * MIN_ADVANCE_SHARE
    expected = (share - display.overhead_s) / display.bar_s
    assert min(steps[10:]) > 1_000
    assert steps[-1] == pytest.approx(expected, rel=0.05)


def test_fast_painting_is_held_to_the_frame_budget() -> None:
    display = Display(paint_s=0.002, bar_s=2e-6)
    pace = MaxPace()
    steps = play(pace, display, 30)
    assert pace.fixed_s == pytest.approx(display.paint_s, rel=0.05)
    assert all(display.frame_s(s) <= 1 / 30 for s in steps[10:])
    expected = (FRAME_BUDGET_S - display.paint_s - display.overhead_s) / display.bar_s
    assert steps[-1] == pytest.approx(expected, rel=0.05)


def test_one_slow_frame_does_not_collapse_the_step() -> None:
    display = Display(paint_s=0.002, bar_s=2e-6)
    pace = MaxPace()
    steady = play(pace, display, 30)[-1]
    step = pace.step
    pace.record(step, display.advance_s(step), 0.5)  # the machine stalled half a second
    assert pace.step >= steady // 2
    assert play(pace, display, 10)[-1] == pytest.approx(steady, rel=0.05)


def test_the_step_grows_at_most_twofold_a_frame() -> None:
    pace = MaxPace(first_step=10)
    steps = play(pace, Display(paint_s=0.001, bar_s=1e-9), 5)
    assert steps == [10, 20, 40, 80, 160]


def test_a_frame_that_advanced_nothing_keeps_the_step() -> None:
    pace = MaxPace(first_step=300)
    assert pace.record(0, 0.0, 0.02) == 300


def test_a_frame_capped_short_of_its_step_grows_from_what_it_advanced() -> None:
    pace = MaxPace(first_step=1_000)
    pace.record(100, 0.001, 0.02)  # the controller stopped it at 100 bars
    assert pace.step == 200


def test_a_frame_at_max_reaches_no_further_than_the_books_fold_in(
    runs: dict[str, Recorded],  # noqa: F811
) -> None:
    t = runs["rsi"].timeline
    for events in (0, 1, 17, FOLD_LIMIT, len(t.events) // 2, len(t.events) - 1):
        k = t.last_bar_within(events)
        assert k == -1 or t.event_count(k) <= events
        assert k == t.last or t.event_count(k + 1) > events
    assert t.last_bar_within(len(t.events)) == t.last


def test_one_frame_descheduled_mid_advance_cuts_the_step_at_most_by_a_few() -> None:
    display = Display(paint_s=0.002, bar_s=2e-6)
    pace = MaxPace()
    steady = play(pace, display, 30)[-1]
    step = pace.step
    pace.record(step, display.advance_s(step) * 100, display.frame_s(step) + 0.5)
    assert pace.step >= steady // 3
