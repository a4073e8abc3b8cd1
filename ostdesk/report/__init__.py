"""Run reports: one self-contained HTML file per run (``ostdesk report``, Runs → Export
report…). Qt-free, used by the command line and the window alike."""

from ostdesk.report.page import render_report, write_report

__all__ = ["render_report", "write_report"]
