"""No command reaches for the network: DuckDB's extension auto-install is off everywhere, URLs
are refused, and a SQLite file given as the database is refused before DuckDB sees it.

The commands run in a subprocess under ``strace``, which records every network system call
(DuckDB's downloads are C++, out of reach of Python's audit hooks), with HOME in a temp folder
where DuckDB would create ``.duckdb/extensions``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ostdesk.store import Database, StoreError
from ostdesk.store.export import export_run
from ostdesk.store.importer import import_bars
from ostdesk.store.offline import OFFLINE_CONFIG


def _traced(args: list[str], home: Path, trace: Path) -> subprocess.CompletedProcess[str]:
    """``python -m ostdesk ARGS`` under strace, writing the network calls it makes to ``trace``."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed; it is what sees DuckDB's own sockets")
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    env.pop("OSTDESK_DB", None)
    command = ["strace", "-f", "-qq", "-e", "trace=%network,execve", "-o", str(trace)]
    done = subprocess.run(
        [*command, sys.executable, "-m", "ostdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if not trace.exists() or "execve(" not in trace.read_text():
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()[:200]}")
    return done


@pytest.fixture
def ostdesk_db(tmp_path: Path) -> Path:
    path = tmp_path / "ostdesk.duckdb"
    Database.open(path).close()
    return path


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return path


def _command(case: str, ostdesk_db: Path, sqlite_file: Path, tmp_path: Path) -> list[str]:
    csv = tmp_path / "bars.csv"
    csv.write_text("timestamp,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,10\n")
    db = ["--db", str(ostdesk_db)]
    return {
        "sqlite as --db": ["runs", "--db", str(sqlite_file)],
        "sqlite as --db for import": [
            "import",
            str(csv),
            "--symbol",
            "X",
            "--period",
            "day",
            "--db",
            str(sqlite_file),
        ],
        "export to http": ["export", "1", "--what", "fills", "-o", "http://example.com/f.csv", *db],
        "export to s3": ["export", "1", "--what", "fills", "-o", "s3://bucket/f.parquet", *db],
        "import from https": [
            "import",
            "https://example.com/bars.csv",
            "--symbol",
            "X",
            "--period",
            "day",
            *db,
        ],
        "import from gs": [
            "import",
            "gs://bucket/bars.csv",
            "--symbol",
            "X",
            "--period",
            "day",
            *db,
        ],
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "sqlite as --db",
        "sqlite as --db for import",
        "export to http",
        "export to s3",
        "import from https",
        "import from gs",
    ],
)
def test_a_command_given_a_url_or_a_sqlite_file_refuses_it_without_the_network(
    case: str, ostdesk_db: Path, sqlite_file: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    trace = tmp_path / "trace.txt"
    sqlite_before = sqlite_file.read_bytes()
    done = _traced(_command(case, ostdesk_db, sqlite_file, tmp_path), home, trace)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "is a URL" in lines[0] or "is a SQLite database" in lines[0]
    calls = trace.read_text()
    internet = [c for c in calls.splitlines() if "AF_INET" in c]
    assert internet == [], "\n".join(internet)
    assert not (home / ".duckdb").exists()
    assert sqlite_file.read_bytes() == sqlite_before


def test_every_connection_of_the_store_has_extension_auto_install_off(ostdesk_db: Path) -> None:
    names = list(OFFLINE_CONFIG)
    query = "SELECT " + ", ".join(f"current_setting('{n}')" for n in names)
    with Database.open(ostdesk_db) as db:
        cur = db.cursor()
        for con in (db.connection, cur):
            assert con.execute(query).fetchall() == [tuple(False for _ in names)]
        db.release(cur)


def test_a_url_reaching_the_store_directly_is_refused(ostdesk_db: Path, tmp_path: Path) -> None:
    with Database.open(ostdesk_db) as db:
        with pytest.raises(StoreError, match="is a URL"):
            export_run(db, 1, "fills", "https://example.com/f.csv", "csv")
        with pytest.raises(StoreError, match="is a URL"):
            import_bars(db, "s3://bucket/bars.csv", symbol="X", period="day")


def test_a_query_needing_an_extension_fails_instead_of_fetching_it(ostdesk_db: Path) -> None:
    with Database.open(ostdesk_db) as db, pytest.raises(duckdb.Error, match="httpfs"):
        db.connection.execute("SELECT * FROM read_csv('https://example.com/bars.csv')")
