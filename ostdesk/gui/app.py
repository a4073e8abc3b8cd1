"""Starts the desktop app: checks the system, sets up ``QApplication``, opens the database.

Everything a user's machine can get wrong before the window appears ends with a sentence and
an exit status, never a traceback: a missing system library for Qt's X11 plugin (checked
*before* Qt tries to load it, since Qt aborts the process when it cannot), no display or one
that refuses the connection (Qt aborts there too), a database another ostdesk already has open
or a newer ostdesk wrote. The sentence goes where a person sees it, with or without a
terminal, and into the launch log (``ostdesk.launch_failure``).
"""

from __future__ import annotations

import ctypes
import os
import sys
import traceback
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ostdesk.launch_failure import report_launch_failure

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ostdesk.gui.bridge import GuiBridge
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store import Database

APP_NAME = "ostdesk"
EXIT_NO_GUI = 3
EXIT_DB_UNAVAILABLE = 2

# What Qt's xcb plugin links against (soname -> Debian/Ubuntu package); Qt >= 6.5 added
# libxcb-cursor0, which desktop installs often lack.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
}


def run_app(db_arg: str | None, strategy_dirs: Sequence[Path] | None = None) -> int:
    """Open the main window on the database ``db_arg`` (or the default one), its strategy
    dock loading ``strategy_dirs`` (default: the user's strategy folder); the exit status."""
    problem = display_problem()
    if problem is not None:
        report_launch_failure("Cannot open the window", problem)
        return EXIT_NO_GUI
    app = create_application()
    db = open_database(db_arg)
    if db is None:
        return EXIT_DB_UNAVAILABLE
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QMessageBox

        from ostdesk.engine.gc_policy import freeze_startup_objects

        try:
            window = open_main_window(db, strategy_dirs)
        except Exception as exc:  # a bug: logged with its traceback; the CLI says so on stderr
            title = "Internal error while opening the window"
            report_launch_failure(
                title,
                f"a bug in ostdesk: {type(exc).__name__}: {exc}",
                exc=exc,
                qt_dialog=lambda body: QMessageBox.critical(None, title, body),
                to_stderr=False,
            )
            raise
        previous_hook = install_excepthook(window.bridge)
        QTimer.singleShot(1000, freeze_startup_objects)  # once the window is up and loaded
        try:
            return app.exec()
        finally:
            sys.excepthook = previous_hook
    finally:
        db.close()


def open_main_window(db: Database, strategy_dirs: Sequence[Path] | None = None) -> MainWindow:
    """The main window, shown, after marking runs a dead ostdesk left running as interrupted."""
    from ostdesk.gui.main_window import MainWindow
    from ostdesk.store.runs import recover_interrupted_runs

    recovered = recover_interrupted_runs(db)  # before the run browser lists them
    window = MainWindow(db, strategy_dirs=strategy_dirs)
    for run_id in recovered:
        window.log_view.warning(
            f"run {run_id} was left running by an ostdesk that ended; marked interrupted"
        )
    window.show()
    return window


