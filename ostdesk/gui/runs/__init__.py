"""The run browser (issue 9): recorded runs listed, searched, opened, compared and managed.

``RunBrowser`` owns a ``RunWorker`` (one thread, one DuckDB cursor) that ``RunDetails`` and
``RunComparison`` share; none of them queries the database on the GUI thread.
"""

from ostdesk.gui.runs.browser import RunBrowser
from ostdesk.gui.runs.chart_data import RunChartLoader, show_in_chart
from ostdesk.gui.runs.compare import RunComparison
from ostdesk.gui.runs.details import RunDetails
from ostdesk.gui.runs.worker import RunWorker

__all__ = [
    "RunBrowser",
    "RunChartLoader",
    "RunComparison",
    "RunDetails",
    "RunWorker",
    "show_in_chart",
]
