"""PyInstaller hook: DuckDB's compiled extension and the Python modules it imports lazily."""

from PyInstaller.utils.hooks import collect_dynamic_libs, collect_submodules

binaries = collect_dynamic_libs("duckdb")
hiddenimports = collect_submodules("duckdb")
