"""``ostdesk install-desktop`` / ``uninstall-desktop``: a launcher entry with the icon, per user.

Linux (and other XDG desktops): ``$XDG_DATA_HOME/applications/ostdesk.desktop`` (default
``~/.local/share``) from ``resources/ostdesk.desktop``, with ``Exec`` pointing at this
installation's ``ostdesk`` launcher, and the icons in the user's ``hicolor`` theme; the entry
records the folders and desktop caches the install created, so the uninstall removes them
too and leaves whatever was there before. Windows: a
Start-menu shortcut to the console-less ``ostdesk.exe`` (made with the shell's own COM object
through PowerShell, so no extra dependency). macOS has no per-user launcher entry to write:
the error says what to do instead (see ``packaging/README.md``). No Qt is needed here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ostdesk.gui.resource_files import ICON_SIZES, resource_path

APP_ID = "ostdesk"
DESKTOP_FILE = f"{APP_ID}.desktop"
SHORTCUT_FILE = f"{APP_ID}.lnk"
# The entry's record of what the install created, relative to $XDG_DATA_HOME (a string list)
CREATED_KEY = "X-Ostdesk-Created"
# What the desktop's tools write when the install refreshes them (see _refresh_xdg_caches)
XDG_CACHES = ("applications/mimeinfo.cache", "icons/hicolor/icon-theme.cache")


class DesktopInstallError(RuntimeError):
    """The launcher entry cannot be written on this system; the message says what to do."""


def install_desktop(*, platform: str = sys.platform) -> Path:
    """Write the launcher entry (and icons) for the current user; the entry's path."""
    if platform == "win32":
        return _install_windows()
    if platform == "darwin":
        raise DesktopInstallError(
            "macOS has no per-user launcher entry to install; start ostdesk from a terminal, "
            "or build the app bundle with `python packaging/build.py` and drag dist/ostdesk.app "
            "to Applications (see packaging/README.md)"
        )
    return _install_xdg()


def uninstall_desktop(*, platform: str = sys.platform) -> list[Path]:
    """Remove what ``install_desktop`` wrote, and on XDG desktops the folders and caches it
    created; the paths removed (a removed folder once, not each below it; empty if none)."""
    if platform == "darwin":
        return []
    if platform == "win32":
        return _unlink([_start_menu() / SHORTCUT_FILE, _windows_icon()])
    return _uninstall_xdg()


def _unlink(paths: list[Path]) -> list[Path]:
    """Remove those of ``paths`` that are files; those removed."""
    removed = []
    for path in paths:
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


# -- Linux and other XDG desktops ---------------------------------------------------------------
def _install_xdg() -> Path:
    home = _xdg_data_home()
    entry = home / "applications" / DESKTOP_FILE
    # what this install creates (a new folder stands for all below it), with what an earlier
    # install of it created (a reinstall)
    new = [p for p in _xdg_own_places(home) if not p.exists()]
    created = _created_by_install(entry) | {
        p.relative_to(home).as_posix() for p in new if p.parent not in new
    }
    entry.parent.mkdir(parents=True, exist_ok=True)
    for target, source in zip(_xdg_icon_paths(home), _icon_sources(), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    entry.write_text(desktop_entry(launcher_command(), sorted(created)), encoding="utf-8")
    entry.chmod(0o755)  # some desktops only trust executable entries in the menu
    _refresh_xdg_caches(home)
    return entry


def _uninstall_xdg() -> list[Path]:
    """Remove the entry and icons; then the caches and folders the install created, once
    nothing else is in them (a cache that still lists another entry is refreshed instead)."""
    home = _xdg_data_home()
    entry = home / "applications" / DESKTOP_FILE
    record = {home / relative for relative in _created_by_install(entry)}
    created = [p for p in _xdg_own_places(home) if p in record or not record.isdisjoint(p.parents)]
    removed = _unlink([entry, *_xdg_icon_paths(home)])
    if removed:
        _refresh_xdg_caches(home)
    for cache in (home / name for name in XDG_CACHES):
        if cache in created and cache.is_file() and _holds_only(cache.parent, cache):
            cache.unlink()
            removed.append(cache)
    folders = []
    for folder in sorted(created, key=lambda p: len(p.parts), reverse=True):  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folders.append(folder)
    return removed + [f for f in folders if f.parent not in folders]  # each tree once


def _xdg_own_places(home: Path) -> list[Path]:
    """The folders under ``home`` that the install writes into, and the desktop caches."""
    folders = {home / "applications"}
    for icon in _xdg_icon_paths(home):
        folders.update(p for p in icon.parents if p.is_relative_to(home) and p != home)
    return sorted(folders) + [home / name for name in XDG_CACHES]


def _created_by_install(entry: Path) -> set[str]:
    """What the installed ``entry`` records as created by its install (relative paths)."""
    try:
        text = entry.read_text(encoding="utf-8")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == CREATED_KEY:
            return {p for p in value.strip().split(";") if p}
    return set()


def _holds_only(folder: Path, cache: Path) -> bool:
    """Whether ``cache`` is the only file left anywhere under ``folder``."""
    return all(p == cache for p in folder.rglob("*") if not p.is_dir())


def desktop_entry(launcher: list[str], created: list[str] | None = None) -> str:
    """The template with ``Exec``/``TryExec`` set to ``launcher`` (quoted per the spec) and
    the record of what the install ``created`` (paths relative to $XDG_DATA_HOME)."""
    lines = []
    for line in resource_path(DESKTOP_FILE).read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + " ".join(_quote_exec_arg(a) for a in launcher)
        elif line.startswith("TryExec="):
            line = "TryExec=" + launcher[0]
        lines.append(line)
    if created:
        lines.append(f"{CREATED_KEY}={''.join(p + ';' for p in created)}")
    return "\n".join(lines) + "\n"


def launcher_command() -> list[str]:
    """The command that starts this installation's app: its ``ostdesk`` script if there is one
    next to the interpreter (a venv's bin/), else ``python -m ostdesk``."""
    script = Path(sys.executable).with_name("ostdesk")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "ostdesk"]


