"""``python -m ostdesk``: the same as the ``ostdesk`` command."""

import sys

from ostdesk.cli import main

sys.exit(main())
