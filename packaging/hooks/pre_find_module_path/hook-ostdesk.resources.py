"""PyInstaller hook: find ``ostdesk.resources`` where the build's Python imports it from.

A wheel has it in ``ostdesk/resources/``; an editable install maps it to the repository's
``resources/`` folder, outside ``ostdesk/``, where PyInstaller's search (which ignores the
editable install's finder) does not look. The same lookup as for ``ostdesk`` itself.
"""

from pathlib import Path

from PyInstaller.utils.hooks import get_all_package_paths


def pre_find_module_path(api):
    api.search_dirs = [str(Path(p).parent) for p in get_all_package_paths(api.module_name)]
