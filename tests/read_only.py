"""A folder that is really read-only, also for root (who ignores permission bits).

As root the files are copied onto a tmpfs that is then remounted read-only; as anyone else the
permission bits are cleared. Where neither can be done the test is skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only_copy(source: Path, target: Path) -> Iterator[Path]:
    """The files of folder ``source`` in folder ``target`` (created), read-only while inside."""
    target.mkdir()
    if os.geteuid() != 0:
        _copy(source, target)
        modes = {p: p.stat().st_mode for p in (target, *target.iterdir())}
        for path in modes:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        try:
            yield target
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    _mount(target, "-t", "tmpfs", "-o", "size=64m", "tmpfs")
    try:
        _copy(source, target)
        _mount(target, "-o", "remount,ro")
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def _copy(source: Path, target: Path) -> None:
    for path in source.iterdir():
        shutil.copy2(path, target / path.name)


def _mount(target: Path, *options: str) -> None:
    done = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"a read-only folder needs a tmpfs mount as root: {done.stderr.strip()}")
