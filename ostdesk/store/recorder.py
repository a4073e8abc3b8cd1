"""The run recorder: a sink on the bus that writes every event of a run to DuckDB.

Events are grouped by family into typed columns and appended with one ``INSERT ... SELECT``
per table per flush (numpy columns, no per-row SQL; a table's rows in publication order, the
order a replay rebuilds), all tables of a flush in one transaction, a flush starting every
``interval`` seconds (0.25 s). A crash (SIGKILL) loses what was published since the last
commit began: at most the ~0.1 s a block spans, one interval and one write (~0.05 s, ~0.2 s
when DuckDB folds its log) — under 0.5 s; ``bench/faults.py`` measures it (worst 0.30 s in
24 kills of workload (a)). Bars and indicator values, one of each per bar, are recorded
from the column blocks their publishers emit beside the per-bar events (``BarBlock``,
``IndicatorBlock``): the same values without taking a Python object apart per bar, which had
made recording cost more than the backtest itself on multi-symbol runs.
The run's row is written when the recorder starts (status ``running``); ``finish`` checks that
the record is whole (:mod:`ostdesk.store.record_check`), sets the final status and stores
round trips, the equity curve and the statistics
(:mod:`ostdesk.store.run_results`). Runs a crashed process left ``running`` are marked
``interrupted`` by :func:`ostdesk.store.runs.recover_interrupted_runs`, keeping their rows.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np

import ostdesk
from ostdesk.engine.bus import EventBus
from ostdesk.engine.errors import ComponentError
from ostdesk.engine.events import (
    BarBlock,
    CancellationAccepted,
    CancellationRejected,
    EventBase,
    FillEvent,
    IndicatorBlock,
    ModificationAccepted,
    ModificationRejected,
    OrderAccepted,
    OrderCancellationRequest,
    OrderExpired,
    OrderModificationRequest,
    OrderRejected,
    OrderSubmissionRequest,
)
from ostdesk.engine.runner import BacktestConfig, RunStatus
from ostdesk.engine.sink import BufferedSink
from ostdesk.store.database import Database, duckdb_message
from ostdesk.store.presets import json_value
from ostdesk.store.record_check import RecordingError, RecordTally, sentence, stored_rows
from ostdesk.store.rows import first_row
from ostdesk.store.run_results import Results, compute_results, split_market, store_results
from ostdesk.store.timefmt import utc_now
from ostdesk.store.transactions import insert_frame, transaction

log = logging.getLogger("ostdesk.store")

# the table each order event goes to, and the ``kind`` its rows carry there (if the table has one)
_EVENT_TABLES: dict[type[EventBase], tuple[str, str | None]] = {
    OrderSubmissionRequest: ("run_orders", None),
    OrderModificationRequest: ("run_order_changes", "modify"),
    OrderCancellationRequest: ("run_order_changes", "cancel"),
    OrderAccepted: ("run_responses", "accepted"),
    OrderRejected: ("run_responses", "rejected"),
    ModificationAccepted: ("run_responses", "modified"),
    ModificationRejected: ("run_responses", "modify_rejected"),
    CancellationAccepted: ("run_responses", "cancelled"),
    CancellationRejected: ("run_responses", "cancel_rejected"),
    FillEvent: ("run_fills", None),
    OrderExpired: ("run_expirations", None),
}

# enum fields and the text a table stores for them: the members' own attributes, as an enum's
# ``name`` and ``value`` are Python-level properties (~0.2 µs a read, a few per order event)
_ENUM_TEXT: dict[str, Callable[[Any], Any]] = {
    "side": operator.attrgetter("_name_"),
    "time_in_force": operator.attrgetter("_name_"),
    "order_type": operator.attrgetter("_value_"),
    "reason": operator.attrgetter("_value_"),
}
_NULLABLE_ENUMS = frozenset({"time_in_force"})  # None in a malformed request (``invalid``)


def _field(column: str) -> str:
    return "ts_event_ns" if column == "ts" else column


def _event_columns(table: str, family: list[Any]) -> list[Sequence[Any]]:
    """``table``'s columns from events of one class: every field in one C-level attribute
    pass per event, enums as their stored text, the class's ``kind``, and NULL for a column
    the class has no field for (no lookup that fails per event: ~0.5 µs each)."""
    names, _ = _TABLES[table]
    cls = type(family[0])
    fields = {f.name for f in dataclasses.fields(cls)}
    present = [c for c in names if _field(c) in fields]
    read = dict(
        zip(
            present,
            zip(*map(operator.attrgetter(*map(_field, present)), family), strict=True),
            strict=True,
        )
    )
    n = len(family)
    columns: list[Sequence[Any]] = []
    for c in names:
        if c in read:
            convert = _ENUM_TEXT.get(c)
            if convert is None:
                columns.append(read[c])
            elif c in _NULLABLE_ENUMS and None in read[c]:
                columns.append([None if v is None else convert(v) for v in read[c]])
            else:
                columns.append(list(map(convert, read[c])))
        else:
            columns.append([_EVENT_TABLES[cls][1] if c == "kind" else None] * n)
    return columns


def _positions(events: list[Any], kinds: set[type]) -> dict[type, list[int]]:
    """Where in ``events`` each event of ``kinds`` is, per class, in order."""
    positions: dict[type, list[int]] = {kind: [] for kind in kinds}
    for i, e in enumerate(events):
        at = positions.get(type(e))
        if at is not None:
            at.append(i)
    return positions


def _table_insert(table: str, group: list[list[Any]], positions: dict[type, list[int]]) -> _Insert:
    """``table``'s insert from the families of its classes, rows in publication order (with
    ``positions`` of each class, for a table of several): the replay pairs an order's answers
    of one timestamp with its requests by their rank."""
    parts = [_columns_insert(table, _event_columns(table, family)) for family in group]
    if len(parts) == 1:
        return parts[0]
    rank = np.concatenate([np.asarray(positions[type(family[0])]) for family in group])
    order = np.argsort(rank, kind="stable")
    frame = {k: np.concatenate([p.frame[k] for p in parts])[order] for k in parts[0].frame}
    return _Insert(table, parts[0].columns, parts[0].select, frame)


# table -> (column names after run_id, numpy dtype per column: "i" int64, "f" float64, "o" object)
_TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "run_orders": (
        (
            "ts",
            "order_id",
            "strategy_id",
            "symbol",
            "side",
            "order_type",
            "quantity",
            "limit_price",
            "stop_price",
            "time_in_force",
            "expire_ns",
            "invalid",
        ),
        "iioooofffooo",
    ),
    "run_order_changes": (
        (
            "ts",
            "order_id",
            "strategy_id",
            "kind",
            "quantity",
            "limit_price",
            "stop_price",
            "invalid",
        ),
        "iioofffo",
    ),
    "run_responses": (
        (
            "ts",
            "order_id",
            "strategy_id",
            "kind",
            "reason",
            "message",
            "quantity",
            "limit_price",
            "stop_price",
        ),
        "iioooofff",
    ),
    "run_fills": (
        (
            "ts",
            "fill_id",
            "order_id",
            "strategy_id",
            "symbol",
            "side",
            "quantity",
            "price",
            "commission",
        ),
        "iiiooofff",
    ),
    "run_expirations": (("ts", "order_id", "strategy_id"), "iio"),
}


_MARKET_COLUMNS = ("ts", "symbol_index", "high", "low", "close")


_MarketColumns = tuple[list[dict[str, np.ndarray[Any, Any]]], list[dict[str, np.ndarray[Any, Any]]]]


def _market_columns(inserts: list[_Insert]) -> _MarketColumns:
    """The bar and fill columns of ``inserts`` that a run's results are computed from."""
    bars = [{k: i.frame[k] for k in _MARKET_COLUMNS} for i in inserts if i.table == "run_bars"]
    fills = [i.frame for i in inserts if i.table == "run_fills"]
    return bars, fills


