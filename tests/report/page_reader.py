"""Reading a written report back: its tagged values, tables and sections (stdlib parser)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


class ReportPage(HTMLParser):
    """``values``: each statistic's JSON ``data-value`` and text in the statistics table
    (``data-key``), ``cards``: the same of the headline cards (``data-card``); ``ids``: the
    element ids; ``trade_rows``: the trade table's rows as cell texts; ``tags``: tag counts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.values: dict[str, tuple[Any, str]] = {}
        self.cards: dict[str, tuple[Any, str]] = {}
        self.ids: list[str] = []
        self.tags: dict[str, int] = {}
        self.trade_rows: list[list[str]] = []
        self.alert_text = ""
        self._key: tuple[dict[str, tuple[Any, str]], str, Any] | None = None
        self._text: list[str] = []
        self._in_trades = self._in_row = self._in_cell = False
        self._alert_depth = 0
        self.feed(text)

    @classmethod
    def of(cls, path: Path) -> ReportPage:
        return cls(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if a.get("id"):
            self.ids.append(str(a["id"]))
        for attr, into in (("data-key", self.values), ("data-card", self.cards)):
            if attr in a:
                self._key = (into, str(a[attr]), json.loads(str(a["data-value"])))
                self._text = []
        if tag == "table" and "trades" in (a.get("class") or "").split():
            self._in_trades = True
        if self._in_trades and tag == "tr" and self._in_body:
            self.trade_rows.append([])
        if self._in_trades and tag == "td":
            self._in_cell = True
            self.trade_rows[-1].append("")
        if tag == "tbody":
            self._in_body = True
        if "alert" in (a.get("class") or "").split():
            self._alert_depth = 1
        elif self._alert_depth:
            self._alert_depth += 1

    _in_body = False

    def handle_endtag(self, tag: str) -> None:
        if self._key is not None and tag in ("td", "div"):
            into, key, value = self._key
            into[key] = (value, "".join(self._text))
            self._key = None
        if tag == "td":
            self._in_cell = False
        if tag == "tbody":
            self._in_body = False
        if tag == "table":
            self._in_trades = False
        if self._alert_depth:
            self._alert_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            self._text.append(data)
        if self._in_cell and self.trade_rows:
            self.trade_rows[-1][-1] += data
        if self._alert_depth:
            self.alert_text += data
