"""PyInstaller hook: the icons and the desktop-entry template go to ``ostdesk/resources/``.

That is where a wheel keeps them, so ``importlib.resources.files("ostdesk.resources")`` finds
them in the bundle too. The destination is named here rather than left to
``collect_data_files``, which derives it from the package's folder: an editable install maps
the package to the repository's ``resources/`` folder, and the files landed beside the
bundle's top (``_internal/icons/``), out of the package's reach.
"""

from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, get_package_paths

_, _folder = get_package_paths("ostdesk.resources")
datas = [
    (source, str(Path("ostdesk", "resources", Path(source).parent.relative_to(_folder))))
    for source, _ in collect_data_files("ostdesk.resources")
]
