"""Run details' trade columns are as wide as their widest text, found without Qt measuring a
screenful of rows a column after every run."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ostdesk.gui.blotter.views import FIT_ROWS
from ostdesk.gui.runs import RunDetails
from tests.gui.test_runs_browser import real_db, real_runs_template  # noqa: F401 - fixtures
from tests.gui.test_runs_details import details, open_run, worker  # noqa: F401 - fixtures


def test_each_trade_column_is_as_wide_as_its_widest_text_over_all_trades(
    qtbot: QtBot,
    details: RunDetails,  # noqa: F811
) -> None:
    for run_id in (2, 1):  # the second fit is of other trades, in the order sorted then
        open_run(qtbot, details, run_id)
        view = details.trades_view
        header = view.horizontalHeader()
        assert details.trades_model.rowCount() > FIT_ROWS  # more than Qt would measure
        header.setResizeContentsPrecision(-1)  # Qt measures every row: the reference
        for column in range(header.count()):
            needed = max(view.sizeHintForColumn(column), header.sectionSizeHint(column))
            assert header.sectionSize(column) == needed, details.trades_model.headerData(
                column, header.orientation()
            )
        header.setResizeContentsPrecision(FIT_ROWS)
        details.trades_model.sort(7)  # P&L: the next run's trades come in another order
