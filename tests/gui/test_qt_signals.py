"""Regression guard: PySide6 6.12.0 on CPython 3.11 aborts after a few hundred emits
("bool_dealloc: deallocating True"); pyproject excludes it. This proves the installed build
is fine."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)
    flag = Signal(bool)


def test_one_hundred_thousand_signal_emits(qtbot: object) -> None:
    emitter = _Emitter()
    received: list[object] = []
    flags = [0]
    emitter.fired.connect(received.append)
    emitter.flag.connect(lambda b: flags.__setitem__(0, flags[0] + (1 if b is True else 0)))
    for i in range(100_000):
        emitter.fired.emit(i)
        emitter.flag.emit(True)
    assert len(received) == 100_000
    assert received[-1] == 99_999
    assert flags[0] == 100_000
