"""The services of the extension, built once at startup and kept in tornado settings."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from .config import AgentSettings, ModelSettings
from .context.knowledge import KnowledgeIndex
from .kernel.bridge import KernelBridge
from .live_channel import LiveNotebookHub
from .models.factory import Readiness, check_configuration, probe_base_url
from .notebook.file_writer import FileNotebookWriter
from .notebook.live import LiveNotebookWriter
from .session_manager import SessionManager
from .settings_overrides import apply_overrides, public_settings
from .store import SessionStore

# A failed probe is re-tried after this long, a good one trusted for longer: users fixing
# their Ollama server should see the sidebar turn ready quickly.
_PROBE_TTL_OK = 60.0
_PROBE_TTL_FAILED = 5.0


@dataclass(frozen=True, kw_only=True)
class Health:
    version: str
    ready: bool
    provider: str
    model: str
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "version": self.version,
            "ready": self.ready,
            "provider": self.provider,
            "model": self.model,
        }
        if self.reason:
            body["reason"] = self.reason
        return body


class CodeAgentServices:
    """Everything the route handlers need, owned by the extension app."""

    def __init__(
        self,
        *,
        version: str,
        model_settings: ModelSettings,
        agent_settings: AgentSettings,
        probe_model_server: bool = True,
        log: logging.Logger | None = None,
    ) -> None:
        self.version = version
        self.model_settings = model_settings
        self.agent_settings = agent_settings
        self.probe_model_server = probe_model_server
        self.log = log or logging.getLogger("jupyter_codeagent")
        self._probe: tuple[float, str | None] | None = None
        self._sessions: SessionManager | None = None
        self._store: SessionStore | None = None
        self._bridge: KernelBridge | None = None
        self._knowledge: KnowledgeIndex | None = None

    def start(self, serverapp: Any) -> None:
        """Build the services that need the running server's managers."""
        self.build(
            kernel_manager=serverapp.kernel_manager,
            session_manager=serverapp.session_manager,
            contents_manager=serverapp.contents_manager,
            root_dir=serverapp.root_dir,
        )

    def build(
        self,
        *,
        kernel_manager: Any,
        session_manager: Any,
        contents_manager: Any,
        root_dir: str,
        live: bool = True,
    ) -> None:
        """Build the services on Jupyter's managers: the server's, or the headless CLI's own.

        ``live=False`` (no browser can attach, e.g. ``jupyter codeagent run``) writes
        cells straight to the notebook file.
        """
        root_dir = os.path.abspath(os.path.expanduser(root_dir))
        self._store = SessionStore(self.agent_settings.db_path)
        self._bridge = KernelBridge(
            kernel_manager=kernel_manager,
            session_manager=session_manager,
            contents_manager=contents_manager,
            root_dir=root_dir,
            execution_timeout=self.agent_settings.execution_timeout,
            output_limit_chars=self.agent_settings.output_limit_chars,
            secrets=self.model_settings.secrets,
        )
        file_writer = FileNotebookWriter(contents_manager, root_dir=root_dir)
        hub: LiveNotebookHub | None = None
        writer: FileNotebookWriter | LiveNotebookWriter = file_writer
        if live:
            hub = LiveNotebookHub()
            writer = LiveNotebookWriter(hub, file_writer, root_dir=root_dir)
        # In memory, built from the Markdown files on the first look-up (see context/).
        self._knowledge = KnowledgeIndex(self.agent_settings.knowledge_dirs, root_dir=root_dir)
        self._sessions = SessionManager(
            store=self._store,
            bridge=self._bridge,
            writer=writer,
            model_settings=self.model_settings,
            agent_settings=self.agent_settings,
            root_dir=root_dir,
            live_hub=hub,
            knowledge=self._knowledge,
        )

    @property
    def sessions(self) -> SessionManager:
        if self._sessions is None:
            raise RuntimeError("CodeAgentServices.start() was not called")
        return self._sessions

    def settings_view(self) -> dict[str, Any]:
        return public_settings(self.model_settings, self.agent_settings)

    async def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply run-time changes; runs in progress keep the settings they started with."""
        model, agent = apply_overrides(changes, self.model_settings, self.agent_settings)
        self.model_settings, self.agent_settings = model, agent
        self._probe = None
        if self._sessions is not None:
            await self._sessions.apply_settings(model, agent)
        return self.settings_view()

    def configuration(self) -> Readiness:
        return check_configuration(self.model_settings)

    async def health(self) -> Health:
        readiness = self.configuration()
        reason = readiness.reason
        ready = readiness.ready
        if ready and self.probe_model_server and self._has_custom_base_url():
            reason = await self._cached_probe()
            ready = reason is None
        return Health(
            version=self.version,
            ready=ready,
            provider=readiness.provider,
            model=readiness.model,
            reason=reason,
        )

    def _has_custom_base_url(self) -> bool:
        settings = self.model_settings
        if settings.provider == "openai":
            return bool(settings.openai_base_url)
        if settings.provider == "anthropic":
            return bool(settings.anthropic_base_url)
        return False

    async def _cached_probe(self) -> str | None:
        now = time.monotonic()
        if self._probe is not None:
            checked, reason = self._probe
            ttl = _PROBE_TTL_OK if reason is None else _PROBE_TTL_FAILED
            if now - checked < ttl:
                return reason
        reason = await probe_base_url(self.model_settings)
        self._probe = (time.monotonic(), reason)
        return reason

    async def close(self) -> None:
        """Stop runs, then release kernel clients and the database."""
        if self._sessions is not None:
            await self._sessions.close()
        if self._bridge is not None:
            await self._bridge.close()
        if self._knowledge is not None:
            self._knowledge.close()
        if self._store is not None:
            self._store.close()
