"""The run recorder: a sink on the bus that writes every event of a run to DuckDB.

Events are grouped by family into typed columns (:mod:`ostdesk.store.record_inserts`) and
appended with one ``INSERT ... SELECT`` per table per flush, all tables of a flush in one
transaction, a flush starting every
``interval`` seconds (0.25 s). A crash (SIGKILL) loses what was published since the last
commit began: at most the ~0.1 s a block spans, one interval and one write (~0.05 s, ~0.2 s
when DuckDB folds its log) — under 0.5 s; ``bench/faults.py`` measures it (worst 0.48 s in
48 kills of workload (a)). Bars and indicator values, one of each per bar, are recorded
from the column blocks their publishers emit beside the per-bar events (``BarBlock``,
``IndicatorBlock``): the same values without taking a Python object apart per bar, which had
made recording cost more than the backtest itself on multi-symbol runs.
The run's row is written when the recorder starts (status ``running``); ``finish`` checks that
the record is whole (:mod:`ostdesk.store.record_check`), sets the final status and stores
round trips, the equity curve and the statistics
(:mod:`ostdesk.store.run_results`), Buy & Hold from where the indicator blocks show the
warm-up ending (:mod:`ostdesk.store.warmup`). Runs a crashed process left ``running`` are marked
``interrupted`` by :func:`ostdesk.store.runs.recover_interrupted_runs`, keeping their rows.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np

import ostdesk
from ostdesk.engine.bus import EventBus
from ostdesk.engine.errors import ComponentError
from ostdesk.engine.events import (
    BarBlock,
    EventBase,
    IndicatorBlock,
)
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.engine.sink import BufferedSink
from ostdesk.store.database import Database, duckdb_message
from ostdesk.store.presets import json_value
from ostdesk.store.record_check import RecordingError, RecordTally, sentence, stored_rows
from ostdesk.store.record_inserts import (
    EVENT_TABLE_OF,
    MARKET_COLUMNS,
    TABLES,
    Insert,
    MarketColumns,
    batch_inserts,
    column,
    market_columns,
)
from ostdesk.store.rows import first_row
from ostdesk.store.run_results import Results, compute_results, split_market, store_results
from ostdesk.store.timefmt import utc_now
from ostdesk.store.transactions import insert_frame, transaction
from ostdesk.store.warmup import WarmUp

log = logging.getLogger("ostdesk.store")


class _Background:
    """``fn(*args)`` on its own thread; ``result()`` waits for it (and raises what it raised)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.args = args
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(fn,), name="ostdesk-results", daemon=True
        )
        self._thread.start()

    def _run(self, fn: Callable[..., Any]) -> None:
        try:
            self._value = fn(*self.args)
        except BaseException as exc:
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class RunRecorder(BufferedSink):
    """Records one run's events; created by :class:`RunRecording` when the run starts.

    Essential to its run: its first failure (a write, or an event it cannot store) stops the
    recording and makes the runner cancel the run, which ends ``failed`` with that failure."""

    beside_engine = True  # its time is spent in DuckDB, outside the GIL
    essential = True

    def __init__(
        self,
        bus: EventBus,
        db: Database,
        run_id: int,
        *,
        interval: float = 0.25,
        on_flush: Callable[[int], None] | None = None,
        capital: float | None = None,
    ) -> None:
        self.run_id = run_id
        self.last_ts = -1
        self.tally = RecordTally()
        # what the run's results are computed from, as written: bar and fill columns
        self._symbols: tuple[str, ...] = ()
        self._bar_columns: list[dict[str, np.ndarray[Any, Any]]] = []
        self._fill_columns: list[dict[str, np.ndarray[Any, Any]]] = []
        self._warmup = WarmUp()  # where Buy & Hold starts
        self._db = db
        self._cursor = db.cursor()
        self._on_flush = on_flush
        self._capital = capital
        self._early: _Background | None = None  # results computed during the last write
        super().__init__(bus, name="recorder", interval=interval)
        self._subscribe(BarBlock, IndicatorBlock, *EVENT_TABLE_OF)

    def _on_batch(self, events: list[EventBase]) -> None:
        families: dict[type[EventBase], list[Any]] = {}
        for e in events:  # one dict lookup per event; each class is then handled in bulk
            family = families.get(type(e))
            if family is None:
                family = families[type(e)] = []
            family.append(e)
        bars: list[BarBlock] = families.pop(BarBlock, [])
        indicators: list[IndicatorBlock] = families.pop(IndicatorBlock, [])
        self._count_handed(bars, indicators, families)
        if self.tally.failure is not None:
            return  # the recording stopped at its first failure: the record says where
        try:
            inserts = batch_inserts(events, bars, indicators, families)
        except Exception as exc:  # an event whose fields do not fit its table
            raise self.tally.fail("the run's events", self.last_ts, exc) from exc
        if bars:
            self._symbols = bars[0].symbols  # one datafeed: one symbols tuple per run
        for block in indicators:
            self._warmup.add(block)
        written = market_columns(inserts)
        if self._capital is not None and self._last_batch():
            # the run's results are computed beside its last write, which releases the GIL,
            # instead of after it
            self._early = _Background(self._results, self._capital, written)
        try:
            self._write(inserts, bars)
        except BaseException:  # the database lacks this batch: so must the results
            self._drop_early()
            raise
        # kept only once written, and rebound (not extended): the results thread reads the old
        # lists beside the last write
        self._bar_columns = self._bar_columns + written[0]
        self._fill_columns = self._fill_columns + written[1]
        for insert in inserts:
            self.tally.written[insert.table] += insert.rows
        if bars:
            self.last_ts = bars[-1].ts_event_ns
        if self._on_flush is not None:
            self._on_flush(self.last_ts)

    def _count_handed(
        self,
        bars: list[BarBlock],
        indicators: list[IndicatorBlock],
        families: dict[type[EventBase], list[Any]],
    ) -> None:
        """The rows this batch should add per table: what was published, written or not."""
        handed = self.tally.handed
        handed["run_bars"] += sum(len(b.ts) for b in bars)
        handed["run_indicators"] += sum(len(b.ts) * len(b.names) for b in indicators)
        for kind, family in families.items():
            handed[EVENT_TABLE_OF[kind][0]] += len(family)

    def _write(self, inserts: list[Insert], bars: list[BarBlock]) -> None:
        cur = self._cursor
        table = "its batch"
        try:
            with transaction(cur):
                for insert in inserts:
                    table = insert.table
                    insert_frame(
                        cur,
                        insert.frame,
                        f"INSERT INTO {insert.table} ({insert.columns}) "
                        f"SELECT {insert.select} FROM frame_columns",
                        {"run": self.run_id, **insert.params},
                    )
                table = "the run's row"
                if bars:
                    cur.execute(
                        "UPDATE runs SET bars = bars + ?,"
                        " first_bar_ns = coalesce(first_bar_ns, ?), last_bar_ns = ?"
                        " WHERE run_id = ?",
                        [
                            sum(len(b.ts) for b in bars),
                            int(bars[0].ts[0]),
                            bars[-1].ts_event_ns,
                            self.run_id,
                        ],
                    )
                table = "its batch"
        except Exception as exc:
            raise self.tally.fail(table, self.last_ts, exc) from exc

    def _drop_early(self) -> None:
        if self._early is not None:
            self._early.join()
            self._early = None

    def _cleanup(self) -> None:
        self._db.release(self._cursor)  # close() alone left it in the database's list

    def results(self, capital: float) -> Results | None:
        """The run's equity, round trips and statistics from the bars and fills it recorded
        (call once its thread has ended): the same rows the database holds, not read back,
        which took ~40 ms at the end of a 200,000-bar run."""
        if self.tally.failure is not None:
            self._drop_early()
            return None  # never statistics over a gap
        early, self._early = self._early, None
        if early is not None and early.args[0] == capital:
            return early.result()  # type: ignore[no-any-return]
        return self._results(capital)

    def _results(self, capital: float, batch: MarketColumns | None = None) -> Results | None:
        """Results from the kept columns and those of ``batch`` (the last one, being written)."""
        more_bars, more_fills = batch or ([], [])
        bar_columns, fill_columns = self._bar_columns + more_bars, self._fill_columns + more_fills
        if not bar_columns:
            return None
        b = {k: np.concatenate([c[k] for c in bar_columns]) for k in MARKET_COLUMNS}
        market = split_market(
            b["ts"], b["symbol_index"], self._symbols, b["high"], b["low"], b["close"]
        )
        names, codes = TABLES["run_fills"]
        parts = fill_columns or [{n: column([], c) for n, c in zip(names, codes, strict=True)}]
        fills = {k: np.concatenate([p[k] for p in parts]) for k in names}
        with np.errstate(all="ignore"):  # a non-finite equity is refused, not warned about
            return compute_results(market, fills, capital, self._warmup.end_ns)


