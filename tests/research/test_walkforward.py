"""Walk-forward windows never let a study see the out-of-sample bars it is judged on (checked
on generated windows and on a real walk-forward over GOOG's daily bars)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import statistics
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ostdesk.cli import main
from ostdesk.cli_errors import REFUSED
from ostdesk.engine.events import BarPeriod
from ostdesk.engine.strategy_loader import load_file
from ostdesk.research.space import parse_dimension
from ostdesk.research.spec import Objective, StudySpec
from ostdesk.research.walkforward import (
    WalkForward,
    WalkForwardError,
    Window,
    WindowResult,
    bar_windows,
    calendar_windows,
    record_stitched,
    run_walkforward,
    study_windows,
)
from ostdesk.store import Database, load_bars
from ostdesk.store.runs import (
    get_run,
    run_bars,
    run_equity,
    run_fills,
    run_indicators,
    run_stats,
)
from ostdesk.store.studies import get_study, list_studies, stored_trials
from ostdesk.strategies.sma_cross import SmaCross
from tests.cli_data import import_goog

SMA_SPEC = StudySpec(
    strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
    space=(parse_dimension(SmaCross.params["fast"], "5:10:5"),),
    objectives=(Objective("Sharpe Ratio"),),
)  # fmt: skip
"""SmaCross on GOOG's daily bars, fast 5 or 10, by Sharpe: the study most tests walk."""


def assert_no_look_ahead(windows: list[Window], ts: np.ndarray) -> None:
    """Every in-sample bar is before its out-of-sample range, which is not empty and follows
    the previous one without gap or overlap."""
    for w in windows:
        in_sample = ts[(ts >= w.is_start_ns) & (ts < w.is_end_ns)]
        out = ts[(ts >= w.oos_start_ns) & (ts < w.oos_end_ns)]
        assert len(in_sample) and len(out)
        assert in_sample.max() < out.min()
        assert not np.isin(out, in_sample).any()
    for before, after in itertools.pairwise(windows):
        assert before.oos_end_ns == after.oos_start_ns


@given(
    bars=st.integers(2, 400),
    in_sample=st.integers(1, 300),
    out_of_sample=st.integers(1, 120),
    anchored=st.booleans(),
)
def test_bar_windows_never_overlap_their_own_out_of_sample(
    bars: int, in_sample: int, out_of_sample: int, anchored: bool
) -> None:
    ts = np.cumsum(np.random.default_rng(bars).integers(1, 5, bars)) * 60_000_000_000
    if bars <= in_sample:
        with pytest.raises(WalkForwardError, match="leaves none for out-of-sample"):
            bar_windows(ts, in_sample, out_of_sample)
        return
    windows = bar_windows(ts, in_sample, out_of_sample, anchored=anchored)
    assert_no_look_ahead(windows, ts)
    for w in windows:
        seen = ((ts >= w.is_start_ns) & (ts < w.is_end_ns)).sum()
        assert seen == (in_sample + w.index * out_of_sample if anchored else in_sample)
    covered = (ts >= windows[0].oos_start_ns) & (ts < windows[-1].oos_end_ns)
    assert covered.sum() == bars - in_sample  # every bar after the first in-sample, once


def test_calendar_windows_roll_or_anchor_by_duration() -> None:
    day = 86_400 * 10**9
    rolling = calendar_windows(0, 10 * day, 4 * day, 2 * day)
    assert [(w.is_start_ns, w.oos_start_ns, w.oos_end_ns) for w in rolling] == [
        (0, 4 * day, 6 * day),
        (2 * day, 6 * day, 8 * day),
        (4 * day, 8 * day, 10 * day),
    ]
    anchored = calendar_windows(0, 9 * day, 4 * day, 2 * day, anchored=True)
    assert [w.is_start_ns for w in anchored] == [0, 0, 0]
    assert anchored[-1].oos_end_ns == 9 * day  # cut at the end
    assert all(w.is_end_ns == w.oos_start_ns for w in rolling + anchored)
    with pytest.raises(WalkForwardError, match="both must be above 0"):
        calendar_windows(0, day, 0, day)


