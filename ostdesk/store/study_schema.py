"""Schema of parameter studies (migration 6): a study's row, its trials and their statistics
(``ostdesk.store.studies`` reads and writes them)."""

from __future__ import annotations

STUDY_STATUSES = ("running", "completed", "cancelled", "interrupted", "failed")
TRIAL_STATUSES = ("completed", "failed", "timeout", "pruned")

V6_STUDIES = f"""
CREATE SEQUENCE study_ids START 1;
CREATE TABLE studies (
    study_id BIGINT PRIMARY KEY DEFAULT nextval('study_ids'),
    name VARCHAR NOT NULL DEFAULT '',
    strategy VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    objectives VARCHAR NOT NULL,          -- e.g. 'max Sharpe Ratio', several joined by '; '
    spec VARCHAR NOT NULL,                -- JSON, see ostdesk.research.spec.StudySpec
    data_fingerprint VARCHAR NOT NULL,
    backend VARCHAR NOT NULL,
    workers INTEGER NOT NULL,
    planned INTEGER,                      -- trials it will run (NULL: unknown)
    status VARCHAR NOT NULL CHECK (status IN {STUDY_STATUSES!r}),
    created_at TIMESTAMP NOT NULL,        -- wall clock, UTC
    ended_at TIMESTAMP,
    error VARCHAR
);
CREATE TABLE trials (
    study_id BIGINT NOT NULL,
    number INTEGER NOT NULL,              -- the method's own numbering (grid: combination)
    params VARCHAR NOT NULL,              -- JSON object of the searched parameters' values
    status VARCHAR NOT NULL CHECK (status IN {TRIAL_STATUSES!r}),
    objective DOUBLE[] NOT NULL,          -- the objectives' values, in the study's order
    feasible BOOLEAN NOT NULL,            -- meets every constraint
    error VARCHAR,
    duration_s DOUBLE NOT NULL,
    worker VARCHAR NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, number)
);
CREATE TABLE trial_stats (
    study_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    stat VARCHAR NOT NULL,                -- a name of ostdesk.store.stats.STAT_DEFINITIONS
    value DOUBLE                          -- durations in seconds, times in epoch seconds
);
"""

TRIAL_RETURNS = """
CREATE TABLE trial_returns (
    study_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    returns DOUBLE[] NOT NULL,            -- simple returns per day (or week...), as Sharpe's
    PRIMARY KEY (study_id, number)
);
"""
"""Each completed trial's per-period returns, for the Probability of Backtest Overfitting
(``ostdesk.research.robustness``); studies from before this migration have none."""
