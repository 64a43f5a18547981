"""What a client reads of a session: its snapshot and the pages of earlier turns.

Both read the store only (the caller flushes the session's event batch first), so that
opening a session costs the same however long it is: with ``turns``, the snapshot holds
the last turns' messages, cells, audit and timeline events, and ``session_history``
pages the earlier ones in ("Show earlier").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..safety.audit import AuditLog
from ..store import SessionStore
from ..store.timeline import TimelinePage


@dataclass(frozen=True)
class PendingChoices:
    """What the session waits for from the user: cells to approve, questions to answer."""

    cells: Sequence[str]
    questions: Sequence[tuple[str, str]]  # (question_id, text)


def session_snapshot(
    store: SessionStore,
    session_id: str,
    *,
    status: str,
    variables: Sequence[dict[str, Any]],
    pending: PendingChoices,
    with_deltas: bool,
    turns: int | None = None,
) -> dict[str, Any]:
    """The session's state. ``with_deltas``: a run is streaming, so the timeline keeps
    the streamed deltas of its unfinished message."""
    body = store.get_session(session_id).to_json()
    since, since_turn = 0.0, 0
    if turns is not None:
        page = store.turns_before(session_id, None, turns, with_deltas=with_deltas)
        if page.has_earlier:
            since = page.start_ts
            since_turn = int(page.events[0].data.get("turn", 0)) if page.events else 0
        body["timeline"] = _page_json(page)
    messages = store.messages(session_id, since=since)
    cells = store.list_cells(session_id, since=since)
    audit = AuditLog(store).entries(session_id, since=since)
    body.update(
        {
            "status": status,
            "messages": [m.to_json() for m in messages],
            "plan": {"tasks": store.get_plan(session_id)},
            "cells": [c.to_json() for c in cells],
            "variables": list(variables),
            "usage": {
                **store.usage_totals(session_id),
                "runs": store.usage_runs(session_id, since_turn=since_turn),
            },
            "audit": [a.to_json() for a in audit],
            "pending": {
                "cells": list(pending.cells),
                "questions": [
                    {"question_id": qid, "text": text} for qid, text in pending.questions
                ],
            },
            "last_seq": store.last_seq(session_id),
        }
    )
    return body


def session_history(
    store: SessionStore, session_id: str, before_seq: int, turns: int
) -> dict[str, Any]:
    """Timeline events of the ``turns`` turns before ``before_seq``, with their cells and
    the usage of their runs."""
    page = store.turns_before(session_id, before_seq, turns)
    until = store.event_ts(session_id, before_seq)
    cells = [c.to_json() for c in store.list_cells(session_id, since=page.start_ts, until=until)]
    shown = [int(e.data.get("turn", 0)) for e in page.events if e.type == "run_started"]
    runs = (
        store.usage_runs(session_id, since_turn=min(shown), before_turn=max(shown) + 1)
        if shown
        else []
    )
    return {**_page_json(page), "cells": cells, "usage_runs": runs}


def _page_json(page: TimelinePage) -> dict[str, Any]:
    return {
        "events": [e.to_json() for e in page.events],
        "start_seq": page.start_seq,
        "has_earlier": page.has_earlier,
    }
