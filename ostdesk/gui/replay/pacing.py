"""How many bars a frame of playback at Max speed advances.

A frame's wall time has two parts: advancing the state (folding events into the blotters,
cutting the chart's arrays), which grows with the bars advanced, and the rest (painting every
widget the move touched, handling events, waiting for the timer), which does not. Cutting the
step when a frame is slow, as a plain feedback loop does, collapses it to 1 bar a frame on a
display where painting alone takes longer than the budget. So both parts are estimated
separately from each frame's measurements, and the next step is the one whose advance fills the
part of the budget painting leaves. When painting alone overruns the budget, advancing still
gets a share of it: the frame rate is then the display's, but bars keep flowing.

Qt-free: the replay controller measures the frames and asks for the step.
"""

from __future__ import annotations

FRAME_BUDGET_S = 1 / 40
"""A frame's target wall time: 40 frames/s leaves a margin above the 30 frames/s floor."""

MIN_ADVANCE_SHARE = 0.5
"""Share of the budget advancing may take a frame however slowly the display paints."""

FIRST_STEP = 500
MAX_GROWTH = 2.0  # at most twice what the last frame advanced: one fast frame is no trend
_SMOOTHING = 0.5  # weight of the newest frame in the running estimates
_MAX_JUMP = 4.0  # a frame counts as at most this many times the estimate: on a busy machine
# one frame descheduled mid-way would otherwise cut the step for many frames


class MaxPace:
    """Running estimates of a frame's fixed cost and of the cost of one bar, and the step
    they give; feed it every frame with :meth:`record`."""

    def __init__(self, budget_s: float = FRAME_BUDGET_S, first_step: int = FIRST_STEP) -> None:
        self.budget_s = budget_s
        self.step = first_step
        self.fixed_s: float | None = None  # seconds a frame costs whatever it advances
        self.bar_s: float | None = None  # seconds of advancing per bar advanced

    def record(self, bars: int, advance_s: float, frame_s: float) -> int:
        """Learn from a frame that advanced ``bars`` in ``advance_s`` seconds and took
        ``frame_s`` from its start to the next frame's start; return the next step.

        The advance's own per-frame overhead is counted per bar, so the estimate of a bar's
        cost is high at small steps; the step it gives then grows until the advance fills its
        share, which is where the estimate becomes right."""
        self.fixed_s = _blend(self.fixed_s, max(0.0, frame_s - advance_s))
        if bars > 0:
            self.bar_s = _blend(self.bar_s, advance_s / bars)
        if self.bar_s is None:
            return self.step
        allowance = max(self.budget_s - self.fixed_s, self.budget_s * MIN_ADVANCE_SHARE)
        wanted = allowance / max(self.bar_s, 1e-12)
        grown = (bars if bars > 0 else self.step) * MAX_GROWTH  # from what was advanced
        self.step = max(1, int(min(wanted, grown)))
        return self.step


def _blend(estimate: float | None, sample: float) -> float:
    if estimate is None:
        return sample
    if estimate > 0:
        sample = min(sample, estimate * _MAX_JUMP)
    return estimate + _SMOOTHING * (sample - estimate)
