"""PyInstaller hook: the modules of ostdesk that its imports do not name.

``ostdesk.resources`` is only named as a string (``importlib.resources.files``), and the
built-in strategies are listed with ``pkgutil.iter_modules``. Everything ostdesk's dependencies
need comes from PyInstaller's and pyinstaller-hooks-contrib's own hooks (duckdb's metadata,
pyqtgraph's templates and Qt binding): this folder must not replace them.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = ["ostdesk.resources", *collect_submodules("ostdesk.strategies")]
