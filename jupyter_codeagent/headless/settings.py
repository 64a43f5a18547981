"""The headless run's configuration: the server's traitlets/environment, plus CLI overrides."""

from __future__ import annotations

import os
from dataclasses import replace

from ..settings import Settings


def headless_settings(
    *,
    root_dir: str,
    db_path: str,
    provider: str | None = None,
    model: str | None = None,
    approval: str | None = None,
) -> Settings:
    """Read the settings exactly as the server extension does, then apply the flags.

    The extension app is instantiated only to read its traitlets (which default to the
    environment variables), so ``jupyter codeagent run`` and JupyterLab can never
    disagree about what ``CODEAGENT_*`` means.
    """
    from ..extension import CodeAgentExtension  # imports jupyter_server: only when running

    app = CodeAgentExtension()
    model_settings = app.model_settings()
    if provider:
        model_settings = replace(model_settings, provider=provider.strip().lower())
    if model:
        model_settings = replace(model_settings, model=model.strip())
    agents = app.agent_settings()
    # Relative knowledge folders are relative to the "server root", which here is the
    # notebook's folder, not the shell's working directory.
    knowledge = tuple(
        path if os.path.isabs(path) else os.path.join(root_dir, path) for path in app.knowledge_dirs
    )
    agents = replace(
        agents,
        approval=approval or agents.approval,
        db_path=db_path,
        knowledge_dirs=knowledge,
    )
    return Settings(models=model_settings, agents=agents)


def install_cli_sandbox(db_path: str) -> None:
    """The headless run's kernels go through the sandbox exactly as the server's do."""
    from ..extension import CodeAgentExtension

    CodeAgentExtension().install_sandbox(db_path=db_path)
