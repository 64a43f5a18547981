"""The REST routes: health, settings, sessions and what a person does in one.

Each handler parses the request, calls a service kept in ``settings["codeagent"]`` and
writes JSON; errors are the base handler's.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..errors import BadRequest
from ..safety.audit import AuditLog
from .base import MAX_SEQ, CodeAgentHandler


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
