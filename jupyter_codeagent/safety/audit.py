"""The audit log: every execution decision, with everything that led to it.

A cell that runs gets its row *before* it runs (outcome ``running``) and the row is
completed afterwards, so a cell in flight when the server dies is still on record
(marked ``interrupted`` at the next start). A row records the findings of the code
that actually ran (an edited cell is analysed again) and who let it run: the
authenticated user, or the policy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..store import AuditRecord, SessionStore
from .findings import RiskReport


@dataclass(frozen=True, kw_only=True)
class AuditSubject:
    """The cell a decision is about, as the reviewer and the analyzer saw it."""

    session_id: str
    cell_id: str
    code: str
    policy: str
    report: RiskReport
    verdict: str | None
    reviewer_risk: str | None


class AuditLog:
    """Writes and reads the audit rows of the session store."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    def decided(
        self, subject: AuditSubject, *, outcome: str, detail: str = "", approved_by: str | None
    ) -> AuditRecord:
        """A decision with nothing to wait for (blocked, rejected, stopped before running)."""
        now = time.time()
        return self._store.add_audit(
            subject.session_id,
            **_columns(subject),
            approved_by=approved_by,
            outcome=outcome,
            detail=detail,
            started=now,
            finished=now,
        )

    def user_ran(
        self, subject: AuditSubject, *, user: str | None, status: str, detail: str = ""
    ) -> AuditRecord:
        """The user ran an agent cell again themselves, from the notebook (outcome
        ``user_run``; ``detail`` says how it went). Recorded after the fact: the user's
        own runs are not gated, only reported by their JupyterLab."""
        now = time.time()
        return self._store.add_audit(
            subject.session_id,
            **_columns(subject),
            approved_by=user or "user",
            outcome="user_run",
            detail=f"{status}: {detail}" if detail else status,
            started=now,
            finished=now,
        )

    def starting(self, subject: AuditSubject, *, approved_by: str | None) -> int:
        """The row of a cell about to run; complete it with ``finished``."""
        now = time.time()
        record = self._store.add_audit(
            subject.session_id,
            **_columns(subject),
            approved_by=approved_by,
            outcome="running",
            detail="",
            started=now,
            finished=now,
        )
        return record.id

    def finished(self, audit_id: int, *, outcome: str, detail: str = "") -> None:
        self._store.complete_audit(audit_id, outcome=outcome, detail=detail, finished=time.time())

    def interrupted_by_restart(self) -> int:
        """Rows left ``running`` by a server that died: how many were marked."""
        return self._store.mark_running_audit(
            outcome="interrupted",
            detail="The Jupyter server stopped while this cell was running.",
        )

    def entries(self, session_id: str, *, since: float = 0.0) -> Sequence[AuditRecord]:
        return self._store.audit(session_id, since=since)


def _columns(subject: AuditSubject) -> dict[str, Any]:
    return {
        "cell_id": subject.cell_id,
        "code": subject.code,
        "policy": subject.policy,
        "findings": [f.to_json() for f in subject.report.findings],
        "verdict": subject.verdict,
        "reviewer_risk": subject.reviewer_risk,
    }