def display_problem(env: dict[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why Qt could not open a window here, in words that say what to do; None if it can.

    Only Linux's X11 (xcb) plugin is checked: it is the one whose missing system libraries abort
    the process. ``QT_QPA_PLATFORM=offscreen`` (tests) and Wayland sessions skip the check.
    """
    env = dict(os.environ) if env is None else env
    if not platform.startswith("linux"):
        return None
    requested = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip().lower()
    if requested and requested != "xcb":
        return None
    if not requested and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return (
            "no display to open a window on (DISPLAY is not set); run ostdesk in a desktop "
            "session, or use its commands (`ostdesk --help`) without a window"
        )
    missing = [pkg for soname, pkg in XCB_LIBRARIES.items() if not _can_load(soname)]
    if missing:
        return (
            f"Qt needs the system {'libraries' if len(missing) > 1 else 'library'} "
            f"{', '.join(missing)} to open a window; install "
            f"{'them' if len(missing) > 1 else 'it'} with `sudo apt-get install "
            f"{' '.join(missing)}` (Debian/Ubuntu; Fedora calls libxcb-cursor0 xcb-util-cursor)"
        )
    if not _can_connect(env["DISPLAY"]):
        return (
            f"cannot connect to the X display {env['DISPLAY']} (DISPLAY); run ostdesk in the "
            "desktop session it names, or use its commands (`ostdesk --help`) without a window"
        )
    return None


def _can_connect(display: str) -> bool:
    """Whether the X server ``display`` accepts a connection (as Qt's will be made, with the
    same authority), through libxcb, which Qt's X11 plugin links: Qt aborts when it cannot."""
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)  # never NULL; an error is recorded
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def _can_load(soname: str) -> bool:
    """Whether the dynamic linker finds ``soname`` (as Qt will): a dlopen, ~0.1 ms."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def create_application() -> QApplication:
    """The ``QApplication`` with ostdesk's name (the ``QSettings`` scope), icon and palette."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        # fractional scale factors (125 %, 150 %) as the system sets them, not rounded
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("")
    QGuiApplication.setDesktopFileName(APP_NAME)  # Wayland/GNOME: match the .desktop entry
    _set_windows_app_id()
    from ostdesk.gui.theme import follow_system_color_scheme

    app.setWindowIcon(app_icon())
    follow_system_color_scheme(app)
    return app


def app_icon() -> QIcon:
    """The ostdesk icon: PNG renderings for crisp small sizes, the SVG for any other."""
    from PySide6.QtGui import QIcon

    from ostdesk.gui.resource_files import ICON_SIZES, resource_path

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path(f"icons/ostdesk-{size}.png")))
    icon.addFile(str(resource_path("icons/ostdesk.svg")))
    return icon


def open_database(db_arg: str | None) -> Database | None:
    """The open database, or None after telling the user (dialog, stderr, log) why not."""
    from PySide6.QtWidgets import QMessageBox

    from ostdesk.store import Database, StoreError, resolve_db_path

    try:
        return Database.open(resolve_db_path(db_arg))
    except StoreError as exc:
        title, text = _database_problem(exc)
        report_launch_failure(
            title,
            text,
            exc=exc,
            qt_dialog=lambda body: QMessageBox.critical(None, title, body),
        )
        return None


def _database_problem(exc: Exception) -> tuple[str, str]:
    """The dialog's title and text for a database the window cannot open."""
    from ostdesk.store import DatabaseLockedError

    if not isinstance(exc, DatabaseLockedError):
        return "Cannot open the database", str(exc)
    text = (
        f"The database\n{exc.path}\nis open in another ostdesk (a window or a command"
        + (f", process {exc.pid}" if exc.pid else "")
        + "). DuckDB allows one writer at a time.\n\nClose the other one, or start "
        "ostdesk with --db PATH to open a different database."
    )
    return "Database already open", text


def install_excepthook(bridge: GuiBridge) -> Callable[..., Any]:
    """Show exceptions raised in GUI slots in the log dock (and keep printing them); returns
    the previous hook, to put back when the window is gone."""
    from ostdesk.engine.errors import ComponentError

    previous = sys.excepthook
    target = weakref.ref(bridge)  # the hook must not keep the window's objects alive

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        receiver = target()
        if receiver is None or not issubclass(kind, Exception):
            previous(kind, exc, tb)
            return
        text = "".join(traceback.format_exception(kind, exc, tb))
        receiver.report_error(ComponentError("gui", f"{kind.__name__}: {exc}", text, exc))
        if sys.stderr is not None:
            previous(kind, exc, tb)

    sys.excepthook = hook
    return previous


def _set_windows_app_id() -> None:
    """Windows groups taskbar buttons and picks their icon by this id, not by python.exe."""
    if sys.platform == "win32":
        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("ostdesk.ostdesk")  # type: ignore[attr-defined]
