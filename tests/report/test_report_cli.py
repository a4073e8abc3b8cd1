"""``ostdesk report RUN -o run.html`` on real recorded runs: the figures are those of
``ostdesk show``, every round trip is listed with its MAE/MFE, a run that did not complete
says so first, and what cannot be done is one line with nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from ostdesk.cli import main
from ostdesk.cli_values import text
from ostdesk.report.sections import HEADLINE, stat_text
from tests.report.conftest import COMPLETED_RUN, FAILED_RUN
from tests.report.page_reader import ReportPage


def report(
    db: Path, run_id: int, out: Path | str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["report", str(run_id), "-o", str(out), "--db", str(db)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def show_json(db: Path, run_id: int, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["show", str(run_id), "--json", "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_statistic_in_the_report_is_the_one_show_json_gives(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.html"
    code, said = report(runs_db, COMPLETED_RUN, out, capsys)
    assert code == 0 and said.strip() == f"wrote the report of run 1 to {out}"
    shown = show_json(runs_db, COMPLETED_RUN, capsys)["statistics"]
    page = ReportPage.of(out)
    assert set(page.values) == set(shown)
    for key, expected in shown.items():
        value, displayed = page.values[key]
        assert value == expected, key
        assert displayed.strip() != ""
    equity_final, displayed = page.values["Equity Final [$]"]
    assert displayed == f"{equity_final:,.2f}"  # money to the cent, as `show` prints it
    assert page.values["# Trades"][1] == text(shown["# Trades"])


def test_the_headline_cards_round_the_statistics_and_say_their_unit(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.html"
    assert report(runs_db, COMPLETED_RUN, out, capsys)[0] == 0
    shown = show_json(runs_db, COMPLETED_RUN, capsys)["statistics"]
    cards = ReportPage.of(out).cards
    assert list(cards) == list(HEADLINE)
    assert {key: value for key, (value, _) in cards.items()} == {k: shown[k] for k in HEADLINE}
    assert cards["Return [%]"][1] == f"{shown['Return [%]']:,.2f}%"
    assert cards["Sharpe Ratio"][1] == f"{shown['Sharpe Ratio']:.2f}"
    assert cards["# Trades"][1] == f"{shown['# Trades']:,}"
    assert cards["Equity Final [$]"][1] == f"{shown['Equity Final [$]']:,.2f}"


def test_the_report_shows_the_runs_configuration(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.html"
    assert report(runs_db, COMPLETED_RUN, out, capsys)[0] == 0
    html = out.read_text()
    details = show_json(runs_db, COMPLETED_RUN, capsys)
    for key, value in details["params"].items():
        assert f"<td>{key}</td><td><code>{text(value)}</code></td>" in html
    assert "<b>SmaCross</b>" in html and "percent=0.1" in html and "100,000.00" in html
    assert "2,148 (2004-08-19 to 2013-03-01)" in html


def test_the_trade_list_has_every_round_trip_with_its_mae_and_mfe(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.html"
    assert report(runs_db, COMPLETED_RUN, out, capsys)[0] == 0
    with duckdb.connect(str(runs_db), read_only=True) as con:
        stored = con.execute(
            "SELECT pnl, mae_pct, mfe_pct FROM run_trades WHERE run_id = 1 ORDER BY exit_ts"
        ).fetchall()
    rows = ReportPage.of(out).trade_rows
    assert len(rows) == len(stored) > 10
    heads = ["#", "Symbol", "Side", "Size", "Entry", "Entry price", "Exit", "Exit price",
             "P&L", "Return", "MAE", "MFE", "Bars", "Duration"]  # fmt: skip
    for row, (pnl, mae, mfe) in zip(rows, stored, strict=True):
        cell = dict(zip(heads, row, strict=True))
        assert cell["P&L"] == f"{pnl:,.2f}"
        assert cell["MAE"] == f"{round(mae, 2) + 0.0:+.2f}%"
        assert cell["MFE"] == f"{round(mfe, 2) + 0.0:+.2f}%"
        assert mae <= 0 <= mfe or cell["Side"] == "Short"


def test_a_failed_run_is_reported_with_why_before_any_figure(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "failed.html"
    code, _ = report(runs_db, FAILED_RUN, out, capsys)
    assert code == 0
    html = out.read_text()
    page = ReportPage.of(out)
    assert page.alert_text.startswith("This run failed. RuntimeError: boom at bar 1000")
    assert "only the 1,000 bars it ran before it ended" in page.alert_text
    assert "short_then_fail.py" in page.alert_text  # the whole traceback is there too
    assert html.index('class="alert"') < html.index('id="configuration"')
    assert 'data-status="failed"' in html
    assert page.trade_rows, "the short round trips before the failure are listed"
    assert all(row[2] == "Short" for row in page.trade_rows)


def test_an_unknown_run_is_one_line_and_writes_nothing(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "none.html"
    code, said = report(runs_db, 99, out, capsys)
    assert code == 2
    assert said.strip() == "ostdesk report: no run with id 99"
    assert not out.exists()


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("missing-folder/run.html", "does not exist"),
        (".", "is a folder"),
        ("https://example.org/run.html", "is a URL"),
        ("a-file/run.html", "is not a folder"),
    ],
)
def test_a_path_that_cannot_be_written_is_one_line_and_leaves_files_alone(
    runs_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    reason: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("keep me")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, said = report(runs_db, COMPLETED_RUN, target, capsys)
    assert code == 2
    lines = said.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ostdesk report: ") and reason in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_the_report_names_no_web_address_and_loads_nothing(
    runs_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.html"
    assert report(runs_db, COMPLETED_RUN, out, capsys)[0] == 0
    html = out.read_text()
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", html)
    assert not re.search(r"\b(src|srcset|xlink:href)\s*=", html)
    assert re.findall(r'href="([^"]*)"', html) == [
        "#configuration", "#equity", "#monthly", "#statistics", "#prices", "#trades",
    ]  # fmt: skip
    assert "@import" not in html and "url(" not in html.replace("url(#clip-", "")
    assert "default-src 'none'" in html  # and a browser would refuse any fetch anyway


def test_stat_text_reads_as_show_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert stat_text("Equity Final [$]", 510947.53125) == "510,947.53"
    assert stat_text("Sharpe Ratio", float("nan")) == "n/a"
    assert stat_text("Return [%]", np.float64(-0.0).item()) == "0"