def test_a_window_whose_in_sample_runs_into_its_out_of_sample_is_refused(
    goog_db: Database,
) -> None:
    spec = SMA_SPEC
    leaking = Window(0, 0, 2_000, 1_000, 3_000)
    with pytest.raises(WalkForwardError, match="window 0: its in-sample range runs into"):
        run_walkforward(goog_db, spec, [leaking], workers=1)


def test_a_real_walk_forward_optimises_in_sample_and_records_out_of_sample(
    goog_db: Database,
) -> None:
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts[:1_000], 400, 200)  # three windows over the first 1,000 bars
    assert len(windows) == 3
    spec = StudySpec(
        strategy="SmaCross", strategy_source="built-in", symbols=("GOOG",), period="day",
        space=(
            parse_dimension(SmaCross.params["fast"], "5:10:5"),
            parse_dimension(SmaCross.params["slow"], "20:40:20"),
        ),
        objectives=(Objective("Sharpe Ratio"),),
    )  # fmt: skip
    result = run_walkforward(goog_db, spec, windows, workers=1)
    assert [r.window for r in result.windows] == windows
    for r in result.windows:
        w = r.window
        study = get_study(goog_db, r.study_id)
        assert study["status"] == "completed" and study["trials"] == 4
        trials = stored_trials(goog_db, r.study_id)
        best = max(
            (t for t in trials if t.status == "completed" and math.isfinite(t.objective[0])),
            key=lambda t: t.objective[0],
        )
        assert dict(r.best_params) == dict(best.params)
        # the study saw only its in-sample bars, the out-of-sample run only its own
        for t in trials:
            assert w.is_start_ns <= t.stats["Start"] and t.stats["End"] < w.is_end_ns  # ns
        assert r.oos_run_id is not None
        bars = run_bars(goog_db, r.oos_run_id, "GOOG")["ts"]
        assert bars.min() == w.oos_start_ns and bars.max() < w.oos_end_ns
        assert r.oos_stats["Sharpe Ratio"] == run_stats(goog_db, r.oos_run_id)["Sharpe Ratio"]

    def yearly(stats: Mapping[str, float | None]) -> float:  # log growth a year
        years = stats["Duration"] / (365.25 * 86_400)
        return math.log(1 + stats["Return [%]"] / 100) / years

    is_mean = statistics.mean(yearly(r.is_stats) for r in result.windows)
    oos_mean = statistics.mean(yearly(r.oos_stats) for r in result.windows)
    assert (result.is_mean, result.oos_mean) == pytest.approx((is_mean, oos_mean))
    if is_mean > 0:
        assert result.efficiency == pytest.approx(oos_mean / is_mean)
    else:
        assert math.isnan(result.efficiency) and result.efficiency_note is not None


def test_walk_forward_efficiency_is_undefined_when_the_in_sample_mean_is_not_positive() -> None:
    year = 365.25 * 86_400

    def window(k: int, is_yearly: float, oos_yearly: float) -> WindowResult:
        is_stats = {"Return [%]": 100 * math.expm1(is_yearly), "Duration": year}
        oos_stats = {"Return [%]": 100 * math.expm1(oos_yearly), "Duration": year}
        return WindowResult(Window(k, 0, 1, 1, 2), 0, 1, {}, is_stats, 1, oos_stats)

    losing = WalkForward((window(0, -0.10, -0.20),), None)
    assert (losing.is_mean, losing.oos_mean) == pytest.approx((-0.10, -0.20))
    assert math.isnan(losing.efficiency)  # not 2.0: losing more after is no efficiency
    assert losing.efficiency_note is not None and "-10.00% a year" in losing.efficiency_note
    held = WalkForward((window(0, 0.10, 0.05), window(1, 0.30, 0.05)), None)
    assert held.efficiency == pytest.approx(0.05 / 0.20) and held.efficiency_note is None
    assert math.isnan(WalkForward((), None).efficiency)
    assert WalkForward((), None).efficiency_note is not None