class RunRecording:
    """Records one backtest: plugs a :class:`RunRecorder` into the run and finishes it."""

    def __init__(
        self,
        db: Database,
        config: BacktestConfig,
        *,
        fingerprint: str,
        strategy_source: str = "",
        interval: float = 0.25,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.fingerprint = fingerprint
        self.strategy_source = strategy_source
        self.interval = interval
        self.on_flush = on_flush
        self.run_id: int | None = None
        self.recorder: RunRecorder | None = None

    def attach(self, bus: EventBus) -> RunRecorder:
        """Subscriber factory for :class:`~ostdesk.engine.runner.BacktestRun`: writes the run's
        row (``running``) and returns the recorder."""
        self.run_id = self._insert_run()
        self.recorder = RunRecorder(
            bus,
            self.db,
            self.run_id,
            interval=self.interval,
            on_flush=self.on_flush,
            capital=self.config.capital,
        )
        return self.recorder

    def _insert_run(self) -> int:
        cfg = self.config
        params = {k: json_value(v) for k, v in cfg.make_strategy().parameters.items()}
        cur = self.db.cursor()
        try:
            row = first_row(
                cur.execute(
                    "INSERT INTO runs (name, strategy, strategy_source, params, symbols, period,"
                    " start_ns, end_ns, capital, commission, slippage_ticks, app_version,"
                    " data_fingerprint, status, started_at, executor)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)"
                    " RETURNING run_id",
                    [
                        cfg.name,
                        cfg.strategy.name,
                        self.strategy_source,
                        json.dumps(params),
                        list(cfg.symbols),
                        cfg.period.label,
                        cfg.start_ns,
                        cfg.end_ns,
                        cfg.capital,
                        cfg.commission.describe(),
                        cfg.slippage_ticks,
                        ostdesk.__version__,
                        self.fingerprint,
                        utc_now(),
                        cfg.executor,
                    ],
                )
            )
        finally:
            self.db.release(cur)
        assert row is not None  # INSERT ... RETURNING gives the new row
        return int(row[0])

    def finish(self, run: Any) -> None:
        """Done listener: check the record is whole, then store results and the final status.
        It first waits for the recorder's thread (the runner's join of it gives up after 5 s,
        and a slow last write may take longer), so every event has been handled.

        The recording has the last word on ``completed``: a run whose record has a gap, or
        whose end cannot be stored or fails in any other way, ends ``failed`` with one
        sentence saying why, in the database and on ``run`` (``status``, ``error``), and gets
        no statistics."""
        assert self.run_id is not None and self.recorder is not None
        self.recorder.thread.join()
        try:
            self._finish(run, self.recorder)
        except Exception as exc:
            text = f"the end of run {self.run_id} could not be stored: {sentence(exc)}"
            _fail(run, text)
            self._store_failure(text)

    def _finish(self, run: Any, recorder: RunRecorder) -> None:
        assert self.run_id is not None
        gap = recorder.tally.failure or self._check(recorder.tally, run.bars_processed)
        status = run.status.value
        error = run.error.traceback if run.error is not None else None
        if gap is not None:
            _fail(run, gap)
            status = RunStatus.FAILED.value
            error = (
                gap if error is None or run.error.component == "recorder" else f"{gap}\n\n{error}"
            )
        results = None
        if gap is None:
            try:
                results = recorder.results(self.config.capital)
            except Exception as exc:  # an equity that overflowed, say: no statistics to trust
                text = f"the run's results could not be computed: {sentence(exc)}"
                _fail(run, text)
                status = RunStatus.FAILED.value
                error = text if error is None else f"{text}\n\n{error}"
        layout = run.host.indicator_layout() if run.host is not None else []
        store_results(self.db, self.run_id, status, error, results, layout)

    def _check(self, tally: RecordTally, bars_published: int) -> str | None:
        """What the database holds against what was published and written."""
        cur = self.db.cursor()
        try:
            assert self.run_id is not None
            return tally.gap(stored_rows(cur, self.run_id), bars_published)
        except duckdb.Error as exc:
            return f"the record could not be checked: {duckdb_message(exc)}"
        finally:
            self.db.release(cur)

    def _store_failure(self, text: str) -> None:
        """The last try to leave the run's row true; if even this fails (the database is
        gone), the row stays ``running`` and the next open marks it ``interrupted``."""
        try:
            cur = self.db.cursor()
            try:
                cur.execute(
                    "UPDATE runs SET status = 'failed', error = ?, ended_at = ? WHERE run_id = ?",
                    [text, utc_now(), self.run_id],
                )
            finally:
                self.db.release(cur)
        except Exception as exc:
            log.warning("run %s: could not mark it failed: %s", self.run_id, sentence(exc))


def _fail(run: Any, text: str) -> None:
    """``run`` ends ``failed`` for its recording; a strategy's earlier error stays its error."""
    run.status = RunStatus.FAILED
    if run.error is None or run.error.component == "recorder":
        run.error = ComponentError("recorder", text, text, RecordingError(text))