def _column(values: Sequence[Any], code: str) -> np.ndarray[Any, Any]:
    """A numpy column of ``code``'s type; one holding None (NULL in SQL: a malformed
    request's unreadable field, an absent price) is an object column instead, as NaN never
    stands for "absent"."""
    if code == "o" or None in values:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr
    if code == "f":
        return np.asarray(values, dtype=np.float64)
    return np.asarray(values, dtype=np.int64)


class _Insert:
    """One INSERT of numpy columns; ``select`` may expand them in SQL (``$run`` is bound) into
    ``rows`` rows."""

    __slots__ = ("columns", "frame", "params", "rows", "select", "table")

    def __init__(
        self,
        table: str,
        columns: str,
        select: str,
        frame: dict[str, Any],
        params: dict[str, Any] | None = None,
        rows: int | None = None,
    ) -> None:
        self.table, self.columns, self.select = table, columns, select
        self.frame, self.params = frame, params or {}
        self.rows = len(next(iter(frame.values()))) if rows is None else rows


def _bar_insert(blocks: list[BarBlock]) -> _Insert:
    """The datafeed's bar blocks as one insert: numpy columns straight from its chunks, the
    symbols crossing into DuckDB once per block (``symbol_index`` into ``symbols``)."""
    symbols = list(blocks[0].symbols)  # one datafeed: one symbols tuple per run
    frame: dict[str, Any] = {
        field: np.concatenate([getattr(b, field) for b in blocks])
        for field in ("ts", "symbol_index", "open", "high", "low", "close", "volume")
    }
    return _Insert(
        "run_bars",
        "run_id, ts, symbol, open, high, low, close, volume",
        "$run, ts, list_extract($symbols, symbol_index + 1), open, high, low, close, volume",
        frame,
        {"symbols": symbols},
    )


