"""Double-click launch: the desktop entry, packaged resources, and clear start-up failures."""

from __future__ import annotations

import configparser
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ostdesk import launch_failure
from ostdesk.gui import app as gui_app
from ostdesk.gui.desktop import (
    DesktopInstallError,
    desktop_entry,
    install_desktop,
    uninstall_desktop,
)
from ostdesk.gui.resource_files import ICON_SIZES, resource_path

REPO = Path(__file__).resolve().parents[2]


def check_desktop_file(path: Path) -> configparser.SectionProxy:
    """``desktop-file-validate`` where installed, and always the keys a launcher needs."""
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "ostdesk"
    assert entry["Icon"] == "ostdesk"
    assert entry["Terminal"] == "false"
    assert entry["Exec"]
    return entry


def test_the_template_is_a_valid_desktop_file() -> None:
    check_desktop_file(resource_path("ostdesk.desktop"))


def test_install_desktop_writes_a_valid_entry_that_starts_this_installation(
    tmp_path: Path,
) -> None:
    path = install_desktop(platform="linux")

    assert path == tmp_path / "xdg-data" / "applications" / "ostdesk.desktop"
    entry = check_desktop_file(path)
    program = Path(entry["Exec"].split()[0])
    assert program.is_file() and os.access(program, os.X_OK)
    assert entry["TryExec"] == str(program)
    icons = tmp_path / "xdg-data" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "ostdesk.svg").is_file()
    for size in ICON_SIZES:
        assert (icons / f"{size}x{size}" / "apps" / "ostdesk.png").is_file()


def test_uninstall_desktop_removes_what_install_wrote(tmp_path: Path) -> None:
    path = install_desktop(platform="linux")
    removed = uninstall_desktop(platform="linux")

    assert path in removed and not path.exists()
    assert list((tmp_path / "xdg-data").rglob("*")) == []  # folders and caches too
    assert uninstall_desktop(platform="linux") == []


