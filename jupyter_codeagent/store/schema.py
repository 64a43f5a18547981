"""Opening the SQLite file and bringing its schema up to date.

The schema version lives in ``PRAGMA user_version`` (an integer in the file header, so
no bookkeeping table). ``MIGRATIONS[n]`` takes a database from version ``n`` to
``n + 1``; versions only ever move forward, and a file written by a newer release is
refused rather than guessed at.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from ..errors import CodeAgentError

# Every child table cascades from ``sessions`` so deleting a session is one statement,
# and its ``session_id`` leads an index (a UNIQUE or the one declared) so both the
# per-session reads and the cascade are index look-ups, not table scans.
_V1: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id            TEXT PRIMARY KEY,
        notebook_path TEXT NOT NULL,
        kernel_id     TEXT,
        title         TEXT NOT NULL DEFAULT '',
        status        TEXT NOT NULL,
        created       REAL NOT NULL,
        updated       REAL NOT NULL
    )
    """,
    # Events keep a rowid (not WITHOUT ROWID) because cell outputs make some rows large.
    """
    CREATE TABLE events (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        ts         REAL NOT NULL,
        type       TEXT NOT NULL,
        data       TEXT NOT NULL,
        UNIQUE (session_id, seq)
    )
    """,
    """
    CREATE TABLE messages (
        id         INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        turn       INTEGER NOT NULL,
        role       TEXT NOT NULL,
        agent      TEXT,
        text       TEXT NOT NULL,
        ts         REAL NOT NULL
    )
    """,
    "CREATE INDEX messages_by_session ON messages (session_id, id)",
    """
    CREATE TABLE plans (
        session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        tasks      TEXT NOT NULL,
        updated    REAL NOT NULL
    )
    """,
    # ``pk`` is an explicit INTEGER PRIMARY KEY because it defines creation order and an
    # implicit rowid may be renumbered by VACUUM.
    """
    CREATE TABLE cells (
        pk              INTEGER PRIMARY KEY,
        session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        cell_id         TEXT NOT NULL,
        task_id         TEXT,
        source          TEXT NOT NULL,
        explanation     TEXT NOT NULL,
        review          TEXT NOT NULL,
        status          TEXT NOT NULL,
        outputs         TEXT NOT NULL,
        execution_count INTEGER,
        created         REAL NOT NULL,
        updated         REAL NOT NULL,
        UNIQUE (session_id, cell_id)
    )
    """,
    """
    CREATE TABLE usage (
        id            INTEGER PRIMARY KEY,
        session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        role          TEXT NOT NULL,
        model         TEXT NOT NULL,
        input_tokens  INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd      REAL,
        ts            REAL NOT NULL
    )
    """,
    "CREATE INDEX usage_by_session ON usage (session_id, role)",
    # AUTOINCREMENT so an audit id is never reused, even after the newest row's
    # session is deleted: ids stay unambiguous in anything that quoted them.
    """
    CREATE TABLE audit (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        cell_id       TEXT NOT NULL,
        code          TEXT NOT NULL,
        approved_by   TEXT,
        policy        TEXT NOT NULL,
        findings      TEXT NOT NULL,
        verdict       TEXT,
        reviewer_risk TEXT,
        outcome       TEXT NOT NULL,
        detail        TEXT NOT NULL,
        started       REAL NOT NULL,
        finished      REAL NOT NULL
    )
    """,
    "CREATE INDEX audit_by_session ON audit (session_id, id)",
    """
    CREATE TABLE memories (
        session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        data       TEXT NOT NULL,
        updated    REAL NOT NULL
    )
    """,
)

# Turns are found by their ``run_started`` events, and deltas folded by type: both need
# the event log by type without a scan of the whole session.
_V2: tuple[str, ...] = ("CREATE INDEX events_by_type ON events (session_id, type, seq)",)

# Cached prompt tokens per model call (issues 13, 15): how much of ``input_tokens`` the
# provider's prompt cache served (cache_read) or stored (cache_write). Existing rows
# predate caching and read 0. ADD COLUMN with a constant default rewrites nothing.
_V3: tuple[str, ...] = (
    "ALTER TABLE usage ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE usage ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0",
)

