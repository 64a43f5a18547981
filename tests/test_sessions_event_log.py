"""The event log of a session: every event sent at once, streamed deltas stored in
batches, replays exact, seqs that only grow (a real SQLite store)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_codeagent.sessions.event_log import FLUSH_EVENTS, FLUSH_SECONDS, EventLog
from jupyter_codeagent.store import SessionStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore(tmp_path / "log.db") as opened:
        yield opened


def _stored(store: SessionStore, session_id: str) -> list[tuple[int, str]]:
    return [(e.seq, e.type) for e in store.events_after(session_id)]


async def test_deltas_are_sent_at_once_and_stored_in_one_batch(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    log = EventLog(store, sid)
    queue = log.subscribe()
    log.append("run_started", {"turn": 0})
    for piece in ("one", " two", " three"):
        log.append("delta", {"agent": "planner", "text": piece}, batched=True)
    sent = [queue.get_nowait() for _ in range(4)]
    assert [(e.seq, e.type) for e in sent] == [
        (1, "run_started"),
        (2, "delta"),
        (3, "delta"),
        (4, "delta"),
    ]
    assert _stored(store, sid) == [(1, "run_started")]  # the deltas wait for their batch
    await asyncio.sleep(FLUSH_SECONDS * 3)
    assert _stored(store, sid) == [(e.seq, e.type) for e in sent]
    assert store.events_after(sid)[2].data == {"agent": "planner", "text": " two"}


async def test_any_other_event_or_a_subscriber_stores_the_batch_first(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    log = EventLog(store, sid)
    log.append("delta", {"agent": "coder", "text": "a"}, batched=True)
    log.append("message", {"role": "assistant", "agent": "coder", "text": "a"})
    assert _stored(store, sid) == [(1, "delta"), (2, "message")]  # in seq order
    log.append("delta", {"agent": "coder", "text": "b"}, batched=True)
    log.subscribe()  # a client about to replay the stored log must find everything
    assert _stored(store, sid)[-1] == (3, "delta")
    for index in range(FLUSH_EVENTS):  # a full batch is stored without waiting
        log.append("delta", {"agent": "coder", "text": str(index)}, batched=True)
    assert len(_stored(store, sid)) == 3 + FLUSH_EVENTS


def test_seqs_keep_growing_past_dropped_deltas(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    log = EventLog(store, sid)
    log.append("run_started", {"turn": 0})
    log.append("delta", {"agent": "planner", "text": "x"}, batched=True)  # stored at once:
    log.append("delta", {"agent": "planner", "text": "y"}, batched=True)  # no loop here
    log.drop_unstored()
    finished = log.append("run_finished", {"status": "done"})
    assert finished.seq == 4  # a client that saw seq 3 still gets the end of the run
    # A second log on the same session (a restarted server) continues after it.
    assert EventLog(store, sid).append("run_started", {"turn": 1}).seq == 5


async def test_dropped_before_the_timer_fires(store: SessionStore) -> None:
    sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    log = EventLog(store, sid)
    log.append("run_started", {"turn": 0})
    log.append("delta", {"agent": "planner", "text": "x"}, batched=True)
    log.drop_unstored()  # the run ended: its streamed text lives on in a message
    await asyncio.sleep(FLUSH_SECONDS * 3)
    assert _stored(store, sid) == [(1, "run_started")]
    assert log.append("message", {"role": "assistant", "text": "x"}).seq == 3
