"""Every example of ``docs/orders.md``, run on a real broker: the page says what the code does.

The tests read the page's tables, so an example cannot drift from the code: the table of one
order against one bar (``| Order | Open | High | Low | Close | Fills at |``), and the examples
bar by bar (``**Example N: title** (period bars; commission ...; slippage N ticks of X)``, then
``| Bar | Open | High | Low | Close | Fills, expiries | Strategy sends | Answers |``), written in
the small language the page's last section describes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ostdesk.engine.commission import parse_commission
from ostdesk.engine.events import (
    BarPeriod,
    CancellationAccepted,
    CancellationRejected,
    EventBase,
    FillEvent,
    ModificationAccepted,
    ModificationRejected,
    OrderExpired,
    OrderRejected,
    OrderType,
    Side,
    TimeInForce,
)
from tests.engine.period_harness import PeriodHarness, t

DOC = Path(__file__).parents[2] / "docs" / "orders.md"
FIRST_BAR = t("2024-01-02T14:30")  # where an example's bar numbers start

_ORDER = re.compile(
    r"(?P<side>buy|sell)(?: (?P<qty>[-+\d.e]+))?(?: market)?(?: stop (?P<stop>\S+))?"
    r"(?: limit (?P<limit>\S+))?(?: (?P<tif>DAY|GTC|GTD)(?: (?P<expire>.+))?)?"
)
_CANCEL = re.compile(r"cancel #(?P<id>\d+)")
_MODIFY = re.compile(r"modify #(?P<id>\d+)(?P<fields>(?: (?:quantity|limit|stop) \S+)+)")
_CAPTION = re.compile(r"\*\*Example (?P<n>\d+): (?P<title>.+?)\*\* \((?P<setup>[^)]*)\)")
_FIELDS = {"quantity": "quantity", "limit": "limit_price", "stop": "stop_price"}
_REFUSED = {
    OrderRejected: "rejected",
    CancellationRejected: "cancel rejected",
    ModificationRejected: "modify rejected",
}


@dataclasses.dataclass(frozen=True)
class Table:
    caption: str  # the last paragraph before the table
    header: list[str]
    rows: list[list[str]]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables(text: str) -> Iterator[Table]:
    lines = text.splitlines()
    paragraph: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            header = _cells(line)
            rows = []
            i += 2  # past the |---| line
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            yield Table(" ".join(paragraph), header, rows)
            paragraph = []
            continue
        if line.strip():  # a blank line ends a paragraph; the next line starts one
            paragraph = [*paragraph, line.strip()] if lines[i - 1].strip() else [line.strip()]
        i += 1


TABLES = list(_tables(DOC.read_text(encoding="utf-8")))
SINGLE_BAR = [
    row for table in TABLES if table.header[:2] == ["Order", "Open"] for row in table.rows
]
EXAMPLES = [table for table in TABLES if _CAPTION.match(table.caption)]


def _items(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def _time(text: str, period: BarPeriod) -> int:
    if text.isdigit():
        return FIRST_BAR + (int(text) - 1) * period.value
    return t(text.replace(" ", "T"))


def _send(h: PeriodHarness, ts: int, text: str, period: BarPeriod) -> None:
    """Send one request written as on the page."""
    if m := _CANCEL.fullmatch(text):
        h.cancel(ts, int(m["id"]))
    elif m := _MODIFY.fullmatch(text):
        words = m["fields"].split()
        h.modify(
            ts,
            int(m["id"]),
            **{_FIELDS[k]: float(v) for k, v in zip(words[::2], words[1::2], strict=True)},
        )
    elif m := _ORDER.fullmatch(text):
        limit = None if m["limit"] is None else float(m["limit"])
        stop = None if m["stop"] is None else float(m["stop"])
        kind = {
            (False, False): OrderType.MARKET,
            (True, False): OrderType.LIMIT,
            (False, True): OrderType.STOP,
            (True, True): OrderType.STOP_LIMIT,
        }[limit is not None, stop is not None]
        fields: dict[str, Any] = {"time_in_force": TimeInForce[m["tif"] or "GTC"]}
        if limit is not None:
            fields["limit_price"] = limit
        if stop is not None:
            fields["stop_price"] = stop
        if m["expire"]:
            fields["expire_ns"] = _time(m["expire"], period)
        side = Side.BUY if m["side"] == "buy" else Side.SELL
        h.submit(ts, side, kind, float(m["qty"] or 1), **fields)
    else:
        raise AssertionError(f"the page writes a request this test cannot read: {text!r}")


def _said(event: EventBase) -> str | None:
    """An event as the page writes it; None for those it leaves out (acceptances)."""
    if isinstance(event, FillEvent):
        fee = f", commission {event.commission:g}" if event.commission else ""
        return f"#{event.order_id} fills at {event.price:g}{fee}"
    if isinstance(event, OrderExpired):
        return f"#{event.order_id} expires"
    if isinstance(event, OrderRejected | CancellationRejected | ModificationRejected):
        return f"#{event.order_id} {_REFUSED[type(event)]} ({event.reason.value})"
    if isinstance(event, CancellationAccepted):
        return f"#{event.order_id} cancelled"
    if isinstance(event, ModificationAccepted):
        return f"#{event.order_id} modified"
    return None


def _setup(caption: str) -> tuple[BarPeriod, dict[str, Any]]:
    m = _CAPTION.match(caption)
    assert m is not None
    setup = _items(m["setup"])
    period = BarPeriod.parse(setup[0].removesuffix(" bars"))
    kwargs: dict[str, Any] = {}
    for item in setup[1:]:
        if item.startswith("commission "):
            kwargs["commission"] = parse_commission(item.removeprefix("commission "))
        elif s := re.fullmatch(r"slippage (\S+) ticks of (\S+)", item):
            kwargs["slippage_ticks"], kwargs["tick_size"] = float(s[1]), float(s[2])
        else:
            raise AssertionError(f"the page sets up an example this test cannot read: {item!r}")
    return period, kwargs


def test_the_page_has_the_examples_this_test_runs() -> None:
    """Guards the others: a table the parser misses would be an example nobody checks."""
    text = DOC.read_text(encoding="utf-8")
    assert len(EXAMPLES) == text.count("**Example ") == 15
    assert len(SINGLE_BAR) == 18


@pytest.mark.parametrize(
    "row", SINGLE_BAR, ids=[f"{r[0]} on {'/'.join(r[1:5])}" for r in SINGLE_BAR]
)
def test_single_bar_example(row: list[str]) -> None:
    order, o, h_, lo, c, fills_at = row[:6]
    h = PeriodHarness(BarPeriod.MINUTE)
    try:
        h.bar(FIRST_BAR, float(o), float(o), float(o), float(o))
        _send(h, FIRST_BAR, order, BarPeriod.MINUTE)
        h.bar(FIRST_BAR + BarPeriod.MINUTE.value, float(o), float(h_), float(lo), float(c))
        prices = [f"{p:g}" for _, p, _ in h.fills()]
        assert prices == ([] if fills_at == "no fill" else [fills_at])
    finally:
        h.close()


@pytest.mark.parametrize(
    "table", EXAMPLES, ids=[e.caption.split(":")[0].strip("*") for e in EXAMPLES]
)
def test_bar_by_bar_example(table: Table) -> None:
    assert table.header == [
        "Bar",
        "Open",
        "High",
        "Low",
        "Close",
        "Fills, expiries",
        "Strategy sends",
        "Answers",
    ]
    period, kwargs = _setup(table.caption)
    h = PeriodHarness(period, **kwargs)
    try:
        for when, o, hi, lo, c, done, sends, answers in table.rows:
            ts = _time(when, period)
            seen = len(h.out.seen)
            h.bar(ts, float(o), float(hi), float(lo), float(c))
            for request in _items(sends):
                _send(h, ts, request, period)
            events = h.out.seen[seen:]
            said = sorted(s for e in events if (s := _said(e)) is not None)
            expected = _items(done) + _items(answers)
            positions = [item for item in expected if item.startswith("position ")]
            assert (when, said) == (when, sorted(set(expected) - set(positions)))
            assert all(e.ts_event_ns == ts for e in events), "stamped with the bar's time"
            for item in positions:
                assert h.broker.account.position("X").quantity == float(item.split()[1])
    finally:
        h.close()
