"""The window's Optimize view: parameter studies set up, run, read and reopened."""

from ostdesk.gui.optimize.view import OptimizeView

__all__ = ["OptimizeView"]
