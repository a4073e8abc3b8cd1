"""The idle barrier's continuation: who runs it, when, and how often."""

from __future__ import annotations

import threading

from ostdesk.engine.idle import IdleTracker


def test_a_continuation_is_the_callers_when_nothing_is_pending() -> None:
    idle = IdleTracker()
    calls: list[int] = []
    assert idle.call_when_idle(lambda: calls.append(1)) is False
    assert calls == []  # not called: the caller goes on itself
    idle.add(1)
    idle.done(1)
    assert calls == []  # and it was not left behind either


def test_the_thread_that_ends_the_pending_work_runs_the_continuation_once() -> None:
    idle = IdleTracker()
    ran_on: list[int] = []
    idle.add(2)
    assert idle.call_when_idle(lambda: ran_on.append(threading.get_ident())) is True

    def finish_one() -> None:
        idle.done(1)

    first = threading.Thread(target=finish_one)
    first.start()
    first.join()
    assert ran_on == []  # one event still pending
    last = threading.Thread(target=finish_one)
    last.start()
    last.join()
    assert ran_on == [last.ident]
    idle.add(1)
    idle.done(1)
    assert ran_on == [last.ident]  # taken: a later zero does not run it again


def test_a_continuation_runs_after_the_count_is_zero_and_may_add_work() -> None:
    idle = IdleTracker()
    seen: list[int] = []

    def next_step() -> None:
        seen.append(idle.pending)
        idle.add(1)  # what publishing the next timestamp does

    idle.add(1)
    assert idle.call_when_idle(next_step)
    idle.done(1)
    assert seen == [0] and idle.pending == 1
    assert idle.wait(0.01) is False  # the work it added is pending, as for any other
