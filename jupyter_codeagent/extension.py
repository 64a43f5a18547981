"""The server extension: settings (traitlets, each also read from the environment),
service wiring at startup and clean shutdown."""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Enum, Float, Int, List, Unicode, default

from . import __version__
from .agents.budget_settings import BudgetTraits
from .app import CodeAgentApp
from .routes import build_handlers
from .sandbox import (
    NETWORK_MODES,
    SANDBOX_MODES,
    env_kernel_keeps_secrets,
    env_sandbox_mode,
    env_sandbox_network,
    install_sandbox,
    uninstall_sandbox,
)
from .settings import APPROVAL_POLICIES, AgentSettings, ModelSettings, Settings

SERVICES_KEY = "codeagent"
#: jupyter_server's events of the contents service (rename, delete...).
CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


def _env(name: str, fallback: str = "") -> str:
    return os.environ.get(name, fallback).strip()


def _env_number(name: str, fallback: float, cast: type = float) -> Any:
    raw = _env(name)
    if not raw:
        return fallback
    try:
        return cast(raw)
    except ValueError:
        # A typo in an environment variable must not stop Jupyter from starting.
        return fallback


class CodeAgentExtension(BudgetTraits, ExtensionApp):
    """Planner, coder and reviewer agents inside the notebook."""

    name = "jupyter_codeagent"
    description = "Planner, coder and reviewer agents that work in your notebook."
    version = __version__
    load_other_extensions = True

    # --- model -------------------------------------------------------------
    provider = Unicode(
        config=True,
        help="Language-model provider: 'openai' (also Ollama, vLLM, LM Studio, Azure and any "
        "OpenAI-compatible server via openai_base_url) or 'anthropic'. Env: CODEAGENT_PROVIDER.",
    )
    model = Unicode(config=True, help="Default model name for every role. Env: CODEAGENT_MODEL.")
    planner_model = Unicode(
        config=True, help="Model of the planner (empty: the default). Env: CODEAGENT_PLANNER_MODEL."
    )
    coder_model = Unicode(
        config=True, help="Model of the coder (empty: the default). Env: CODEAGENT_CODER_MODEL."
    )
    reviewer_model = Unicode(
        config=True,
        help="Model of the reviewer (empty: the default). Env: CODEAGENT_REVIEWER_MODEL.",
    )
    summarizer_model = Unicode(
        config=True,
        help="Model that condenses old history; a cheap one is fine. "
        "Env: CODEAGENT_SUMMARIZER_MODEL.",
    )
    openai_base_url = Unicode(
        config=True,
        help="Base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama. "
        "Env: OPENAI_BASE_URL.",
    )
    openai_api_key = Unicode(
        config=True,
        help="API key for the OpenAI provider (may be empty for local servers). "
        "Env: OPENAI_API_KEY. Never returned by any route nor logged.",
    )
    anthropic_base_url = Unicode(
        config=True, help="Base URL of the Anthropic API (for proxies). Env: ANTHROPIC_BASE_URL."
    )
    anthropic_api_key = Unicode(
        config=True,
        help="API key for the Anthropic provider. Env: ANTHROPIC_API_KEY. "
        "Never returned by any route nor logged.",
    )
    request_timeout = Float(
        config=True,
        help="Seconds before a model request times out. Env: CODEAGENT_REQUEST_TIMEOUT.",
    )
    max_retries = Int(
        config=True,
        help="Retries of a model call on rate limits, server errors and dropped streams. "
        "Env: CODEAGENT_MAX_RETRIES.",
    )

    max_output_tokens = Int(
        config=True,
        help="max_tokens of one model call (bounds a runaway reply). Env: CODEAGENT_MAX_TOKENS.",
    )
    max_tool_calls = Int(
        config=True,
        help="Tool calls kept from one model reply; the rest are dropped and the model is told. "
        "Env: CODEAGENT_MAX_TOOL_CALLS.",
    )
    context_window = Int(
        config=True,
        help="The model's context window in tokens (0: ask the server: llama.cpp /props, "
        "Ollama /api/show, /v1/models, or the known window of hosted models). The prompt budget "
        "is cut to fit it. Env: CODEAGENT_CONTEXT_WINDOW.",
    )
    prompt_caching = Bool(
        True,
        config=True,
        help="Mark the stable prompt prefix for Anthropic's prompt cache (OpenAI and most "
        "local servers cache prefixes by themselves). Env: CODEAGENT_PROMPT_CACHING=0 to disable.",
    )
    model_profile = Enum(
        ["auto", "full", "compact"],
        config=True,
        help="'compact' for small models: fewer tools, shorter prompts, low temperature; 'full' "
        "the complete set; 'auto' is compact when the context window is 8,192 tokens or less. "
        "Env: CODEAGENT_MODEL_PROFILE.",
    )
    vision = Enum(
        ["auto", "on", "off"],
        config=True,
        help="Show the models the images a cell output (charts) so they can check axes, legends "
        "and scales: 'auto' for models known to accept images (gpt-4o, gpt-4.1, gpt-5, o1/o3/o4, "
        "claude-3 and claude-4, gemini; others, local ones included, stay text-only), 'on', "
        "'off'. Env: CODEAGENT_VISION.",
    )
    vision_max_side = Int(
        config=True,
        help="Longest side in pixels an image is scaled down to before a model sees it "
        "(about 600 input tokens at 768). Env: CODEAGENT_VISION_MAX_SIDE.",
    )
    vision_max_images = Int(
        config=True,
        help="Images kept in one prompt, the most recent ones (older ones are dropped first "
        "when the prompt budget is tight). Env: CODEAGENT_VISION_MAX_IMAGES.",
    )

    # --- agents -------------------------------------------------------------
    approval = Enum(
        list(APPROVAL_POLICIES),
        config=True,
        help="When cells need the user's approval: 'always' (every cell waits), 'risky' (low-risk "
        "cells the reviewer approved run at once, others wait), 'never' (all run except blocked "
        "ones). Env: CODEAGENT_APPROVAL.",
    )
    max_steps = Int(
        config=True,
        help="Model calls allowed in one run before it stops. Env: CODEAGENT_MAX_STEPS.",
    )
    max_review_rounds = Int(
        config=True,
        help="Times the reviewer may send one cell back for revision. "
        "Env: CODEAGENT_MAX_REVIEW_ROUNDS.",
    )
    history_turns = Int(
        config=True,
        help="Recent conversation turns kept verbatim (older ones are summarized). "
        "Env: CODEAGENT_HISTORY_TURNS.",
    )
    prompt_token_budget = Int(
        config=True,
        help="Input tokens allowed per model call; memory is trimmed to fit. "
        "Env: CODEAGENT_PROMPT_TOKEN_BUDGET.",
    )
    execution_timeout = Float(
        config=True,
        help="Seconds a cell may run before the kernel is interrupted. "
        "Env: CODEAGENT_EXECUTION_TIMEOUT.",
    )
    output_limit = Int(
        config=True,
        help="Characters of a cell's output shown to the model (head and tail kept). "
        "Env: CODEAGENT_OUTPUT_LIMIT.",
    )
    undo_copy_limit = Int(
        config=True,
        help="Megabytes up to which undo keeps a real copy of an object an agent cell may change "
        "in place (pandas objects under copy-on-write need none); an object over it makes the "
        "cell not undoable. Env: CODEAGENT_UNDO_COPY_MB.",
    )
    undo_file_limit = Int(
        config=True,
        help="Megabytes up to which undo keeps the old content of a file an agent cell writes. "
        "Env: CODEAGENT_UNDO_FILE_MB.",
    )
    knowledge_dirs = List(
        Unicode(),
        config=True,
        help="Folders of Markdown knowledge (relative to the server root or absolute). "
        "Default: .codeagent/knowledge. Env: CODEAGENT_KNOWLEDGE_DIRS (separated by os.pathsep).",
    )
    db_path = Unicode(
        config=True,
        help="SQLite database of sessions, events and audit. Default: codeagent.db in the Jupyter "
        "data dir. Env: CODEAGENT_DB_PATH.",
    )
    probe_model_server = Bool(
        True,
        config=True,
        help="Let the health route check that a custom base URL answers (cached briefly).",
    )

    @default("provider")
    def _default_provider(self) -> str:
        return _env("CODEAGENT_PROVIDER").lower()

    @default("model")
    def _default_model(self) -> str:
        return _env("CODEAGENT_MODEL")

    @default("planner_model")
    def _default_planner_model(self) -> str:
        return _env("CODEAGENT_PLANNER_MODEL")

    @default("coder_model")
    def _default_coder_model(self) -> str:
        return _env("CODEAGENT_CODER_MODEL")

    @default("reviewer_model")
    def _default_reviewer_model(self) -> str:
        return _env("CODEAGENT_REVIEWER_MODEL")

    @default("summarizer_model")
    def _default_summarizer_model(self) -> str:
        return _env("CODEAGENT_SUMMARIZER_MODEL")

    @default("openai_base_url")
    def _default_openai_base_url(self) -> str:
        return _env("OPENAI_BASE_URL")

    @default("openai_api_key")
    def _default_openai_api_key(self) -> str:
        return _env("OPENAI_API_KEY")

    @default("anthropic_base_url")
    def _default_anthropic_base_url(self) -> str:
        return _env("ANTHROPIC_BASE_URL")

    @default("anthropic_api_key")
    def _default_anthropic_api_key(self) -> str:
        return _env("ANTHROPIC_API_KEY")

    @default("request_timeout")
    def _default_request_timeout(self) -> float:
        return float(_env_number("CODEAGENT_REQUEST_TIMEOUT", 120.0))

    @default("max_retries")
    def _default_max_retries(self) -> int:
        return int(_env_number("CODEAGENT_MAX_RETRIES", 4, int))

    @default("max_output_tokens")
    def _default_max_output_tokens(self) -> int:
        return int(_env_number("CODEAGENT_MAX_TOKENS", 4_096, int))

    @default("max_tool_calls")
    def _default_max_tool_calls(self) -> int:
        return int(_env_number("CODEAGENT_MAX_TOOL_CALLS", 8, int))

    @default("context_window")
    def _default_context_window(self) -> int:
        return int(_env_number("CODEAGENT_CONTEXT_WINDOW", 0, int))

    @default("prompt_caching")
    def _default_prompt_caching(self) -> bool:
        return _env("CODEAGENT_PROMPT_CACHING", "1").lower() not in ("0", "false", "no", "off")

    @default("model_profile")
    def _default_model_profile(self) -> str:
        value = _env("CODEAGENT_MODEL_PROFILE", "auto").lower()
        return value if value in ("auto", "full", "compact") else "auto"

    @default("vision")
    def _default_vision(self) -> str:
        value = _env("CODEAGENT_VISION", "auto").lower()
        return value if value in ("auto", "on", "off") else "auto"

    @default("vision_max_side")
    def _default_vision_max_side(self) -> int:
        return int(_env_number("CODEAGENT_VISION_MAX_SIDE", 768, int))

    @default("vision_max_images")
    def _default_vision_max_images(self) -> int:
        return int(_env_number("CODEAGENT_VISION_MAX_IMAGES", 3, int))

    @default("approval")
    def _default_approval(self) -> str:
        value = _env("CODEAGENT_APPROVAL", "always").lower()
        return value if value in APPROVAL_POLICIES else "always"

    @default("max_steps")
    def _default_max_steps(self) -> int:
        return int(_env_number("CODEAGENT_MAX_STEPS", 30, int))

    @default("max_review_rounds")
    def _default_max_review_rounds(self) -> int:
        return int(_env_number("CODEAGENT_MAX_REVIEW_ROUNDS", 2, int))

    @default("history_turns")
    def _default_history_turns(self) -> int:
        return int(_env_number("CODEAGENT_HISTORY_TURNS", 6, int))

    @default("prompt_token_budget")
    def _default_prompt_token_budget(self) -> int:
        return int(_env_number("CODEAGENT_PROMPT_TOKEN_BUDGET", 12_000, int))

    @default("execution_timeout")
    def _default_execution_timeout(self) -> float:
        return float(_env_number("CODEAGENT_EXECUTION_TIMEOUT", 120.0))

    @default("output_limit")
    def _default_output_limit(self) -> int:
        return int(_env_number("CODEAGENT_OUTPUT_LIMIT", 4_000, int))

    @default("undo_copy_limit")
    def _default_undo_copy_limit(self) -> int:
        return int(_env_number("CODEAGENT_UNDO_COPY_MB", 100, int))

    @default("undo_file_limit")
    def _default_undo_file_limit(self) -> int:
        return int(_env_number("CODEAGENT_UNDO_FILE_MB", 20, int))

    @default("knowledge_dirs")
    def _default_knowledge_dirs(self) -> list[str]:
        raw = _env("CODEAGENT_KNOWLEDGE_DIRS")
        if raw:
            return [part for part in raw.split(os.pathsep) if part]
        return [os.path.join(".codeagent", "knowledge")]

    @default("db_path")
    def _default_db_path(self) -> str:
        return _env("CODEAGENT_DB_PATH")

    # --- sandboxed kernels (jupyter_codeagent.sandbox) ----------------------------
    sandbox = Enum(
        list(SANDBOX_MODES),
        config=True,
        help="Run every kernel of this server in a bubblewrap sandbox (Linux): 'auto' where "
        "it works, 'on' (kernels fail to start where it cannot), 'off'. Limits: "
        "c.SandboxProvisioner.memory_limit / max_processes / cpu_time_limit. "
        "Env: CODEAGENT_SANDBOX.",
    )
    sandbox_network = Enum(
        list(NETWORK_MODES),
        config=True,
        help="Network of sandboxed kernels: 'none' (own empty network namespace) or 'full' "
        "(the host's, loopback included). Env: CODEAGENT_SANDBOX_NETWORK.",
    )
    remote_kernels_isolated = Bool(
        config=True,
        help="With a Kernel/Enterprise Gateway, treat its kernel containers as the isolation "
        "boundary so the 'risky' and 'never' policies may run cells unattended (by default "
        "they ask, as without a sandbox). Env: CODEAGENT_REMOTE_KERNELS_ISOLATED=1.",
    )
    kernel_keeps_secrets = Bool(
        config=True,
        help="Let kernels inherit the configured provider keys (stripped by default, "
        "sandboxed or not). Env: CODEAGENT_KERNEL_KEEPS_SECRETS=1.",
    )

    @default("sandbox")
    def _default_sandbox(self) -> str:
        return env_sandbox_mode()

    @default("sandbox_network")
    def _default_sandbox_network(self) -> str:
        return env_sandbox_network()

    @default("remote_kernels_isolated")
    def _default_remote_kernels_isolated(self) -> bool:
        return _env("CODEAGENT_REMOTE_KERNELS_ISOLATED").lower() in ("1", "true", "yes", "on")

    @default("kernel_keeps_secrets")
    def _default_kernel_keeps_secrets(self) -> bool:
        return env_kernel_keeps_secrets()

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
