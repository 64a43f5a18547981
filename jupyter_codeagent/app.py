"""The application: the services built once at startup, the settings in force, health.

``CodeAgentApp.build`` wires the store, the kernel bridge, the notebook writer, the
knowledge index and the model registry into one frozen ``AppContext`` on Jupyter's
managers (the server's, or the headless CLI's own) and keeps the server's default
``Settings``, which ``PATCH codeagent/settings`` replaces.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from .kernel import KernelBridge
from .knowledge import KnowledgeIndex
from .models.factory import Readiness, check_configuration, probe_base_url
from .models.registry import ModelRegistry
from .notebook.file_writer import FileNotebookWriter
from .notebook.live import LiveNotebookWriter
from .notebook.live_hub import LiveNotebookHub
from .notebook.shared_doc import SharedDocumentFinder, SharedNotebookWriter
from .sandbox import SandboxStatus, kernel_isolation, sandbox_status
from .sessions import SessionManager
from .settings import Settings
from .store import SessionStore
from .tools import AppContext

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
    sandbox: SandboxStatus | None = None

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "version": self.version,
            "ready": self.ready,
            "provider": self.provider,
            "model": self.model,
        }
        if self.sandbox is not None:
            body["sandbox"] = self.sandbox.to_json()
        if self.reason:
            body["reason"] = self.reason
        return body


class CodeAgentApp:
    """Everything the route handlers need, owned by the extension app."""

    def __init__(
        self,
        *,
        version: str,
        settings: Settings,
        context: AppContext,
        probe_model_server: bool = True,
    ) -> None:
        self.version = version
        self.context = context
        self.probe_model_server = probe_model_server
        self._settings = settings
        self._probe: tuple[float, str | None] | None = None
        self.sessions = SessionManager(context, defaults=lambda: self._settings)

    @classmethod
    def build(
        cls,
        *,
        version: str,
        settings: Settings,
        kernel_manager: Any,
        session_manager: Any,
        contents_manager: Any,
        root_dir: str,
        live: bool = True,
        shared_documents: SharedDocumentFinder | None = None,
        probe_model_server: bool = True,
        remote_kernels_isolated: bool = False,
    ) -> CodeAgentApp:
        """Build the services. ``live=False`` (no browser can attach, e.g.
        ``jupyter codeagent run``) writes cells straight to the notebook file.
        ``shared_documents`` finds the real-time collaboration document of a notebook
        (jupyter-collaboration): where one is open, cells are written through it."""
        root_dir = os.path.abspath(os.path.expanduser(root_dir))
        agents = settings.agents
        app: CodeAgentApp | None = None

        def secrets() -> tuple[str, ...]:
            return app.settings.models.secrets() if app is not None else ()

        bridge = KernelBridge(
            kernel_manager=kernel_manager,
            session_manager=session_manager,
            contents_manager=contents_manager,
            root_dir=root_dir,
            execution_timeout=agents.execution_timeout,
            output_limit_chars=agents.output_limit_chars,
            secrets=secrets,
        )
        file_writer = FileNotebookWriter(contents_manager, root_dir=root_dir)
        hub: LiveNotebookHub | None = None
        writer: FileNotebookWriter | LiveNotebookWriter | SharedNotebookWriter = file_writer
        if live:
            hub = LiveNotebookHub()
            writer = LiveNotebookWriter(hub, file_writer, root_dir=root_dir)
        if shared_documents is not None:
            writer = SharedNotebookWriter(shared_documents, writer, root_dir=root_dir)
        context = AppContext(
            store=SessionStore(agents.db_path),
            bridge=bridge,
            writer=writer,
            models=ModelRegistry(),
            # In memory, built from the Markdown files on the first look-up.
            knowledge=KnowledgeIndex(agents.knowledge_dirs, root_dir=root_dir),
            root_dir=root_dir,
            live_hub=hub,
            kernel_isolation=lambda kernel_id: kernel_isolation(kernel_manager, kernel_id),
            remote_kernels="Gateway" in type(kernel_manager).__name__,
            remote_kernels_isolated=remote_kernels_isolated,
            contents_manager=contents_manager,
        )
        app = cls(
            version=version,
            settings=settings,
            context=context,
            probe_model_server=probe_model_server,
        )
        return app

    # --- settings -----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The server's defaults in force (a run adds its user's choices to them)."""
        return self._settings

    async def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """New server defaults; runs in progress keep the settings they started with."""
        self._settings = self._settings.with_changes(changes)
        self._probe = None
        return self._settings.public()

    # --- health ---------------------------------------------------------------------------

    def configuration(self) -> Readiness:
        return check_configuration(self._settings.models)

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
            sandbox=self._sandbox(),
        )

    def _sandbox(self) -> SandboxStatus:
        if self.context.remote_kernels:
            return SandboxStatus(
                available=False,
                active=False,
                reason="kernels run on a Kernel Gateway: its kernel containers are the "
                "isolation boundary",
            )
        return sandbox_status()

    def _has_custom_base_url(self) -> bool:
        models = self._settings.models
        if models.provider == "openai":
            return bool(models.openai_base_url)
        if models.provider == "anthropic":
            return bool(models.anthropic_base_url)
        return False

    async def _cached_probe(self) -> str | None:
        now = time.monotonic()
        if self._probe is not None:
            checked, reason = self._probe
            ttl = _PROBE_TTL_OK if reason is None else _PROBE_TTL_FAILED
            if now - checked < ttl:
                return reason
        reason = await probe_base_url(self._settings.models)
        self._probe = (time.monotonic(), reason)
        return reason

    # --- shutdown -------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop runs, then release model and kernel clients, the index and the database."""
        context = self.context
        await self.sessions.close()
        await context.models.aclose()
        await context.bridge.close()
        if context.knowledge is not None:
            context.knowledge.close()
        context.store.close()
