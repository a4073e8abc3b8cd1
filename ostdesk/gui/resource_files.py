"""Packaged resources (icons, the desktop-entry template), found wherever ostdesk is installed.

They ship as the package ``ostdesk.resources`` (the repository's ``resources/`` folder), so
``importlib.resources`` finds them in a wheel, an editable install and a PyInstaller bundle.
Qt-free, so ``install-desktop`` works without a display.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource_path(name: str) -> Path:
    """The file ``name`` (e.g. ``"icons/ostdesk.svg"``) of ``ostdesk.resources``.

    Resources are installed as plain files (ostdesk is never imported from a zip), so this is
    a real path; a missing file is a broken installation and says where it looked.
    """
    root = files("ostdesk.resources")
    node = root
    for part in name.split("/"):
        node = node / part
    path = Path(str(node))
    if not path.is_file():
        raise FileNotFoundError(f"the resource {name} is missing from {root}")
    return path
