"""HTTP routes under ``{base_url}codeagent/``: thin, authenticated handlers.

Handlers parse the request, call a service kept in ``settings["codeagent"]`` and
write JSON. Every failure leaves through ``write_error`` as the contract's
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

import tornado.web
import tornado.websocket
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler

from .app import CodeAgentApp
from .errors import BadRequest, CodeAgentError, PayloadTooLarge
from .notebook.cells import reported_cells
from .safety.audit import AuditLog
from .sessions import Session, SessionManager

AUTH_RESOURCE = "codeagent"
REPLAY_PAGE = 500

MAX_BODY_BYTES = 1_000_000
# Event seqs are SQLite integers; anything larger is no seq at all.
MAX_SEQ = 2**62

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class CodeAgentHandler(APIHandler):
    """Base of every codeagent route: JSON errors of the contract, body parsing."""

    auth_resource = AUTH_RESOURCE

    @property
    def codeagent(self) -> CodeAgentApp:
        app = self.settings.get("codeagent")
        if not isinstance(app, CodeAgentApp):
            raise CodeAgentError("The codeagent server extension is not initialised.")
        return app

    @property
    def sessions(self) -> SessionManager:
        return self.codeagent.sessions

    @property
    def user_name(self) -> str | None:
        """Who is asking, as jupyter_server's identity provider knows them."""
        user = self.current_user
        return getattr(user, "username", None) or (user if isinstance(user, str) else None)

    def read_json(self) -> dict[str, Any]:
        """The request body as a JSON object; an empty body is an empty object."""
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(f"The request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        _check_text(body)
        return body

    def int_argument(self, name: str, default: int, *, low: int, high: int) -> int:
        """A whole-number query argument in ``[low, high]`` (400 otherwise)."""
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        value = _whole_number(raw)
        if value is None or not low <= value <= high:
            raise BadRequest(f"'{name}' must be a whole number from {low} to {high}.")
        return value

    def write_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The one place that maps exceptions to the error JSON."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, CodeAgentError):
            status_code, code, message = error.status, error.code, error.message
        elif isinstance(error, tornado.web.HTTPError):
            code = _STATUS_CODES.get(status_code, "http_error")
            message = error.reason or HTTPStatus(status_code).phrase
            if error.log_message:
                message = error.log_message % error.args if error.args else error.log_message
        else:
            code = "internal_error"
            message = "The server failed to handle this request; see the server log."
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(error_body(code, message)))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Deliberate errors are answers, not server faults: keep tracebacks for real bugs.
        if isinstance(value, CodeAgentError) and value.status < 500:
            self.log.info("codeagent %s: %s", value.code, value.message)
            return
        super().log_exception(typ, value, tb)


class HealthHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        health = await self.codeagent.health()
        self.write_json(health.to_json())


class SettingsHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.codeagent.settings.public())

    @tornado.web.authenticated
    @authorized
    async def patch(self) -> None:
        self.write_json(await self.codeagent.update_settings(self.read_json()))


class SessionsHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """The sessions; ``?q=`` searches titles, notebook paths and messages."""
        self.write_json(await self.sessions.listing(self.get_argument("q", None)))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.read_json()
        session = await self.sessions.create(body.get("notebook_path"), body.get("kernel_id"))
        self.write_json(session.snapshot(), status=201)

    @tornado.web.authenticated
    @authorized
    async def delete(self) -> None:
        """``?orphaned=1``: forget the sessions of notebooks that no longer exist."""
        if self.get_argument("orphaned", None) not in ("1", "true"):
            raise BadRequest("Give '?orphaned=1' to delete the sessions of deleted notebooks.")
        self.write_json({"deleted": await self.sessions.delete_orphaned()})


class SessionHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        """The snapshot; ``?turns=K`` bounds it to the last K turns (the sidebar's open)."""
        turns = self.int_argument("turns", 0, low=1, high=10_000) or None
        self.write_json(await self.sessions.get(session_id).live_snapshot(turns=turns))

    @tornado.web.authenticated
    @authorized
    async def patch(self, session_id: str) -> None:
        """Rename: ``{title}``."""
        record = self.sessions.rename(session_id, self.read_json().get("title"))
        self.write_json(record.to_json())

    @tornado.web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        await self.sessions.delete(session_id)
        self.write_json({"id": session_id, "deleted": True})


class MessagesHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        body = self.read_json()
        session.send_message(body.get("text"), choices=body.get("settings"), user=self.user_name)
        self.write_json({"id": session_id, "status": session.status}, status=202)


class ApproveHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str, cell_id: str) -> None:
        source = self.read_json().get("source")
        await self.sessions.get(session_id).approve(cell_id, source, user=self.user_name)
        self.write_json({"cell_id": cell_id, "decision": "approved"})


class RejectHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str, cell_id: str) -> None:
        reason = self.read_json().get("reason")
        self.sessions.get(session_id).reject(cell_id, reason, user=self.user_name)
        self.write_json({"cell_id": cell_id, "decision": "rejected"})


class UserRunHandler(CodeAgentHandler):
    """The user ran an agent cell themselves in the notebook: recorded in the audit."""

    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str, cell_id: str) -> None:
        await self.sessions.get(session_id).user_ran(cell_id, self.read_json(), user=self.user_name)
        self.write_json({"cell_id": cell_id, "recorded": True})


