"""Reading a stored study back (on the database worker's thread): its row, its spec rebuilt
with the strategy it names, and every stored trial."""

from __future__ import annotations

import dataclasses
from typing import Any

from ostdesk.engine.strategy import Strategy
from ostdesk.research.robustness import with_returns
from ostdesk.research.spec import StudySpec
from ostdesk.research.study import stored_spec
from ostdesk.store.database import DbOrCursor
from ostdesk.store.studies import TrialRow, get_study, stored_trials


@dataclasses.dataclass(frozen=True)
class StoredStudy:
    study_id: int
    row: dict[str, Any]
    spec: StudySpec
    strategy: type[Strategy]
    trials: list[TrialRow]


def load_study(db: DbOrCursor, study_id: int) -> StoredStudy:
    """Study ``study_id`` whole; ``StoreError`` if there is none, ``KeyError``/``OSError``
    if its strategy can no longer be loaded."""
    row = get_study(db, study_id)
    spec, strategy = stored_spec(db, study_id)
    trials = with_returns(db, study_id, stored_trials(db, study_id))  # for the PBO
    return StoredStudy(study_id, row, spec, strategy, trials)
