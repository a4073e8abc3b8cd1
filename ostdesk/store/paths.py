"""Where the database file lives: ``--db`` beats ``OSTDESK_DB`` beats the user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ostdesk"
DB_FILE_NAME = "ostdesk.duckdb"
ENV_VAR = "OSTDESK_DB"


def default_db_path() -> Path:
    """The per-user database file in the platform's user data folder (not created here)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILE_NAME


def resolve_db_path(cli_value: str | Path | None) -> Path:
    """The database to use: the CLI's ``--db`` value, else ``$OSTDESK_DB``, else the default."""
    if cli_value is not None and str(cli_value).strip():
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_db_path()


def default_strategies_dir() -> Path:
    """The per-user folder of strategy files (created on first use so users can find it)."""
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "strategies"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
