"""SessionStore: every method, restart survival, recovery, cascades and the schema."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.errors import Conflict, NotFound
from jupyter_codeagent.store import (
    SCHEMA_VERSION,
    CellRecord,
    SessionRecord,
    SessionStore,
    StoreSchemaError,
)
from jupyter_codeagent.store.schema import MIGRATIONS, migrate
from jupyter_codeagent.store.session_store import UNSTORED_SEQS

UNICODE = 'Umsatz € — 売上 📈 \u00e9\u0301 "quoted" \\ back\nslash\ttab \x00nul'


@pytest.fixture
def store() -> Iterator[SessionStore]:
    with SessionStore(":memory:") as s:
        yield s


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "dir" / "codeagent.db"  # parents created by the store


def make_cell(cell_id: str = "c1", **changes: Any) -> CellRecord:
    fields: dict[str, Any] = {
        "cell_id": cell_id,
        "task_id": "t1",
        "source": "df.describe()",
        "explanation": "Summary statistics.",
        "review": {"verdict": "approve", "risk": "low", "findings": []},
        "status": "proposed",
        "outputs": [],
        "execution_count": None,
        "created": 100.0,
        "updated": 100.0,
    }
    fields.update(changes)
    return CellRecord(**fields)


def populate(store: SessionStore, session_id: str) -> None:
    """Put one row of every kind under ``session_id``."""
    store.append_event(session_id, "run_started", {})
    store.add_message(session_id, turn=0, role="user", text="hi")
    store.save_plan(session_id, [{"id": "t1", "title": "Load", "status": "pending"}])
    store.save_cell(session_id, make_cell())
    store.add_usage(
        session_id, role="coder", model="m", input_tokens=1, output_tokens=2, cost_usd=0.5
    )
    add_audit(store, session_id)
    store.save_memory(session_id, {"summary": "s"})


def add_audit(store: SessionStore, session_id: str, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "cell_id": "c1",
        "code": "df.describe()",
        "approved_by": "user",
        "policy": "always",
        "findings": [],
        "verdict": "approve",
        "reviewer_risk": "low",
        "outcome": "ran",
        "started": 1.0,
        "finished": 2.0,
    }
    fields.update(changes)
    return store.add_audit(session_id, **fields)


def snapshot(store: SessionStore, session_id: str) -> dict[str, Any]:
    """Everything the store knows about a session, as plain JSON-able data."""
    return {
        "session": store.get_session(session_id).to_json(),
        "events": [e.to_json() for e in store.events_after(session_id)],
        "messages": [m.to_json() for m in store.messages(session_id)],
        "plan": store.get_plan(session_id),
        "cells": [c.to_json() for c in store.list_cells(session_id)],
        "usage": store.usage_totals(session_id),
        "audit": [a.to_json() for a in store.audit(session_id)],
        "memory": store.load_memory(session_id),
    }


# --- schema and connection ----------------------------------------------------------


def test_file_pragmas_and_schema_version(db_path: Path) -> None:
    with SessionStore(db_path) as store:
        conn = store._db
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1


def test_newer_schema_is_refused(db_path: Path) -> None:
    SessionStore(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreSchemaError, match="newer"):
        SessionStore(db_path)


def test_forward_migration_keeps_data(db_path: Path) -> None:
    with SessionStore(db_path) as store:
        sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    extra = (*MIGRATIONS, ("ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",))
    raw = sqlite3.connect(db_path, isolation_level=None)
    try:
        assert migrate(raw, extra) == SCHEMA_VERSION + 1
        assert migrate(raw, extra) == SCHEMA_VERSION + 1  # idempotent
        assert raw.execute("SELECT id, pinned FROM sessions").fetchall() == [(sid, 0)]
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    finally:
        raw.close()


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(raw, [("CREATE TABLE ok (a)", "THIS IS NOT SQL")])
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
        assert raw.execute("SELECT name FROM sqlite_master").fetchall() == []
    finally:
        raw.close()


def test_close_is_idempotent_and_final() -> None:
    store = SessionStore(":memory:")
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.list_sessions()


# --- sessions -----------------------------------------------------------------------


def test_create_and_get_session(store: SessionStore) -> None:
    record = store.create_session(notebook_path="nb/a.ipynb", kernel_id="k1", title="T")
    assert len(record.id) == 32 and record.status == "idle"
    assert record.created == record.updated
    assert store.get_session(record.id) == record
    assert store.find_session(record.id) == record
    assert record.to_json() == {
        "id": record.id,
        "notebook_path": "nb/a.ipynb",
        "kernel_id": "k1",
        "title": "T",
        "status": "idle",
        "created": record.created,
        "updated": record.updated,
    }
    chosen = store.create_session(notebook_path="b.ipynb", kernel_id=None, session_id="mine")
    assert chosen.id == "mine" and chosen.kernel_id is None and chosen.title == ""


def test_duplicate_and_bad_ids(store: SessionStore) -> None:
    store.create_session(notebook_path="a.ipynb", kernel_id=None, session_id="s")
    with pytest.raises(Conflict):
        store.create_session(notebook_path="b.ipynb", kernel_id=None, session_id="s")
    with pytest.raises(TypeError):
        store.create_session(notebook_path="b.ipynb", kernel_id=None, session_id=7)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.create_session(notebook_path="b.ipynb", kernel_id=None, session_id="")
    assert [s.id for s in store.list_sessions()] == ["s"]


def test_unknown_session_raises_not_found(store: SessionStore) -> None:
    assert store.find_session("nope") is None
    calls = [
        lambda: store.get_session("nope"),
        lambda: store.update_session("nope", status="done"),
        lambda: store.delete_session("nope"),
        lambda: store.append_event("nope", "run_started", {}),
        lambda: store.events_after("nope"),
        lambda: store.last_seq("nope"),
        lambda: store.add_message("nope", turn=0, role="user", text="x"),
        lambda: store.messages("nope"),
        lambda: store.save_plan("nope", []),
        lambda: store.get_plan("nope"),
        lambda: store.save_cell("nope", make_cell()),
        lambda: store.get_cell("nope", "c1"),
        lambda: store.list_cells("nope"),
        lambda: store.add_usage(
            "nope", role="coder", model="m", input_tokens=1, output_tokens=1, cost_usd=None
        ),
        lambda: store.usage_totals("nope"),
        lambda: add_audit(store, "nope"),
        lambda: store.audit("nope"),
        lambda: store.save_memory("nope", {}),
        lambda: store.load_memory("nope"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert store.list_sessions() == []  # and nothing was written


def test_list_sessions_newest_activity_first(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = itertools.count(1000.0)  # strictly increasing: no same-microsecond ties
    monkeypatch.setattr(time, "time", lambda: float(next(clock)))
    a = store.create_session(notebook_path="a.ipynb", kernel_id=None)
    b = store.create_session(notebook_path="b.ipynb", kernel_id=None)
    store.append_event(a.id, "run_started", {})
    assert [s.id for s in store.list_sessions()] == [a.id, b.id]
    store.add_message(b.id, turn=0, role="user", text="hello")
    assert [s.id for s in store.list_sessions()] == [b.id, a.id]


def test_update_session(store: SessionStore) -> None:
    created = store.create_session(notebook_path="a.ipynb", kernel_id="k1", title="old")
    running = store.update_session(created.id, status="running")
    assert (running.status, running.title, running.kernel_id) == ("running", "old", "k1")
    assert running.updated >= created.updated and running.created == created.created
    renamed = store.update_session(created.id, title="new", kernel_id="k2")
    assert (renamed.status, renamed.title, renamed.kernel_id) == ("running", "new", "k2")
    assert store.get_session(created.id) == renamed


def test_delete_cascades_to_everything(store: SessionStore) -> None:
    doomed = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    kept = store.create_session(notebook_path="b.ipynb", kernel_id=None).id
    populate(store, doomed)
    populate(store, kept)
    before = snapshot(store, kept)
    store.delete_session(doomed)
    assert store.find_session(doomed) is None
    tables = ["events", "messages", "plans", "cells", "usage", "audit", "memories"]
    for table in tables:
        rows = store._db.execute(f"SELECT session_id FROM {table}").fetchall()
        assert rows == [(kept,)], table
    assert snapshot(store, kept) == before
    with pytest.raises(NotFound):
        store.delete_session(doomed)


# --- events -------------------------------------------------------------------------


def test_event_seq_is_gapless_and_replayable(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    other = store.create_session(notebook_path="b.ipynb", kernel_id=None).id
    assert store.last_seq(sid) == 0 and store.events_after(sid) == []
    for i in range(1, 11):
        event = store.append_event(sid, "delta", {"agent": "coder", "text": f"t{i}"})
        assert event.seq == i
        store.append_event(other, "delta", {"text": "x"})  # per-session numbering
    assert store.last_seq(sid) == 10 and store.last_seq(other) == 10
    assert [e.seq for e in store.events_after(sid)] == list(range(1, 11))
    assert [e.seq for e in store.events_after(sid, after=7)] == [8, 9, 10]
    assert [e.seq for e in store.events_after(sid, after=2, limit=3)] == [3, 4, 5]
    assert store.events_after(sid, after=10) == []
    assert store.events_after(sid, after=0, limit=0) == []
    replayed = store.events_after(sid, after=4, limit=1)[0]
    assert replayed.to_json() == {
        "seq": 5,
        "ts": replayed.ts,
        "type": "delta",
        "agent": "coder",
        "text": "t5",
    }


def test_event_envelope_keys_are_reserved(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    with pytest.raises(ValueError, match="seq"):
        store.append_event(sid, "message", {"seq": 99, "text": "x"})
    assert store.last_seq(sid) == 0


def test_failed_write_rolls_back_and_leaves_no_gap(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    store.append_event(sid, "run_started", {})
    with pytest.raises(TypeError):
        store.append_event(sid, "message", {"text": object()})
    assert store.append_event(sid, "run_finished", {"status": "done"}).seq == 2
    assert not store._db.in_transaction


# --- messages, plan, cells, usage, audit, memory ------------------------------------


def test_messages(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    first = store.add_message(sid, turn=0, role="user", text="Load sales.csv")
    second = store.add_message(sid, turn=0, role="assistant", text=UNICODE, agent="coder")
    assert second.id > first.id and first.agent is None
    assert store.messages(sid) == [first, second]
    assert second.to_json() == {
        "id": second.id,
        "turn": 0,
        "role": "assistant",
        "agent": "coder",
        "text": UNICODE,
        "ts": second.ts,
    }


def test_plan(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    assert store.get_plan(sid) == []
    tasks: list[dict[str, Any]] = [
        {"id": "t1", "title": "Load", "description": UNICODE, "status": "done", "note": None},
        {"id": "t2", "title": "Plot", "description": "", "status": "pending", "note": "x"},
    ]
    store.save_plan(sid, tasks)
    assert store.get_plan(sid) == tasks
    store.save_plan(sid, tasks[1:])
    assert store.get_plan(sid) == tasks[1:]


def test_cells_upsert_keeps_created_and_order(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    store.save_cell(sid, make_cell("b", created=200.0, updated=200.0))
    store.save_cell(sid, make_cell("a", created=100.0, updated=100.0))
    executed = make_cell(
        "b",
        status="ok",
        source="df.head()",
        outputs=[{"output_type": "stream", "name": "stdout", "text": UNICODE}],
        execution_count=3,
        created=999.0,  # ignored on update: the first save fixed it
        updated=300.0,
    )
    store.save_cell(sid, executed)
    got = store.get_cell(sid, "b")
    assert got == make_cell(
        "b",
        status="ok",
        source="df.head()",
        outputs=executed.outputs,
        execution_count=3,
        created=200.0,
        updated=300.0,
    )
    assert [c.cell_id for c in store.list_cells(sid)] == ["b", "a"]  # first-saved order
    assert got.to_json()["outputs"][0]["text"] == UNICODE
    with pytest.raises(NotFound, match="cell"):
        store.get_cell(sid, "missing")
    with pytest.raises(TypeError):
        store.save_cell(sid, make_cell(""))


def test_usage_totals(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    assert store.usage_totals(sid) == {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
        "cost_usd": None,
        "calls": 0,
        "by_role": {},
    }
    store.add_usage(
        sid, role="planner", model="local", input_tokens=10, output_tokens=1, cost_usd=None
    )
    assert store.usage_totals(sid)["cost_usd"] is None  # unknown price is not "free"
    store.add_usage(
        sid, role="coder", model="gpt", input_tokens=100, output_tokens=20, cost_usd=0.25
    )
    store.add_usage(
        sid,
        role="coder",
        model="gpt",
        input_tokens=50,
        output_tokens=5,
        cost_usd=0.5,
        cache_read_tokens=40,
        cache_write_tokens=2,
    )
    coder = {"input_tokens": 150, "output_tokens": 25, "cost_usd": 0.75, "calls": 2}
    planner = {"input_tokens": 10, "output_tokens": 1, "cost_usd": None, "calls": 1}
    assert store.usage_totals(sid) == {
        "input_tokens": 160,
        "output_tokens": 26,
        "cache_read_tokens": 40,
        "cache_write_tokens": 2,
        "cost_usd": 0.75,
        "calls": 3,
        "by_role": {
            "coder": {**coder, "cache_read_tokens": 40, "cache_write_tokens": 2},
            "planner": {**planner, "cache_read_tokens": 0, "cache_write_tokens": 0},
        },
    }


def test_audit(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    findings = [{"rule": "shell", "severity": "block", "message": f"os.system {UNICODE}"}]
    ran = add_audit(store, sid)
    blocked = add_audit(
        store,
        sid,
        cell_id="c2",
        code="import os; os.system('rm -rf /')",
        approved_by=None,
        policy="never",
        findings=findings,
        verdict="block",
        reviewer_risk="high",
        outcome="blocked",
        detail="analyzer: shell",
    )
    assert blocked.id > ran.id and ran.detail == ""
    assert store.audit(sid) == [ran, blocked]
    assert blocked.to_json() == {
        "id": blocked.id,
        "session_id": sid,
        "cell_id": "c2",
        "code": "import os; os.system('rm -rf /')",
        "approved_by": None,
        "policy": "never",
        "findings": findings,
        "verdict": "block",
        "reviewer_risk": "high",
        "outcome": "blocked",
        "detail": "analyzer: shell",
        "started": 1.0,
        "finished": 2.0,
    }


def test_audit_ids_are_never_reused(store: SessionStore) -> None:
    a = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    first = add_audit(store, a)
    store.delete_session(a)
    b = store.create_session(notebook_path="b.ipynb", kernel_id=None).id
    assert add_audit(store, b).id > first.id


def test_memory(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    assert store.load_memory(sid) == {}
    memory = {"summary": UNICODE, "variables": {"df": {"summary": "DataFrame 3x2", "step": 4}}}
    store.save_memory(sid, memory)
    assert store.load_memory(sid) == memory
    store.save_memory(sid, {"summary": ""})
    assert store.load_memory(sid) == {"summary": ""}


def test_json_is_compact_utf8_and_round_trips(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    payload = {"text": UNICODE, "nested": {"list": [1, 2.5, None, True, "ü"]}, "n": -0.0}
    store.append_event(sid, "message", payload)
    (raw,) = store._db.execute("SELECT data FROM events").fetchone()
    assert raw == json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    assert "📈" in raw and ", " not in raw.replace(UNICODE, "")
    assert store.events_after(sid)[0].data == payload
    # A lone surrogate (undecodable kernel bytes) cannot be UTF-8 TEXT; it is escaped.
    odd = {"text": "bad \udcff byte"}
    store.append_event(sid, "message", odd)
    assert store.events_after(sid, after=1)[0].data == odd


# --- restart and recovery -----------------------------------------------------------


def test_reopen_keeps_everything(db_path: Path) -> None:
    with SessionStore(db_path) as store:
        sid = store.create_session(notebook_path="a.ipynb", kernel_id="k", title="T").id
        populate(store, sid)
        before = snapshot(store, sid)
    with SessionStore(db_path) as store:
        assert snapshot(store, sid) == before
        assert store.append_event(sid, "run_started", {}).seq == len(before["events"]) + 1
        assert [s.id for s in store.list_sessions()] == [sid]


def test_mark_running_sessions_failed(db_path: Path) -> None:
    with SessionStore(db_path) as store:
        ids: dict[str, str] = {}
        for status in ("idle", "running", "waiting", "done", "failed", "stopped"):
            ids[status] = store.create_session(notebook_path=f"{status}.ipynb", kernel_id=None).id
            if status != "idle":
                store.update_session(ids[status], status=status)
            store.append_event(ids[status], "run_started", {})
    # "Server restart": a new store on the same file, as extension startup does it.
    with SessionStore(db_path) as store:
        reason = "The server restarted while this run was in progress."
        failed = store.mark_running_sessions_failed(reason)
        assert sorted(failed) == sorted([ids["running"], ids["waiting"]])
        for status, sid in ids.items():
            record: SessionRecord = store.get_session(sid)
            events = [e.to_json() for e in store.events_after(sid)]
            if sid in failed:
                assert record.status == "failed"
                # Numbered past the deltas that may have been sent but not stored yet.
                assert [(e["seq"], e["type"]) for e in events] == [
                    (1, "run_started"),
                    (UNSTORED_SEQS + 2, "error"),
                    (UNSTORED_SEQS + 3, "run_finished"),
                ]
                assert events[1]["code"] == "interrupted" and events[1]["message"] == reason
                assert events[2]["status"] == "failed" and events[2]["summary"] == reason
            else:
                assert record.status == status and len(events) == 1
        assert store.mark_running_sessions_failed(reason) == []
        # The session can continue after recovery.
        again = store.update_session(ids["running"], status="running")
        assert again.status == "running"
        assert store.append_event(ids["running"], "run_started", {}).seq == UNSTORED_SEQS + 4