def _indicator_inserts(blocks: list[IndicatorBlock]) -> list[_Insert]:
    """Long form (ts, symbol, strategy, name, value): a block's values are an (bars x lines)
    matrix that SQL unnests, so no value becomes a Python object here."""
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[IndicatorBlock]] = {}
    for block in blocks:
        groups.setdefault((block.strategy_id, block.names, block.symbols), []).append(block)
    inserts = []
    for (strategy_id, names, symbols), group in groups.items():
        if not names:
            continue
        values = np.concatenate([b.values for b in group])
        frame: dict[str, Any] = {
            "ts": np.concatenate([b.ts for b in group]),
            "sym": np.concatenate([b.symbol_index for b in group]),
        }
        for k in range(len(names)):
            frame[f"v{k}"] = values[:, k]
        lines = ", ".join(f"v{k}" for k in range(len(names)))
        inserts.append(
            _Insert(
                "run_indicators",
                "run_id, ts, symbol, strategy_id, name, value",
                "$run, ts, list_extract($symbols, sym + 1), $sid, unnest($names), "
                f"unnest([{lines}])",
                frame,
                {"symbols": list(symbols), "sid": strategy_id, "names": list(names)},
                rows=len(values) * len(names),
            )
        )
    return inserts


def _columns_insert(table: str, columns: Sequence[Sequence[Any]]) -> _Insert:
    names, codes = _TABLES[table]
    frame = {
        name: _column(values, code)
        for name, code, values in zip(names, codes, columns, strict=True)
    }
    cols = ", ".join(names)
    return _Insert(table, f"run_id, {cols}", f"$run, {cols}", frame)


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
        self._db = db
        self._cursor = db.cursor()
        self._on_flush = on_flush
        self._capital = capital
        self._early: _Background | None = None  # results computed during the last write
        super().__init__(bus, name="recorder", interval=interval)
        self._subscribe(BarBlock, IndicatorBlock, *_EVENT_TABLES)

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
            inserts = self._inserts(events, bars, indicators, families)
        except Exception as exc:  # an event whose fields do not fit its table
            raise self.tally.fail("the run's events", self.last_ts, exc) from exc
        written = _market_columns(inserts)
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
            handed[_EVENT_TABLES[kind][0]] += len(family)

    def _inserts(
        self,
        events: list[EventBase],
        bars: list[BarBlock],
        indicators: list[IndicatorBlock],
        families: dict[type[EventBase], list[Any]],
    ) -> list[_Insert]:
        inserts = [_bar_insert(bars)] if bars else []
        if indicators:
            inserts += _indicator_inserts(indicators)
        tables: dict[str, list[list[Any]]] = {}  # a table's families (answers: several)
        for kind, family in families.items():
            tables.setdefault(_EVENT_TABLES[kind][0], []).append(family)
        mixed = {type(f[0]) for group in tables.values() if len(group) > 1 for f in group}
        positions = _positions(events, mixed) if mixed else {}
        for table, group in tables.items():
            inserts.append(_table_insert(table, group, positions))
        if bars:
            self._symbols = bars[0].symbols  # one datafeed: one symbols tuple per run
        return inserts

    def _write(self, inserts: list[_Insert], bars: list[BarBlock]) -> None:
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

    def _results(self, capital: float, batch: _MarketColumns | None = None) -> Results | None:
        """Results from the kept columns and those of ``batch`` (the last one, being written)."""
        more_bars, more_fills = batch or ([], [])
        bar_columns, fill_columns = self._bar_columns + more_bars, self._fill_columns + more_fills
        if not bar_columns:
            return None
        b = {k: np.concatenate([c[k] for c in bar_columns]) for k in _MARKET_COLUMNS}
        market = split_market(
            b["ts"], b["symbol_index"], self._symbols, b["high"], b["low"], b["close"]
        )
        names, codes = _TABLES["run_fills"]
        parts = fill_columns or [{n: _column([], c) for n, c in zip(names, codes, strict=True)}]
        fills = {k: np.concatenate([p[k] for p in parts]) for k in names}
        with np.errstate(all="ignore"):  # a non-finite equity is refused, not warned about
            return compute_results(market, fills, capital)


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
                    " data_fingerprint, status, started_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)"
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
                    ],
                )
            )
        finally:
            self.db.release(cur)
        assert row is not None  # INSERT ... RETURNING gives the new row
        return int(row[0])

    def finish(self, run: Any) -> None:
        """Done listener: check the record is whole, then store results and the final status
        (called after every thread of the run was joined, so every event has been handled).

        The recording has the last word on ``completed``: a run whose record has a gap, or
        whose end cannot be stored, ends ``failed`` with one sentence saying why, in the
        database and on ``run`` (``status``, ``error``), and gets no statistics."""
        assert self.run_id is not None and self.recorder is not None
        recorder = self.recorder
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
        try:
            store_results(self.db, self.run_id, status, error, results, layout)
        except Exception as exc:
            text = f"the end of run {self.run_id} could not be stored: {sentence(exc)}"
            _fail(run, text)
            self._store_failure(text)

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
