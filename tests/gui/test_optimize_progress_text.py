"""The Optimize view's progress line: a resumed study's rate counts this session's trials."""

from __future__ import annotations

from ostdesk.gui.optimize.view import progress_text
from ostdesk.research.study import StudyProgress


def test_a_resumed_studys_rate_counts_only_the_trials_run_since_the_resume() -> None:
    """35 trials were stored before; 5 ran in the 2 s since: 2.5 trials/s, not 20."""
    progress = StudyProgress(
        done=40,
        planned=100,
        running=2,
        elapsed_s=2.0,
        eta_s=24.0,
        by_status={"completed": 40},
        done_here=5,
    )
    assert progress_text(progress) == "40 / 100 trials · 2.5 trials/s · ETA 0:24"
