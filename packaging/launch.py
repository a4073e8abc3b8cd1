"""Entry script of the PyInstaller bundle: the same as the ``ostdesk`` command.

``OSTDESK_SMOKE_SECONDS=N``, set only by ``packaging/smoke.py``, lets the smoke test open the
window unattended: once the window is shown, a line on stdout says so and the app quits N
seconds later (exit status 1 if no window showed). Nothing else reads it, and a user who never
sets it sees no difference.
"""

import os
import sys

SMOKE_ENV = "OSTDESK_SMOKE_SECONDS"
SHOWN = "smoke: window shown:"


def quit_after_shown(seconds: float) -> None:
    """Make the ``QApplication`` that ``ostdesk`` will use (it takes an existing one) and queue
    the check that runs as its event loop starts, i.e. after the window was shown."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])

    def check() -> None:
        shown = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        if not shown:
            print("smoke: no main window is shown", file=sys.stderr, flush=True)
            app.exit(1)
            return
        print(SHOWN, shown[0].windowTitle(), flush=True)
        QTimer.singleShot(round(seconds * 1000), app.quit)

    QTimer.singleShot(0, check)


if __name__ == "__main__":
    from ostdesk.cli import main

    if os.environ.get(SMOKE_ENV):
        quit_after_shown(float(os.environ[SMOKE_ENV]))
    sys.exit(main())
