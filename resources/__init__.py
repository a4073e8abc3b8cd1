"""Icons and the desktop-entry template, shipped as the package ``ostdesk.resources``.

Find them with ``importlib.resources.files("ostdesk.resources")`` (see
``ostdesk.gui.resource_files``): that works from a wheel, an editable install and a PyInstaller
bundle alike (``packaging/hooks/`` puts them in the bundle's ``ostdesk/resources/``).
"""
