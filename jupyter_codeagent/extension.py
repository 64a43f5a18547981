"""The server extension: its settings (the traitlets of ``traits/``) made into one
``Settings``, service wiring at startup, following notebooks, clean shutdown."""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp

from . import __version__
from .app import CodeAgentApp
from .routes import build_handlers
from .sandbox import install_sandbox, uninstall_sandbox
from .settings import AgentSettings, ModelSettings, Settings
from .traits import AgentTraits, BudgetTraits, ModelTraits, SandboxTraits

SERVICES_KEY = "codeagent"
#: jupyter_server's events of the contents service (rename, delete...).
CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


class CodeAgentExtension(ModelTraits, AgentTraits, SandboxTraits, BudgetTraits, ExtensionApp):
    """Planner, coder and reviewer agents inside the notebook."""

    name = "jupyter_codeagent"
    description = "Planner, coder and reviewer agents that work in your notebook."
    version = __version__
    load_other_extensions = True

    def install_sandbox(self, db_path: str | None = None) -> None:
        """Route the kernels this process starts through the sandbox (the server's, or
        the headless run's standalone managers when there is no server app)."""
        install_sandbox(
            self.serverapp,
            mode=self.sandbox,
            network=self.sandbox_network,
            keep_secrets=self.kernel_keeps_secrets,
            secret_values=lambda: self.model_settings().secrets(),
            db_path=db_path or self.agent_settings().db_path,
            logger=self.log,
        )

    # --- wiring ---------------------------------------------------------------

    def model_settings(self) -> ModelSettings:
        roles = {
            "planner": self.planner_model,
            "coder": self.coder_model,
            "reviewer": self.reviewer_model,
            "summarizer": self.summarizer_model,
        }
        return ModelSettings(
            provider=self.provider.strip().lower(),
            model=self.model.strip(),
            role_models={role: name.strip() for role, name in roles.items() if name.strip()},
            openai_base_url=self.openai_base_url.strip(),
            openai_api_key=self.openai_api_key.strip(),
            anthropic_base_url=self.anthropic_base_url.strip(),
            anthropic_api_key=self.anthropic_api_key.strip(),
            request_timeout=self.request_timeout,
            max_retries=max(0, self.max_retries),
            max_output_tokens=max(16, self.max_output_tokens),
            max_tool_calls=max(1, self.max_tool_calls),
            context_window=max(0, self.context_window),
            prompt_caching=self.prompt_caching,
            profile=self.model_profile,
            vision=self.vision,
            vision_max_side=min(4_096, max(64, self.vision_max_side)),
            vision_max_images=min(20, max(0, self.vision_max_images)),
        )

    def agent_settings(self) -> AgentSettings:
        root = self.serverapp.root_dir if self.serverapp else os.getcwd()
        knowledge = tuple(
            path if os.path.isabs(path) else os.path.join(root, path)
            for path in self.knowledge_dirs
        )
        db_path = self.db_path or os.path.join(self.data_dir, "codeagent.db")
        return AgentSettings(
            approval=self.approval,
            max_steps=max(1, self.max_steps),
            max_review_rounds=max(0, self.max_review_rounds),
            history_turns=max(0, self.history_turns),
            prompt_token_budget=max(1_000, self.prompt_token_budget),
            execution_timeout=max(1.0, self.execution_timeout),
            output_limit_chars=max(200, self.output_limit),
            knowledge_dirs=knowledge,
            db_path=db_path,
            **self.budgets(),
            undo_copy_limit_mb=max(0, self.undo_copy_limit),
            undo_file_limit_mb=max(0, self.undo_file_limit),
        )

    def codeagent_settings(self) -> Settings:
        """The server's defaults, read once from the traitlets (and so the environment)."""
        return Settings(models=self.model_settings(), agents=self.agent_settings())

    def initialize_settings(self) -> None:
        serverapp = self.serverapp
        assert serverapp is not None  # jupyter_server calls this once the server exists
        self.install_sandbox()
        app = CodeAgentApp.build(
            version=__version__,
            settings=self.codeagent_settings(),
            kernel_manager=serverapp.kernel_manager,
            session_manager=serverapp.session_manager,
            contents_manager=serverapp.contents_manager,
            root_dir=serverapp.root_dir,
            shared_documents=self._shared_notebook,
            probe_model_server=self.probe_model_server,
            remote_kernels_isolated=self.remote_kernels_isolated,
        )
        self.settings[SERVICES_KEY] = app
        assert serverapp.event_logger is not None  # jupyter_server >= 2 always has one
        serverapp.event_logger.add_listener(
            schema_id=CONTENTS_EVENTS, listener=self._on_contents_event
        )
        readiness = app.configuration()
        if readiness.ready:
            self.log.info(
                "jupyter-codeagent %s: provider %s, model %s, approval %s",
                __version__,
                readiness.provider,
                readiness.model,
                app.settings.agents.approval,
            )
        else:
            self.log.warning("jupyter-codeagent %s: %s", __version__, readiness.reason)

    async def _shared_notebook(self, path: str) -> Any | None:
        """The open collaboration room's notebook for ``path`` (jupyter-collaboration's
        ``jupyter_server_ydoc``, when it is installed and enabled), else None."""
        assert self.serverapp is not None
        apps = self.serverapp.extension_manager.extension_apps.get("jupyter_server_ydoc")
        if not apps:
            return None
        ydoc = next(iter(apps))
        return await ydoc.get_document(
            path=path, content_type="notebook", file_format="json", copy=False
        )

    async def _on_contents_event(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Renames, moves and deletions of notebooks (jupyter_server's contents events):
        the sessions follow their notebook, or end when it is deleted."""
        app = self.settings.get(SERVICES_KEY)
        if not isinstance(app, CodeAgentApp):
            return
        action, path = data.get("action"), data.get("path")
        try:
            if action == "rename" and isinstance(data.get("source_path"), str):
                app.sessions.notebook_moved(data["source_path"], str(path))
            elif action == "delete" and isinstance(path, str):
                await app.sessions.notebook_deleted(path)
        except Exception:  # a listener's failure must not break the contents API
            self.log.exception("codeagent: following %s of %s failed", action, path)

    def initialize_handlers(self) -> None:
        self.handlers.extend(build_handlers())

    async def stop_extension(self) -> None:
        uninstall_sandbox()
        app = self.settings.get(SERVICES_KEY)
        if isinstance(app, CodeAgentApp):
            await app.close()
