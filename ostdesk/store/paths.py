"""Where the database file lives: ``--db`` beats ``OSTDESK_DB`` beats the user data folder."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import platformdirs

from ostdesk.store.errors import StoreError

APP_NAME = "ostdesk"
DB_FILE_NAME = "ostdesk.duckdb"
ENV_VAR = "OSTDESK_DB"

# a scheme of two or more letters, so that a Windows drive (C://) is not taken for one
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def default_db_path() -> Path:
    """The per-user database file in the platform's user data folder (not created here)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILE_NAME


def resolve_db_path(cli_value: str | Path | None) -> Path:
    """The database to use: the CLI's ``--db`` value, else ``$OSTDESK_DB``, else the default
    (a URL is refused here, before ``Path`` would fold ``http://`` into a local ``http:/``)."""
    if cli_value is not None and str(cli_value).strip():
        return local_path(cli_value, "database")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return local_path(env, "database")
    return default_db_path()


def default_strategies_dir() -> Path:
    """The per-user folder of strategy files (created on first use so users can find it; where
    it cannot be, as under a read-only home, the built-in strategies are still there)."""
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "strategies"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def local_path(text: str | Path, role: str) -> Path:
    """``text`` as a local path, expanded and absolute, for DuckDB to read or write.

    A URL (``http://``, ``s3://``, any ``scheme://``) is refused with ``StoreError``: ostdesk
    works on local files only, and DuckDB would otherwise fetch an extension to reach it.
    ``role`` names the file in the message ("export file", "import file").
    """
    raw = str(text).strip()
    if _URL.match(raw):
        raise StoreError(f"the {role} {raw} is a URL; ostdesk reads and writes local files only")
    if not raw:
        raise StoreError(f"the {role} name is empty")
    return Path(raw).expanduser().absolute()
