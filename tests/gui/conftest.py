"""GUI test set-up shared by the window's test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


@pytest.fixture
def isolated_settings(qapp: QApplication, tmp_path: Path) -> Iterator[None]:
    """QSettings caches its folder per process: point it at this test's temp dir."""
    qapp.setOrganizationName("ostdesk-tests")
    qapp.setApplicationName("ostdesk-tests")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings().clear()
    yield
    QSettings().clear()
