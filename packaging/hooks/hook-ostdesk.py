"""PyInstaller hook: ostdesk's packaged resources and its dynamically listed strategies."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

datas = collect_data_files("ostdesk.resources")
# built-in strategies are found with pkgutil.iter_modules, which static analysis cannot see
hiddenimports = collect_submodules("ostdesk.strategies") + collect_submodules("ostdesk.gui")
