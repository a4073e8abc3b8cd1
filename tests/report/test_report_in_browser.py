"""The report opened in a real browser, Debian's headless chromium: it renders every section,
its tables and charts, its script runs without an error, and it fetches nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ostdesk.cli import main
from tests.report.conftest import COMPLETED_RUN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium to open the report in (Debian: apt-get install chromium; .ci/run does)",
)

SECTIONS = ("configuration", "equity", "monthly", "statistics", "prices", "trades")
# chromium's own background services (updates, time, accounts), which a page cannot name
# differently; a web font, a CDN script or an image would come from another host
_BROWSER_OWN = re.compile(r"^https?://(?!fonts\.)[\w.-]*(google\.com|googleapis\.com)/")


def open_in_chromium(page: Path, scratch: Path) -> tuple[str, str, list[str]]:
    """The DOM after the page's script ran, the browser's log (console messages included)
    and every URL its network stack saw. The proxy goes nowhere: nothing can leave."""
    net_log = scratch / "net-log.json"
    args = [
        str(CHROMIUM), "--headless", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={scratch / 'profile'}", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--proxy-server=127.0.0.1:9",
        "--enable-logging=stderr", "--v=0", f"--log-net-log={net_log}",
        "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    if os.geteuid() == 0:
        args.insert(2, "--no-sandbox")  # chromium refuses to run as root with its sandbox
    done = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    events = json.loads(net_log.read_text()).get("events", []) if net_log.exists() else []
    urls = sorted({e["params"]["url"] for e in events if "url" in e.get("params", {})})
    return done.stdout, done.stderr, urls


def test_the_report_renders_in_chromium_without_errors_or_fetches(
    runs_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run.html"
    assert main(["report", str(COMPLETED_RUN), "-o", str(out), "--db", str(runs_db)]) == 0
    dom, log, urls = open_in_chromium(out, tmp_path)
    assert re.search(r'<body[^>]* data-ok="1"', dom), "the page's script did not run to its end"
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == []
    for ident in SECTIONS:
        assert f'<section id="{ident}">' in dom
    assert len(re.findall(r"<svg ", dom)) == 3  # equity, drawdown, GOOG's prices
    assert len(re.findall(r'<polygon class="long"', dom)) > 10  # entries marked on prices
    assert len(re.findall(r"<table ", dom)) >= 5
    assert 'class="grid monthly"' in dom and 'class="grid sortable trades"' in dom
    assert [u for u in urls if not _BROWSER_OWN.match(u)] == []


def test_the_console_check_sees_a_script_error(tmp_path: Path) -> None:
    """The check above would see an error: a page whose script fails is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>null.x();</script></body></html>")
    dom, log, _ = open_in_chromium(page, tmp_path)
    assert "data-ok" not in dom
    assert any(":CONSOLE" in line and "Uncaught TypeError" in line for line in log.splitlines())
