"""Cached prompt tokens in the usage table, including a database made before they existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jupyter_codeagent.store import SCHEMA_VERSION, SessionStore
from jupyter_codeagent.store.schema import MIGRATIONS, migrate


def test_a_version_1_database_gains_the_cached_token_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(raw, MIGRATIONS[:1]) == 1  # the schema before cached tokens
        raw.execute(
            "INSERT INTO sessions (id, notebook_path, status, created, updated) "
            "VALUES ('s1', 'a.ipynb', 'idle', 1, 1)"
        )
        raw.execute(
            "INSERT INTO usage (session_id, role, model, input_tokens, output_tokens, "
            "cost_usd, ts) VALUES ('s1', 'coder', 'gpt', 100, 10, 0.5, 1)"
        )
    finally:
        raw.close()
    with SessionStore(path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        store.add_usage(
            "s1",
            role="coder",
            model="gpt",
            input_tokens=1000,
            output_tokens=20,
            cost_usd=0.25,
            cache_read_tokens=900,
            cache_write_tokens=50,
        )
        store.add_usage(
            "s1", role="planner", model="gpt", input_tokens=7, output_tokens=1, cost_usd=None
        )
        totals = store.usage_totals("s1")
    assert totals["input_tokens"] == 1107 and totals["calls"] == 3
    assert (totals["cache_read_tokens"], totals["cache_write_tokens"]) == (900, 50)
    coder = totals["by_role"]["coder"]
    assert (coder["cache_read_tokens"], coder["cache_write_tokens"], coder["calls"]) == (900, 50, 2)
    assert totals["by_role"]["planner"]["cache_read_tokens"] == 0
    assert totals["cost_usd"] == 0.75
