"""The strategy configuration dock: a run set up without code, and never an invalid one."""

from ostdesk.gui.config.dock import ConfigDock
from ostdesk.gui.config.import_dialog import ImportBarsDialog

__all__ = ["ConfigDock", "ImportBarsDialog"]