def _quote_exec_arg(arg: str) -> str:
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    if not any(c in reserved for c in arg):
        return arg.replace("%", "%%")
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + escaped.replace("%", "%%") + '"'


def _xdg_data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(value) if value else Path.home() / ".local" / "share"


def _xdg_icon_paths(home: Path) -> list[Path]:
    theme = home / "icons" / "hicolor"
    return [theme / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES] + [
        theme / "scalable" / "apps" / f"{APP_ID}.svg"
    ]


def _icon_sources() -> list[Path]:
    names = [f"icons/{APP_ID}-{s}.png" for s in ICON_SIZES] + [f"icons/{APP_ID}.svg"]
    return [resource_path(n) for n in names]


def _refresh_xdg_caches(home: Path) -> None:
    """Tell the desktop about the change where its tools exist (harmless where they do not)."""
    commands = (
        ["update-desktop-database", "-q", str(home / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")],
    )
    for command in commands:
        if shutil.which(command[0]):
            subprocess.run(command, check=False, capture_output=True, timeout=30)


# -- Windows ----------------------------------------------------------------------------------
def _install_windows() -> Path:
    target = Path(sys.executable).parent / "ostdesk.exe"  # a venv's Scripts\ (no console)
    if not target.is_file():
        target = Path(sys.executable).with_name("pythonw.exe")
        arguments = "-m ostdesk"
    else:
        arguments = ""
    icon = _windows_icon()
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resource_path(f"icons/{APP_ID}.ico"), icon)
    shortcut = _start_menu() / SHORTCUT_FILE
    shortcut.parent.mkdir(parents=True, exist_ok=True)
    script = (
        "$s = (New-Object -ComObject WScript.Shell).CreateShortcut($env:OSTDESK_LNK);"
        "$s.TargetPath = $env:OSTDESK_TARGET; $s.Arguments = $env:OSTDESK_ARGS;"
        "$s.IconLocation = $env:OSTDESK_ICON; $s.Description = 'ostdesk backtester';"
        "$s.WorkingDirectory = $env:USERPROFILE; $s.Save()"
    )
    env = dict(
        os.environ,
        OSTDESK_LNK=str(shortcut),
        OSTDESK_TARGET=str(target),
        OSTDESK_ARGS=arguments,
        OSTDESK_ICON=str(icon),
    )
    result = subprocess.run(
        ["powershell", "-NoProfile", "-NonInteractive", "-Command", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not shortcut.is_file():
        raise DesktopInstallError(
            f"could not create the Start-menu shortcut {shortcut}: "
            f"{result.stderr.strip() or 'PowerShell failed'}"
        )
    return shortcut


def _start_menu() -> Path:
    appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    return Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs"


def _windows_icon() -> Path:
    local = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    return Path(local) / APP_ID / f"{APP_ID}.ico"