def test_cli_walks_a_stored_study_forward(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_goog(db_path)
    args = ["optimize", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    args += ["--param", "fast=5:10:5", "--param", "slow=20:40:20", "--workers", "1"]
    assert main([*args, "--end", "2008-01-01", "--db", str(db_path)]) == 0
    capsys.readouterr()
    walk = ["walkforward", "1", "--in-sample", "400d", "--out-of-sample", "300d", "--json"]
    assert main([*walk, "--workers", "1", "--db", str(db_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    # 2004-08-19 + 400 days, then 300-day steps to 2007-12-31: the third is cut at the end
    assert [w["window"] for w in out["windows"]] == [1, 2, 3]
    assert out["in_sample_mean_pct"] is not None and out["out_of_sample_mean_pct"] is not None
    assert (out["efficiency"] is None) == (out["in_sample_mean_pct"] <= 0)
    assert (out["efficiency_note"] is None) == (out["efficiency"] is not None)
    for w in out["windows"]:
        assert w["in_sample"][1] == w["out_of_sample"][0] and w["objective"] == "Sharpe Ratio"
        assert w["out_of_sample_run_id"] is not None
    assert out["windows"][-1]["out_of_sample"][1] <= "2008-01-01"
    with Database.open(db_path) as db:  # the stitched run, named for the study
        stitched = get_run(db, out["run_id"])
    assert stitched["name"] == "walk-forward of study 1" and stitched["status"] == "completed"
    for bad, line in [
        (["--in-sample", "400", "--out-of-sample", "30d"], "both in bars or both as durations"),
        (["--in-sample", "5000", "--out-of-sample", "30"], "an in-sample window of 5,000 bars"),
        (["--in-sample", "1y", "--out-of-sample", "30"], "'1y': expected N bars or a duration"),
    ]:
        try:
            code = main(["walkforward", "1", *bad, "--db", str(db_path)])
        except SystemExit as exit_:  # the option parser refuses by exiting
            code = exit_.code
        err = capsys.readouterr().err.strip()
        assert code == REFUSED and line in err and "\n" not in err, err


STEPPER = '''
from ostdesk import BarReceived, Param, Strategy


class Stepper(Strategy):
    """Buys one share on its first bar, sells it ``hold`` bars later: flat at a window's end."""

    hold = Param(2, min=1, max=50)

    def setup(self) -> None:
        self.seen = 0

    def on_bar(self, bar: BarReceived) -> None:
        self.seen += 1
        if self.seen == 1:
            self.buy(1)
        elif self.seen == 1 + self.hold:
            self.close_position()
'''


def test_the_stitched_run_chains_the_out_of_sample_runs_and_opens_as_a_run(
    goog_db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "stepper.py"
    source.write_text(STEPPER)
    (stepper,) = load_file(source)
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts[:400], 100, 100)
    spec = StudySpec(
        strategy="Stepper", strategy_source=str(source), symbols=("GOOG",), period="day",
        space=(parse_dimension(stepper.params["hold"], "5:45:20"),),
        objectives=(Objective("Return [%]"),),
    )  # fmt: skip
    result = run_walkforward(goog_db, spec, windows, workers=1, name="walk-forward of study 7")
    assert len({r.best_params["hold"] for r in result.windows}) > 1  # parameters do switch
    run_id = result.stitched_run_id
    assert run_id is not None
    run = get_run(goog_db, run_id)
    assert run["status"] == "completed" and run["name"] == "walk-forward of study 7"
    for r in result.windows:
        assert f"window {r.window.index + 1}, " in run["notes"]
        assert f"hold={r.best_params['hold']}" in run["notes"].splitlines()[r.window.index]
    stitched = run_equity(goog_db, run_id)
    offset = 0.0
    for r in result.windows:
        assert r.oos_run_id is not None
        window = run_equity(goog_db, r.oos_run_id)
        inside = (stitched["ts"] >= r.window.oos_start_ns) & (stitched["ts"] < r.window.oos_end_ns)
        np.testing.assert_array_equal(stitched["ts"][inside], window["ts"])
        np.testing.assert_allclose(stitched["equity"][inside], window["equity"] + offset)
        offset += float(window["equity"][-1]) - spec.capital
    assert len(stitched["ts"]) == 300  # every out-of-sample bar, once
    # it opens as any run: bars, fills and statistics by the normal path
    assert len(run_bars(goog_db, run_id, "GOOG")["ts"]) == 300
    assert len(run_fills(goog_db, run_id)["ts"]) == 2 * len(result.windows)
    expected = 100 * offset / spec.capital
    assert run_stats(goog_db, run_id)["Return [%]"] == pytest.approx(expected)


def test_a_stopped_walk_forward_ends_cancelled_with_its_windows_so_far_and_no_stitched_run(
    goog_db: Database,
) -> None:
    spec = SMA_SPEC
    windows = study_windows(goog_db, spec, 300, 100)
    stop = threading.Event()
    seen: list[int] = []
    result = run_walkforward(
        goog_db, spec, windows, workers=1, stop=stop,
        on_progress=lambda index, _progress: seen.append(index),
        on_window=lambda _result: stop.set(),
    )  # fmt: skip
    assert result.cancelled and result.stitched_run_id is None
    assert [r.window.index for r in result.windows] == [0] and set(seen) == {0}


def test_a_stitched_run_shares_indicators_alike_and_is_flat_where_no_trial_was_chosen(
    goog_db: Database,
) -> None:
    spec = SMA_SPEC
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts[:1_300], 400, 300)
    chosen = [{"fast": 5, "slow": 20}, None, {"fast": 5, "slow": 40}]  # SMA(5) in both

    def result(w: Window, params: dict[str, int] | None) -> WindowResult:
        return WindowResult(w, 0, None if params is None else 1, params or {}, {}, None, {})

    results = [result(w, p) for w, p in zip(windows, chosen, strict=True)]
    run_id = record_stitched(goog_db, spec, SmaCross, results, name="stitched")
    assert run_id is not None and get_run(goog_db, run_id)["status"] == "completed"
    assert set(run_indicators(goog_db, run_id, "GOOG")) == {"SMA(5)", "SMA(20)", "SMA(40)"}
    fills = run_fills(goog_db, run_id)["ts"]
    middle = windows[1]
    # the first window's position is closed on the middle window's second bar, at the latest
    late = fills[(fills > middle.oos_start_ns) & (fills < middle.oos_end_ns)]
    assert len(late) <= 1 and (not len(late) or late[0] == ts[ts > middle.oos_start_ns][0])
    assert len(fills[fills >= windows[2].oos_start_ns]) > 0  # the last window trades again
    assert "window 2, " in get_run(goog_db, run_id)["notes"].splitlines()[1]
    assert "flat (no trial)" in get_run(goog_db, run_id)["notes"].splitlines()[1]


TOGGLE = '''
from ostdesk import BarReceived, Param, Strategy


class Toggle(Strategy):
    """mode 0 buys 10 shares on its first bar; mode 1 closes whatever it holds, every bar."""

    mode = Param(0, min=0, max=1)

    def setup(self) -> None:
        self.bought = False

    def on_bar(self, bar: BarReceived) -> None:
        if self.mode == 1:
            self.close_position()
        elif not self.bought:
            self.bought = True
            self.buy(10)
'''


def _held(db: Database, run_id: int) -> np.ndarray:
    """The run's position after each of its fills."""
    fills = run_fills(db, run_id)
    signed = np.where(fills["side"] == "BUY", fills["quantity"], -fills["quantity"])
    return np.cumsum(signed)


def _stitch(db: Database, spec: StudySpec, cls: type, windows: list[Window], params: list) -> int:
    results = [WindowResult(w, 0, 1, p, {}, None, {}) for w, p in zip(windows, params, strict=True)]
    run_id = record_stitched(db, spec, cls, results, name="stitched")
    assert run_id is not None and get_run(db, run_id)["status"] == "completed"
    return run_id


def test_a_stitched_runs_indicator_lines_have_values_only_in_the_windows_that_traded_on_them(
    goog_db: Database,
) -> None:
    spec = SMA_SPEC
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts[:1_000], 400, 200)
    chosen = [{"fast": 5, "slow": 20}, {"fast": 10, "slow": 20}, {"fast": 5, "slow": 40}]
    run_id = _stitch(goog_db, spec, SmaCross, windows, chosen)
    lines = run_indicators(goog_db, run_id, "GOOG")
    used_in = {"SMA(5)": {0, 2}, "SMA(10)": {1}, "SMA(20)": {0, 1}, "SMA(40)": {2}}
    assert set(lines) == set(used_in)
    for name, line in lines.items():
        for k, w in enumerate(windows):
            inside = (line["ts"] >= w.oos_start_ns) & (line["ts"] < w.oos_end_ns)
            values = np.asarray(line["value"], dtype=np.float64)[inside]
            assert len(values) == 200
            if k in used_in[name]:  # past the run's warm-up (its first 40 bars), all there
                assert np.isfinite(values[40:]).all(), (name, k)
            else:
                assert np.isnan(values).all(), (name, k)


def test_a_window_that_closes_at_its_first_bar_does_not_sell_the_previous_windows_position_again(
    goog_db: Database, tmp_path: Path
) -> None:
    source = tmp_path / "toggle.py"
    source.write_text(TOGGLE)
    (toggle,) = load_file(source)
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts[:300], 100, 100)
    spec = StudySpec(
        strategy="Toggle", strategy_source=str(source), symbols=("GOOG",), period="day",
        space=(parse_dimension(toggle.params["mode"], "0:1:1"),),
        objectives=(Objective("Return [%]"),),
    )  # fmt: skip
    run_id = _stitch(goog_db, spec, toggle, windows, [{"mode": 0}, {"mode": 1}])
    held = _held(goog_db, run_id)
    # bought 10 in window 1, sold once at window 2's start: never short, flat at the end
    assert held.tolist() == [10, 0]


def test_a_stitched_sma_cross_run_is_never_short(goog_db: Database) -> None:
    bars = load_bars(goog_db, "GOOG", BarPeriod.DAY)
    ts = [int(t) for t in bars["ts_event_ns"]]
    close = np.asarray(bars["close"], dtype=float)
    fast = np.convolve(close, np.ones(5) / 5, "valid")[15:]
    slow = np.convolve(close, np.ones(20) / 20, "valid")
    above = fast > slow  # both aligned on bar 19 onwards
    crosses = np.flatnonzero(np.diff(above.astype(int))) + 20  # bar index of each cross
    # a window boundary on a cross below that ends a long entered in the window before
    cut = next(
        int(i) for before, i in itertools.pairwise(crosses)
        if not above[i - 19] and i > 400 and i + 100 < len(ts) and i - 150 < before < i - 2
    )  # fmt: skip
    windows = [
        Window(0, ts[cut - 300], ts[cut - 200], ts[cut - 200], ts[cut]),
        Window(1, ts[cut - 100], ts[cut], ts[cut], ts[cut + 100]),
    ]
    spec = SMA_SPEC
    params = {"fast": 5, "slow": 20}
    run_id = _stitch(goog_db, spec, SmaCross, windows, [params, params])
    held = _held(goog_db, run_id)
    assert len(held) and held.min() >= 0


def test_cli_walk_forward_whose_every_trial_fails_says_why_in_one_line_and_exits_1(
    db_path: Path, flaky_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_goog(db_path)
    args = ["optimize", "--strategy", "Flaky", "--strategies-dir", str(flaky_file.parent)]
    args += ["--symbol", "GOOG", "--period", "day", "--param", "mode=1", "--param", "hold=5,6"]
    main([*args, "--workers", "1", "--db", str(db_path)])
    with Database.open(db_path) as db:
        runs_before = db.connection.execute("SELECT count(*) FROM runs").fetchone()
    capsys.readouterr()
    walk = ["walkforward", "1", "--in-sample", "1000", "--out-of-sample", "1000"]
    assert main([*walk, "--workers", "1", "--db", str(db_path)]) == 1
    out, err = capsys.readouterr()
    assert "run None" not in out
    assert "window 1: study 2 chose no trial: 2 failed (first:" in out
    assert "RuntimeError: flaky strategy failed on purpose" in out
    prefix = "ostdesk walkforward: no window had a completed trial"
    (line,) = [x for x in err.splitlines() if x.startswith(prefix)]
    assert "RuntimeError: flaky strategy failed on purpose" in line
    assert line.endswith("; stopped there: the strategy failed on every trial")
    assert "window 2" not in out  # two windows planned: the second is not tried (nor stored)
    with Database.open(db_path) as db:
        assert [s["study_id"] for s in list_studies(db)] == [2, 1]
    assert main([*walk, "--json", "--workers", "1", "--db", str(db_path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] is None and out["failure"] == line.removeprefix("ostdesk walkforward: ")
    assert "2 failed (first:" in out["windows"][0]["no_trial_because"]
    with Database.open(db_path) as db:  # no stitched run (nor any other) was recorded
        assert db.connection.execute("SELECT count(*) FROM runs").fetchone() == runs_before


def test_windows_too_short_for_annualised_figures_are_flagged(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_goog(db_path)
    args = ["optimize", "--strategy", "SmaCross", "--symbol", "GOOG", "--period", "day"]
    args += ["--param", "fast=3,5", "--param", "slow=10", "--workers", "1"]
    assert main([*args, "--end", "2005-03-01", "--db", str(db_path)]) == 0
    capsys.readouterr()
    walk = ["walkforward", "1", "--in-sample", "100", "--out-of-sample", "15"]
    assert main([*walk, "--workers", "1", "--db", str(db_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for w in out["windows"]:  # 15 daily bars out of sample: 15 trading days, < 20
        assert w["trading_days"][1] <= 15 and w["too_short_for_annualised"]
    assert "warm at each window's start" in out["run_note"]
    assert main([*walk, "--workers", "1", "--db", str(db_path)]) == 0
    text = capsys.readouterr().out
    assert "(too short: 15 trading days)" in text
    assert "note: windows marked 'too short' have fewer than 20 trading days" in text
    assert "not the sum of the windows' out-of-sample returns" in text


def test_walk_forward_times_are_bar_times_not_an_exclusive_end_plus_one_nanosecond(
    goog_db: Database,
) -> None:
    spec = SMA_SPEC
    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    windows = bar_windows(ts, 1_800, 200)
    assert windows[-1].oos_end_ns == ts[-1] + 1  # the last window ends past the last bar
    result = run_walkforward(goog_db, spec, windows, workers=1)
    assert result.stitched_run_id is not None
    run = get_run(goog_db, result.stitched_run_id)
    assert run["end_ns"] is None  # the study's own end: up to its last bar
    assert get_run(goog_db, result.windows[-1].oos_run_id)["end_ns"] is None
    assert "000000001" not in run["notes"]
    assert "to 2013-03-01 00:00:00 UTC:" in run["notes"].splitlines()[-3]
    assert "not the sum of the windows' out-of-sample returns" in run["notes"]


def test_a_reports_dates_asked_for_show_a_bar_time_not_its_exclusive_end_plus_one_ns(
    goog_db: Database,
) -> None:
    from ostdesk.report.sections import configuration

    ts = np.asarray(load_bars(goog_db, "GOOG", BarPeriod.DAY)["ts_event_ns"], dtype=np.int64)
    spec = dataclasses.replace(SMA_SPEC, end_ns=int(ts[-1]) + 1)
    windows = bar_windows(ts, 1_900, 300)
    run_id = record_stitched(goog_db, spec, SmaCross, [
        WindowResult(windows[0], 0, 1, {"fast": 5, "slow": 20}, {}, None, {})
    ], name="stitched")  # fmt: skip
    assert run_id is not None
    run = get_run(goog_db, run_id)
    assert run["end_ns"] == ts[-1] + 1  # what the study asked for, as stored
    html = configuration(run)
    assert "to 2013-03-01 00:00<" in html and "000000001" not in html