class CellDeletedHandler(CodeAgentHandler):
    """A person removed an agent cell from the notebook: recorded once, then left out."""

    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str, cell_id: str) -> None:
        recorded = self.sessions.get(session_id).cells().deleted(cell_id)
        self.write_json({"cell_id": cell_id, "recorded": recorded})


class UndoHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str, cell_id: str) -> None:
        """Put the kernel (and the files it wrote) back as before the cell ran; 409 says
        exactly what cannot be restored."""
        self.write_json(await self.sessions.get(session_id).undo_cell(cell_id))


class RevertHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        """Undo the last run's cells, newest first, all or nothing."""
        self.write_json(await self.sessions.get(session_id).revert())


class AnswerHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        body = self.read_json()
        self.sessions.get(session_id).answer(body.get("question_id"), body.get("text"))
        self.write_json({"question_id": body.get("question_id"), "answered": True})


class StopHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        await session.stop()
        self.write_json({"id": session_id, "status": session.status})


class HistoryHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        """Timeline events of the turns before ``?before=SEQ`` ("Show earlier")."""
        before = self.int_argument("before", 0, low=1, high=MAX_SEQ)
        if not before:
            raise BadRequest("'before' (the first seq the client has) is required.")
        turns = self.int_argument("turns", 10, low=1, high=1_000)
        self.write_json(self.sessions.get(session_id).history(before, turns))


class NotFoundHandler(CodeAgentHandler):
    """Any other path under codeagent/ (an over-long id...): the contract's JSON 404."""

    @tornado.web.authenticated
    def get(self) -> None:
        raise tornado.web.HTTPError(404, "No such codeagent route.")

    post = patch = put = delete = get


class AuditHandler(CodeAgentHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        self.write_json([entry.to_json() for entry in AuditLog(session.store).entries(session.id)])


class EventsWebSocket(JupyterHandler, tornado.websocket.WebSocketHandler):
    """Replays a session's events after ``?after=SEQ``, then streams live ones.

    The client may send ``{"type": "attach", "cells"?: [...]}`` (its JupyterLab has the
    notebook open: agent cells are applied live; ``cells`` are the agent cells it has,
    which the session reconciles with its record) and ``{"type": "notebook_ack", ...}``.
    """

    auth_resource = AUTH_RESOURCE
    session: Session
    _pump: asyncio.Task[None] | None = None
    _reconcile: asyncio.Task[None] | None = None
    _attached: bool = False

    async def pre_get(self) -> None:
        authorized_ = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized_:
            raise tornado.web.HTTPError(403)

    @ws_authenticated
    async def get(self, session_id: str) -> None:
        await self.pre_get()
        app = self.settings.get("codeagent")
        if not isinstance(app, CodeAgentApp):
            raise tornado.web.HTTPError(503)
        try:
            self.session = app.sessions.get(session_id)
        except CodeAgentError as error:
            raise tornado.web.HTTPError(error.status, error.message) from None
        after = _whole_number(self.get_argument("after", "0"))
        if after is None or after > MAX_SEQ:
            raise tornado.web.HTTPError(400, "'after' must be a whole number (an event seq)")
        self._after = after
        result = super().get(session_id)
        if result is not None:
            await result

    def open(self, session_id: str) -> None:
        self._pump = asyncio.create_task(self._stream(self.session.subscribe()))

    async def _stream(self, queue: asyncio.Queue[Any]) -> None:
        last = self._after
        try:
            while True:  # replay in pages so a long history never blocks the loop for long
                page = self.session.store.events_after(self.session.id, last, REPLAY_PAGE)
                for record in page:
                    self._send(record.to_json())
                    last = record.seq
                if len(page) < REPLAY_PAGE:
                    break
                await asyncio.sleep(0)
            while True:
                record = await queue.get()
                if record.seq > last:
                    self._send(record.to_json())
                    last = record.seq
        except tornado.websocket.WebSocketClosedError:
            pass
        finally:
            self.session.unsubscribe(queue)

    def _send(self, body: dict[str, Any]) -> None:
        self.write_message(json.dumps(body))

    def on_message(self, message: str | bytes) -> None:
        try:
            body = json.loads(message)
        except ValueError:
            return  # a confused client must not break the stream
        if not isinstance(body, dict):
            return
        hub = self.session.app.live_hub
        if body.get("type") == "attach" and hub is not None:
            hub.attach(self.session.notebook_path, self._send)
            self._attached = True
            # The browser's notebook may lag behind the session (a reload): catch it up.
            self._reconcile = asyncio.create_task(self._catch_up(body.get("cells")))
        elif body.get("type") == "detach" and hub is not None:
            hub.detach(self.session.notebook_path, self._send)
            self._attached = False
        elif body.get("type") == "notebook_ack" and hub is not None:
            hub.acknowledge(body)

    async def _catch_up(self, cells: Any) -> None:
        try:
            await self.session.cells().sync_notebook(reported_cells(cells))
        except Exception:  # the notebook stays as it is; the next attach tries again
            self.log.exception("codeagent: reconciling %s failed", self.session.notebook_path)

    def on_close(self) -> None:
        if self._attached and self.session.app.live_hub is not None:
            self.session.app.live_hub.detach(self.session.notebook_path, self._send)
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None


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


def _whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative int, ASCII digits only (``"²".isdigit()`` is true)."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def _check_text(value: Any) -> None:
    """Every string of a body must be storable text (JSON admits lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest("The request contains text that is not valid Unicode.") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
