"""Schema of recorded runs (migration 2): one row per run, one typed table per event family.

Event tables have no index: rows are appended in run order, so DuckDB's per-block min/max
(zone maps) on ``run_id`` already find a run's rows, and appends stay cheap. Sides are
'BUY'/'SELL'; times are ns since the epoch, UTC; prices and quantities DOUBLE.
"""

from __future__ import annotations

RUN_STATUSES = ("running", "completed", "failed", "cancelled", "interrupted")

V2_RUNS = f"""
CREATE SEQUENCE run_ids START 1;
CREATE TABLE runs (
    run_id BIGINT PRIMARY KEY DEFAULT nextval('run_ids'),
    name VARCHAR NOT NULL DEFAULT '',
    strategy VARCHAR NOT NULL,
    strategy_source VARCHAR NOT NULL DEFAULT '',
    params VARCHAR NOT NULL,              -- JSON object of parameter values
    symbols VARCHAR[] NOT NULL,
    period VARCHAR NOT NULL,
    start_ns BIGINT,                      -- requested range; NULL = open
    end_ns BIGINT,
    capital DOUBLE NOT NULL,
    commission VARCHAR NOT NULL,
    slippage_ticks DOUBLE NOT NULL,
    app_version VARCHAR NOT NULL,
    data_fingerprint VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN {RUN_STATUSES!r}),
    started_at TIMESTAMP NOT NULL,        -- wall clock, UTC
    ended_at TIMESTAMP,
    error VARCHAR,
    notes VARCHAR NOT NULL DEFAULT '',
    tags VARCHAR[] NOT NULL DEFAULT [],
    bars BIGINT NOT NULL DEFAULT 0,
    indicators VARCHAR NOT NULL DEFAULT '[]',  -- JSON [[line, "price"|"pane", group], ...]
    first_bar_ns BIGINT,
    last_bar_ns BIGINT,
    -- headline statistics, set when the run ends (the full list is in run_stats)
    equity_final DOUBLE,
    return_pct DOUBLE,
    cagr_pct DOUBLE,
    sharpe DOUBLE,
    max_drawdown_pct DOUBLE,
    trades BIGINT,
    win_rate_pct DOUBLE,
    profit_factor DOUBLE
);
CREATE TABLE run_bars (
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, symbol VARCHAR NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE
);
CREATE TABLE run_indicators (
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, symbol VARCHAR NOT NULL,
    strategy_id VARCHAR NOT NULL, name VARCHAR NOT NULL, value DOUBLE
);
CREATE TABLE run_orders (              -- order submission requests
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, order_id BIGINT NOT NULL,
    strategy_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
    order_type VARCHAR NOT NULL, quantity DOUBLE, limit_price DOUBLE, stop_price DOUBLE,
    time_in_force VARCHAR NOT NULL, expire_ns BIGINT
);
CREATE TABLE run_order_changes (       -- modification and cancellation requests
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, order_id BIGINT NOT NULL,
    strategy_id VARCHAR NOT NULL, kind VARCHAR NOT NULL CHECK (kind IN ('modify', 'cancel')),
    quantity DOUBLE, limit_price DOUBLE, stop_price DOUBLE
);
CREATE TABLE run_responses (           -- the broker's answers
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, order_id BIGINT NOT NULL,
    strategy_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('accepted', 'rejected', 'modified', 'modify_rejected',
                                          'cancelled', 'cancel_rejected')),
    reason VARCHAR, message VARCHAR, quantity DOUBLE, limit_price DOUBLE, stop_price DOUBLE
);
CREATE TABLE run_fills (
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, fill_id BIGINT NOT NULL, order_id BIGINT NOT NULL,
    strategy_id VARCHAR NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL,
    quantity DOUBLE NOT NULL, price DOUBLE NOT NULL, commission DOUBLE NOT NULL
);
CREATE TABLE run_expirations (
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, order_id BIGINT NOT NULL,
    strategy_id VARCHAR NOT NULL
);
CREATE TABLE run_equity (
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL,
    cash DOUBLE, position_value DOUBLE, equity DOUBLE, drawdown_pct DOUBLE
);
CREATE TABLE run_trades (
    run_id BIGINT NOT NULL, symbol VARCHAR NOT NULL, side VARCHAR NOT NULL, size DOUBLE,
    entry_ts BIGINT, exit_ts BIGINT, entry_price DOUBLE, exit_price DOUBLE, pnl DOUBLE,
    return_pct DOUBLE, commission DOUBLE, duration_ns BIGINT, duration_bars BIGINT,
    mae_pct DOUBLE, mfe_pct DOUBLE
);
CREATE TABLE run_stats (
    run_id BIGINT NOT NULL, name VARCHAR NOT NULL, value DOUBLE,
    PRIMARY KEY (run_id, name)
);
"""

HEADLINE_STATS = {
    "equity_final": "Equity Final [$]",
    "return_pct": "Return [%]",
    "cagr_pct": "CAGR [%]",
    "sharpe": "Sharpe Ratio",
    "max_drawdown_pct": "Max. Drawdown [%]",
    "trades": "# Trades",
    "win_rate_pct": "Win Rate [%]",
    "profit_factor": "Profit Factor",
}
"""The statistics ``runs`` keeps in columns of its own (column -> statistic), for listing."""

RECORDED_TABLES = (
    "run_bars",
    "run_indicators",
    "run_orders",
    "run_order_changes",
    "run_responses",
    "run_fills",
    "run_expirations",
    "run_logs",
)
"""The tables a recorder writes while the run lasts (the results come after, in one go)."""

EVENT_TABLES = (*RECORDED_TABLES, "run_equity", "run_trades", "run_stats")
"""Every table of a run's rows, besides ``runs``."""

V4_INVALID_REQUESTS = """
ALTER TABLE run_orders ALTER COLUMN symbol DROP NOT NULL;
ALTER TABLE run_orders ALTER COLUMN time_in_force DROP NOT NULL;
ALTER TABLE run_orders ADD COLUMN invalid VARCHAR;
ALTER TABLE run_order_changes ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE run_order_changes ADD COLUMN invalid VARCHAR;
ALTER TABLE run_responses ALTER COLUMN order_id DROP NOT NULL;
"""
"""Migration 4: every order a strategy tries is recorded, malformed ones too. A request field
that could not be read is NULL and ``invalid`` says why (the broker's rejection repeats it);
NULLs appear only in rows whose ``invalid`` is set."""

V5_RUN_LOGS = """
CREATE TABLE run_logs (                -- what the strategy said with self.log(...)
    run_id BIGINT NOT NULL, ts BIGINT NOT NULL, strategy_id VARCHAR NOT NULL,
    symbol VARCHAR NOT NULL, message VARCHAR NOT NULL
);
"""
"""Migration 5: a strategy's messages are kept with its run, stamped with the bar it was
handling (``ts`` 0: logged in ``setup``, before any bar)."""

RUN_EXECUTOR = """
ALTER TABLE runs ADD COLUMN executor VARCHAR NOT NULL DEFAULT 'threaded';
"""
"""Migration 7: which executor ran a run (``ostdesk.engine.runner.EXECUTORS``): 'threaded'
(the window, ``ostdesk backtest``) or 'sync' (``--fast``, sweeps). Runs recorded before read
as 'threaded', the only executor there was."""