# Issue 15: usage per run, budgets, search, and opens whose cost does not grow.
# - ``usage.turn``: the run (user request) a call belongs to; NULL for older rows.
# - ``spend``: one row per model call, kept when its session is deleted, so the day's
#   budget cannot be reset by deleting sessions; read by time (``spend_by_ts``).
# - indexes by time for the bounded snapshot (messages, cells and audit since the
#   first turn shown), so opening reads only the turns it shows.
# - ``usage_sums``: each session's usage totals per role, kept by a trigger, so the
#   totals every snapshot (and every model call) reads cost the same at any length.
# - ``messages_fts``: full-text search of the conversation (external content: the text
#   is stored once, in ``messages``; triggers keep the index in step, cascades included).
_V4: tuple[str, ...] = (
    "ALTER TABLE usage ADD COLUMN turn INTEGER",
    "CREATE INDEX usage_by_turn ON usage (session_id, turn)",
    """
    CREATE TABLE spend (
        id       INTEGER PRIMARY KEY,
        ts       REAL NOT NULL,
        tokens   INTEGER NOT NULL,
        cost_usd REAL
    )
    """,
    "CREATE INDEX spend_by_ts ON spend (ts)",
    "INSERT INTO spend (ts, tokens, cost_usd) "
    "SELECT ts, input_tokens + output_tokens, cost_usd FROM usage ORDER BY id",
    """
    CREATE TABLE usage_sums (
        session_id         TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        role               TEXT NOT NULL,
        input_tokens       INTEGER NOT NULL,
        output_tokens      INTEGER NOT NULL,
        cache_read_tokens  INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cost_usd           REAL,
        calls              INTEGER NOT NULL,
        PRIMARY KEY (session_id, role)
    ) WITHOUT ROWID
    """,
    # cost_usd stays NULL while no call of the role had a price ("unknown", not "free").
    "CREATE TRIGGER usage_sums_insert AFTER INSERT ON usage BEGIN "
    "INSERT INTO usage_sums VALUES (new.session_id, new.role, new.input_tokens, "
    "new.output_tokens, new.cache_read_tokens, new.cache_write_tokens, new.cost_usd, 1) "
    "ON CONFLICT (session_id, role) DO UPDATE SET "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, "
    "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
    "cost_usd = CASE WHEN excluded.cost_usd IS NULL THEN cost_usd "
    "ELSE COALESCE(cost_usd, 0) + excluded.cost_usd END, "
    "calls = calls + 1; END",
    "INSERT INTO usage_sums SELECT session_id, role, SUM(input_tokens), SUM(output_tokens), "
    "SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(cost_usd), COUNT(*) "
    "FROM usage GROUP BY session_id, role",
    "CREATE INDEX messages_by_ts ON messages (session_id, ts)",
    "CREATE INDEX messages_by_turn ON messages (session_id, turn)",
    "CREATE INDEX cells_by_created ON cells (session_id, created)",
    "CREATE INDEX audit_by_started ON audit (session_id, started)",
    "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
    "text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)

# How long a write waits for another connection's write lock (another server process,
# or a second store on the same file) before giving up. Writes are single short
# transactions, so contention clears in milliseconds; this only bounds pathological cases.
BUSY_TIMEOUT_S = 10.0


class StoreSchemaError(CodeAgentError):
    """The database file was written by a newer jupyter-codeagent than this one."""

    code = "store_schema"


def connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` with the store's pragmas."""
    target = os.fspath(path)
    if target != ":memory:" and not target.startswith("file:"):
        # The default lives under the Jupyter data dir, which may not exist yet.
        parent = os.path.dirname(os.path.abspath(target))
        os.makedirs(parent, exist_ok=True)
    # isolation_level=None: the store issues BEGIN/COMMIT itself so every write is
    # exactly one explicit transaction. check_same_thread=False: the store serializes
    # access with its own lock, so a caller may use it from an executor thread.
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_S,
        isolation_level=None,
        check_same_thread=False,
        uri=target.startswith("file:"),
    )
    try:
        # WAL: readers (event replay) never block the writer and vice versa, and a
        # commit is an append instead of a rewrite. With WAL, synchronous=NORMAL stays
        # corruption-safe; a power cut may lose only the last commits, which is an
        # acceptable price for not fsyncing on every streamed event.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Off by default in SQLite and per connection; the cascades depend on it.
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Apply the missing forward migrations in one transaction; return the new version.

    BEGIN IMMEDIATE takes the write lock before reading the version, so two processes
    opening a fresh file at once cannot both run the same migration.
    """
    target = len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > target:
            raise StoreSchemaError(
                f"The session database has schema version {version}, newer than the "
                f"{target} this jupyter-codeagent understands; upgrade the extension."
            )
        for step in migrations[version:]:
            for statement in step:
                conn.execute(statement)
        if version != target:
            # PRAGMA arguments cannot be bound parameters; ``target`` is our own int.
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return target
