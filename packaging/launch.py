"""Entry script of the PyInstaller bundle: the same as the ``ostdesk`` command."""

import sys

from ostdesk.cli import main

sys.exit(main())
