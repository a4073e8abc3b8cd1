"""The tiny stored study the Walk-forward tests walk: SmaCross fast 5 or 10 on GOOG's daily
bars from 2004-08 to 2007-12 (849 bars), as study 1."""

from __future__ import annotations

import datetime as dt

from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.study import StudyRunner
from ostdesk.store import Database, import_bars
from ostdesk.strategies.sma_cross import SmaCross
from tests.cli_data import goog_csv

END_2008_NS = int(dt.datetime(2008, 1, 1, tzinfo=dt.UTC).timestamp()) * 10**9


def store_tiny_study(db: Database) -> int:
    """Import GOOG's daily bars into ``db`` and run the study there; its id."""
    import_bars(db, goog_csv(), symbol="GOOG", period="day")
    spec = StudySpec(
        strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
        space=(parse_dimension(SmaCross.params["fast"], "5:10:5"),),
        objectives=(Objective("Sharpe Ratio"),), end_ns=END_2008_NS,
    )  # fmt: skip
    return StudyRunner(db, spec, workers=1).run().study_id