def desktop_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``update-desktop-database`` and ``gtk-update-icon-cache`` as the only programs on PATH:
    scripts that write the cache each writes into the folder it is given (last argument)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, cache in (
        ("update-desktop-database", "mimeinfo.cache"),
        ("gtk-update-icon-cache", "icon-theme.cache"),
    ):
        script = folder / name
        script.write_text(f'#!/bin/sh\nfor last; do :; done\necho cache > "$last/{cache}"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_uninstall_desktop_removes_the_caches_and_folders_install_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop_tools(tmp_path, monkeypatch)
    home = tmp_path / "xdg-data"
    install_desktop(platform="linux")
    assert (home / "applications" / "mimeinfo.cache").is_file()
    assert (home / "icons" / "hicolor" / "icon-theme.cache").is_file()

    removed = uninstall_desktop(platform="linux")

    assert list(home.rglob("*")) == []
    assert home / "applications" in removed and home / "icons" in removed
    assert home / "icons" / "hicolor" / "16x16" not in removed  # a removed tree is named once


def test_uninstall_desktop_leaves_what_was_there_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop_tools(tmp_path, monkeypatch)
    home = tmp_path / "xdg-data"
    for name in (
        "applications/other.desktop",
        "applications/mimeinfo.cache",
        "icons/hicolor/index.theme",
        "icons/hicolor/icon-theme.cache",
        "icons/hicolor/48x48/apps/other.png",
    ):
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text("theirs\n")
    (home / "icons" / "hicolor" / "64x64" / "apps").mkdir(parents=True)  # empty, but theirs
    before = sorted(home.rglob("*"))

    install_desktop(platform="linux")
    uninstall_desktop(platform="linux")

    assert sorted(home.rglob("*")) == before
    assert (home / "applications" / "mimeinfo.cache").read_text() == "cache\n"  # refreshed


def test_a_cache_install_created_stays_while_it_lists_another_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop_tools(tmp_path, monkeypatch)
    applications = tmp_path / "xdg-data" / "applications"
    install_desktop(platform="linux")
    (applications / "later.desktop").write_text("[Desktop Entry]\n")  # another app's, since

    uninstall_desktop(platform="linux")

    assert sorted(p.name for p in applications.iterdir()) == ["later.desktop", "mimeinfo.cache"]


def test_a_reinstall_keeps_the_record_of_what_the_first_install_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop_tools(tmp_path, monkeypatch)
    install_desktop(platform="linux")
    path = install_desktop(platform="linux")

    assert check_desktop_file(path)["X-Ostdesk-Created"] == "applications;icons;"
    uninstall_desktop(platform="linux")
    assert list((tmp_path / "xdg-data").rglob("*")) == []


def test_a_launcher_path_with_spaces_is_quoted_in_exec(tmp_path: Path) -> None:
    path = tmp_path / "entry.desktop"
    path.write_text(desktop_entry(["/opt/my apps/ostdesk"]), encoding="utf-8")
    assert check_desktop_file(path)["Exec"] == '"/opt/my apps/ostdesk"'


def test_macos_gets_directions_instead_of_an_entry() -> None:
    with pytest.raises(DesktopInstallError, match=r"packaging/README\.md"):
        install_desktop(platform="darwin")


def test_resources_ship_in_the_wheel_with_every_package(tmp_path: Path) -> None:
    """Lay out what the wheel holds as pyproject.toml's [tool.setuptools] tables declare it
    (packages, package-dir, package-data) and import the resources from it. It reads the
    tables itself (tomllib), since a fresh Python 3.12+ venv has no setuptools to build with."""
    out = tmp_path / "wheel"
    wheel_layout(REPO / "pyproject.toml", out)

    packages = {p.parent.relative_to(REPO) for p in (REPO / "ostdesk").rglob("__init__.py")}
    missing = sorted(str(p) for p in packages if not (out / p / "__init__.py").is_file())
    assert not missing, f"add these packages to [tool.setuptools] packages: {missing}"
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ostdesk.gui.resource_files import resource_path as r;"
            "print(r('icons/ostdesk.svg')); print(r('ostdesk.desktop'))",
        ],
        env={**os.environ, "PYTHONPATH": str(out)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [Path(p) for p in found] == [
        out / "ostdesk" / "resources" / "icons" / "ostdesk.svg",
        out / "ostdesk" / "resources" / "ostdesk.desktop",
    ]
    for size in ICON_SIZES:
        assert (out / "ostdesk" / "resources" / "icons" / f"ostdesk-{size}.png").is_file()


def wheel_layout(pyproject: Path, out: Path) -> None:
    """Copy each declared package's modules and package data under ``out`` as a wheel holds
    them."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    package_data: dict[str, list[str]] = config.get("package-data", {})
    for package in config["packages"]:
        source = package_folder(package, config.get("package-dir", {}), pyproject.parent)
        target = out / Path(*package.split("."))
        for pattern in ["*.py", *package_data.get(package, []), *package_data.get("*", [])]:
            for file in (f for f in source.glob(pattern) if f.is_file()):
                copy = target / file.relative_to(source)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, copy)


def package_folder(package: str, package_dir: dict[str, str], root: Path) -> Path:
    """A package's source folder: its ``package-dir`` entry, or its nearest parent's."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        if (prefix := ".".join(parts[:n])) in package_dir:
            return root / package_dir[prefix] / Path(*parts[n:])
    return root / package_dir.get("", "") / Path(*parts)


def test_resources_resolve_to_the_checkout_in_an_editable_install() -> None:
    installs = [
        d.read_text("direct_url.json") for d in importlib.metadata.distributions(name="ostdesk")
    ]
    if not any(json.loads(u).get("dir_info", {}).get("editable") for u in installs if u):
        pytest.skip("ostdesk is not installed in editable mode here")
    assert resource_path("ostdesk.desktop") == REPO / "resources" / "ostdesk.desktop"
    assert resource_path("icons/ostdesk.ico").stat().st_size > 0


def test_a_missing_xcb_library_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = gui_app._can_load
    monkeypatch.setattr(
        gui_app, "_can_load", lambda soname: "cursor" not in soname and real(soname)
    )
    message = gui_app.display_problem({"DISPLAY": ":0"}, "linux")
    assert message is not None
    assert "libxcb-cursor0" in message and "apt-get install" in message


def test_an_x_display_that_refuses_a_connection_is_named_before_qt_aborts_on_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not gui_app._can_load("libxcb.so.1"):
        pytest.skip("libxcb1 is not installed: the missing library is named first")
    monkeypatch.setattr(gui_app, "_can_load", lambda soname: True)  # the rest of Qt's xcb libs
    message = gui_app.display_problem({"DISPLAY": ":987"}, "linux")  # no X server there
    assert message is not None and message.startswith("cannot connect to the X display :987")


def test_only_an_x11_start_is_checked_for_xcb_libraries() -> None:
    assert gui_app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert gui_app.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert gui_app.display_problem({}, "win32") is None
    no_display = gui_app.display_problem({}, "linux")
    assert no_display is not None and "DISPLAY" in no_display


def test_a_second_instance_on_the_same_database_gets_a_message_not_a_crash(
    qtbot,  # type: ignore[no-untyped-def]
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With no notifier or dialog tool on PATH, the Qt message box shows it, terminal or not."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ostdesk.store import Database;"
            "db = Database.open(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        shown: list[str] = []

        def close_dialog() -> None:
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox):
                shown.append(box.text())
                box.close()
            else:
                QTimer.singleShot(20, close_dialog)

        QTimer.singleShot(20, close_dialog)
        assert gui_app.open_database(str(db_path)) is None
    finally:
        holder.communicate("", timeout=10)

    assert len(shown) == 1 and "open in another ostdesk" in shown[0]
    assert f"process {holder.pid}" in shown[0]
    assert f"(Written to {launch_failure.log_path()})" in shown[0]
    assert "ostdesk: The database" in capsys.readouterr().err
    assert "open in another ostdesk" in launch_failure.log_path().read_text(encoding="utf-8")
