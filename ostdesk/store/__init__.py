"""The Qt-free store: one DuckDB file per user with market data, imports and demo data."""

from ostdesk.store.columns import parse_columns_spec
from ostdesk.store.database import Database
from ostdesk.store.demo import DEMO_SYMBOLS, install_demo_data
from ostdesk.store.errors import (
    BarImportError,
    DatabaseLockedError,
    SchemaTooNewError,
    StoreError,
    UnknownSymbolError,
)
from ostdesk.store.importer import ImportResult, Progress, import_bars
from ostdesk.store.market_data import (
    Instrument,
    bar_chunks,
    count_bars,
    coverage,
    has_market_data,
    list_instruments,
    load_bars,
)
from ostdesk.store.paths import default_db_path, resolve_db_path

__all__ = [
    "DEMO_SYMBOLS",
    "BarImportError",
    "Database",
    "DatabaseLockedError",
    "ImportResult",
    "Instrument",
    "Progress",
    "SchemaTooNewError",
    "StoreError",
    "UnknownSymbolError",
    "bar_chunks",
    "count_bars",
    "coverage",
    "default_db_path",
    "has_market_data",
    "import_bars",
    "install_demo_data",
    "list_instruments",
    "load_bars",
    "parse_columns_spec",
    "resolve_db_path",
]
