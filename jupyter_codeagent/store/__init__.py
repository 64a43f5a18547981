"""SQLite persistence of sessions: the store and the records it hands out."""

from __future__ import annotations

from .records import AuditRecord, CellRecord, EventRecord, MessageRecord, SessionRecord
from .schema import MIGRATIONS, SCHEMA_VERSION, StoreSchemaError
from .session_store import SessionStore

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditRecord",
    "CellRecord",
    "EventRecord",
    "MessageRecord",
    "SessionRecord",
    "SessionStore",
    "StoreSchemaError",
]
