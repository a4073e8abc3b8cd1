"""``ostdesk --strategies-dir DIR`` and ``ostdesk gui --strategies-dir DIR`` open the window
with that folder's strategies, as the CLI's commands load them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ostdesk import cli_errors
from ostdesk.cli import _strategy_folders, main
from ostdesk.cli_parser import build_parser
from ostdesk.gui.app import open_main_window
from ostdesk.store import Database

pytestmark = pytest.mark.usefixtures("isolated_settings")

MINE = '''
from ostdesk import Param, Strategy

class FolderOnly(Strategy):
    """A strategy only the extra folder has."""

    length = Param(5, min=1, max=50)
'''


@pytest.mark.parametrize("argv", [["--strategies-dir"], ["gui", "--strategies-dir"]])
def test_the_window_loads_the_strategies_of_a_folder_given_before_or_after_gui(
    qtbot: QtBot, db: Database, tmp_path: Path, argv: list[str]
) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "mine.py").write_text(MINE)
    args = build_parser().parse_args([*argv, str(folder)])
    assert (args.command or "gui", args.app_strategies_dir) == ("gui", [str(folder)])

    window = open_main_window(db, _strategy_folders(args.app_strategies_dir))
    qtbot.addWidget(window)

    picker = window.config_panel.picker
    assert picker.select("FolderOnly")
    assert picker.current_source() == str(folder / "mine.py")
    assert folder in picker.strategy_dirs()[1:]  # the user's own folder stays the first
    window.close()


def test_a_missing_strategies_folder_is_refused_in_one_line_before_any_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["--strategies-dir", str(missing)]) == cli_errors.REFUSED
    err = capsys.readouterr().err
    assert err == f"ostdesk gui: strategies folder {missing} does not exist\n"


def test_the_window_option_before_another_command_says_where_it_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--strategies-dir", str(tmp_path), "strategies"]) == cli_errors.REFUSED
    err = capsys.readouterr().err
    assert "--strategies-dir goes after the command: ostdesk strategies --strategies-dir" in err
    assert err.count("\n") == 1
