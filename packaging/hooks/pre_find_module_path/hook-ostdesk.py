"""PyInstaller hook: analyse the ``ostdesk`` the build's Python imports, not a source tree.

The build's search path may hold the repository (the working folder, a ``pathex``), whose
``ostdesk`` would shadow an installed wheel; and an editable install is found by a meta-path
finder that PyInstaller's module search does not consult. Asking the interpreter settles both.
"""

from pathlib import Path

from PyInstaller.utils.hooks import get_all_package_paths


def pre_find_module_path(api):
    api.search_dirs = [str(Path(p).parent) for p in get_all_package_paths(api.module_name)]
