"""All sessions of the server: created, found again after a restart, stopped, forgotten."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .config import AgentSettings, ModelSettings
from .errors import BadRequest, NotFound
from .models import ChatModel
from .models.factory import build_chat_model
from .notebook.paths import resolve_notebook_path
from .session import Session
from .store import SessionRecord, SessionStore

log = logging.getLogger(__name__)

RESTART_REASON = (
    "The Jupyter server stopped while this run was in flight; send a message to continue."
)


class SessionManager:
    def __init__(
        self,
        *,
        store: SessionStore,
        bridge: Any,
        writer: Any,
        model_settings: ModelSettings,
        agent_settings: AgentSettings,
        root_dir: str,
        knowledge: Any = None,
        live_hub: Any = None,
    ) -> None:
        self.live_hub = live_hub
        self.store = store
        self.bridge = bridge
        self.writer = writer
        self.model_settings = model_settings
        self.agent_settings = agent_settings
        self.root_dir = root_dir
        self.knowledge = knowledge
        self._sessions: dict[str, Session] = {}
        self._models: dict[str, ChatModel] = {}
        interrupted = store.mark_running_sessions_failed(RESTART_REASON)
        if interrupted:
            log.warning("marked %d interrupted run(s) as failed", len(interrupted))

    def model_for(self, role: str) -> ChatModel:
        """One model object per role, built on first use (ConfigurationError if none)."""
        model = self._models.get(role)
        if model is None:
            model = build_chat_model(self.model_settings, role)
            self._models[role] = model
        return model

    async def create(self, notebook_path: Any, kernel_id: Any = None) -> Session:
        if not isinstance(notebook_path, str) or not notebook_path.strip():
            raise BadRequest("'notebook_path' must be a non-empty string.")
        if kernel_id is not None and not isinstance(kernel_id, str):
            raise BadRequest("'kernel_id' must be a string when given.")
        if not notebook_path.endswith(".ipynb"):
            raise BadRequest("'notebook_path' must name a .ipynb notebook.")
        path = resolve_notebook_path(self.root_dir, notebook_path)
        kernel = await self.bridge.kernel_for_notebook(path, kernel_id)
        record = self.store.create_session(notebook_path=path, kernel_id=kernel)
        return self._wrap(record)

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            record = self.store.find_session(session_id)
            if record is None:
                raise NotFound(f"No session '{session_id}'.")
            session = self._wrap(record)
        return session

    def records(self) -> list[SessionRecord]:
        return self.store.list_sessions()

    async def delete(self, session_id: str) -> None:
        session = self.get(session_id)
        await session.stop()
        self._sessions.pop(session_id, None)
        self.store.delete_session(session_id)

    async def apply_settings(self, model: ModelSettings, agent: AgentSettings) -> None:
        """New settings for the next runs; model clients are rebuilt on next use."""
        old_models = list(self._models.values())
        self._models.clear()
        self.model_settings, self.agent_settings = model, agent
        for session in self._sessions.values():
            session.settings = agent
        # A run in flight still holds the old clients; they are left to the collector then.
        if not any(s.running for s in self._sessions.values()):
            for old in old_models:
                await old.aclose()

    async def close(self) -> None:
        await asyncio.gather(*(s.stop() for s in self._sessions.values()), return_exceptions=True)
        for model in self._models.values():
            await model.aclose()
        self._models.clear()

    def _wrap(self, record: SessionRecord) -> Session:
        session = Session(
            record,
            store=self.store,
            bridge=self.bridge,
            writer=self.writer,
            models=self.model_for,
            settings=self.agent_settings,
            root_dir=self.root_dir,
            knowledge=self.knowledge,
            live_hub=self.live_hub,
        )
        self._sessions[record.id] = session
        return session
