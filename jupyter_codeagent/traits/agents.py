"""The agents' settings of the server extension (``c.CodeAgentExtension.*``), each also
read from its ``CODEAGENT_*`` environment variable."""

from __future__ import annotations

import os

from traitlets import Bool, Enum, Float, HasTraits, Int, List, Unicode, default

from ..settings import APPROVAL_POLICIES
from .env import env_number as _env_number
from .env import env_text as _env


class AgentTraits(HasTraits):
    """How the agents work: approval, limits, context, undo, where the store lives."""

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
