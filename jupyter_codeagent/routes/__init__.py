"""HTTP routes under ``{base_url}codeagent/``: thin, authenticated handlers.

Handlers parse the request, call a service kept in ``settings["codeagent"]`` and
write JSON. Every failure leaves through ``write_error`` as the contract's
``{"error": {"code", "message"}}``.

``base`` holds the shared handler and the error JSON, ``rest`` the REST handlers,
``events_socket`` the events WebSocket; ``build_handlers`` maps the URLs to them.
"""

from __future__ import annotations

import tornado.web

from .events_socket import EventsWebSocket
from .rest import (
    AnswerHandler,
    ApproveHandler,
    AuditHandler,
    CellDeletedHandler,
    HealthHandler,
    HistoryHandler,
    MessagesHandler,
    NotFoundHandler,
    RejectHandler,
    RevertHandler,
    SessionHandler,
    SessionsHandler,
    SettingsHandler,
    StopHandler,
    UndoHandler,
    UserRunHandler,
)

__all__ = ["build_handlers"]

_ID = r"([A-Za-z0-9_-]{1,64})"


def build_handlers() -> list[tuple[str, type[tornado.web.RequestHandler]]]:
    base = r"/codeagent/sessions"
    return [
        (r"/codeagent/health", HealthHandler),
        (r"/codeagent/settings", SettingsHandler),
        (base, SessionsHandler),
        (rf"{base}/{_ID}", SessionHandler),
        (rf"{base}/{_ID}/messages", MessagesHandler),
        (rf"{base}/{_ID}/cells/{_ID}/approve", ApproveHandler),
        (rf"{base}/{_ID}/cells/{_ID}/reject", RejectHandler),
        (rf"{base}/{_ID}/cells/{_ID}/user_run", UserRunHandler),
        (rf"{base}/{_ID}/cells/{_ID}/deleted", CellDeletedHandler),
        (rf"{base}/{_ID}/cells/{_ID}/undo", UndoHandler),
        (rf"{base}/{_ID}/revert", RevertHandler),
        (rf"{base}/{_ID}/answer", AnswerHandler),
        (rf"{base}/{_ID}/stop", StopHandler),
        (rf"{base}/{_ID}/audit", AuditHandler),
        (rf"{base}/{_ID}/history", HistoryHandler),
        (rf"{base}/{_ID}/events", EventsWebSocket),
        (r"/codeagent/.*", NotFoundHandler),
    ]
