"""The function-calling tools of each role (names and arguments are the public contract)."""

from __future__ import annotations

from jupyter_codeagent.models import ToolSpec

_STRING = {"type": "string"}

CREATE_PLAN = ToolSpec(
    name="create_plan",
    description=(
        "Create (or revise) the plan: an ordered list of small tasks, each one or two notebook "
        "cells of work. Replaces the tasks that are not finished yet."
    ),
    parameters={
        "type": "object",
        "properties": {
            "tasks": {
                "type": "array",
                "minItems": 1,
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": 200},
                        "description": {"type": "string", "maxLength": 2000},
                    },
                    "required": ["title"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["tasks"],
        "additionalProperties": False,
    },
)

PROPOSE_CELL = ToolSpec(
    name="propose_cell",
    description=(
        "Propose one Python code cell for the user's notebook. It is checked by a static "
        "analyzer and a reviewer, then shown to the user, who may approve, edit or reject it. "
        "Returns the review, the user's decision and, if it ran, its outputs or error."
    ),
    parameters={
        "type": "object",
        "properties": {
            "code": {"type": "string", "minLength": 1, "maxLength": 50_000},
            "explanation": {
                "type": "string",
                "description": "One or two sentences for the user: what the cell does and why.",
            },
            "task_id": {"type": "string", "description": "The plan task this cell works on."},
        },
        "required": ["code", "explanation"],
        "additionalProperties": False,
    },
)

UPDATE_TASK = ToolSpec(
    name="update_task",
    description="Set the status of a plan task, with an optional short note (why it failed...).",
    parameters={
        "type": "object",
        "properties": {
            "task_id": _STRING,
            "status": {"type": "string", "enum": ["in_progress", "done", "failed", "skipped"]},
            "note": {"type": "string", "maxLength": 1000},
        },
        "required": ["task_id", "status"],
        "additionalProperties": False,
    },
)

FINISH = ToolSpec(
    name="finish",
    description="End the run with a short summary of the findings for the user (Markdown).",
    parameters={
        "type": "object",
        "properties": {"summary": {"type": "string", "minLength": 1}},
        "required": ["summary"],
        "additionalProperties": False,
    },
)

SUBMIT_REVIEW = ToolSpec(
    name="submit_review",
    description=(
        "Submit your review of the proposed cell: 'approve' if it is correct and safe, "
        "'revise' with concrete comments if it should be changed, 'block' if it must never run."
    ),
    parameters={
        "type": "object",
        "properties": {
            "verdict": {"type": "string", "enum": ["approve", "revise", "block"]},
            "risk": {"type": "string", "enum": ["low", "medium", "high"]},
            "comments": {"type": "string"},
        },
        "required": ["verdict", "risk", "comments"],
        "additionalProperties": False,
    },
)

LIST_VARIABLES = ToolSpec(
    name="list_variables",
    description="List the user's variables in the notebook kernel with type and one-line summary.",
    parameters={"type": "object", "properties": {}, "additionalProperties": False},
)

INSPECT_VARIABLE = ToolSpec(
    name="inspect_variable",
    description=(
        "A bounded summary of one variable: for DataFrames shape, dtypes, nulls, head rows, "
        "ranges; for arrays, dicts, lists, strings, models what matters."
    ),
    parameters={
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1}},
        "required": ["name"],
        "additionalProperties": False,
    },
)

LOOKUP_CONTEXT = ToolSpec(
    name="lookup_context",
    description=(
        "Search the team's knowledge base (glossary, metric definitions, data dictionaries, "
        "in-house library docs) and return the most relevant topics."
    ),
    parameters={
        "type": "object",
        "properties": {"query": {"type": "string", "minLength": 1}},
        "required": ["query"],
        "additionalProperties": False,
    },
)

DESCRIBE_API = ToolSpec(
    name="describe_api",
    description=(
        "Signature, docstring summary and public members of a function, class or module "
        "importable in the kernel, e.g. 'pandas.merge_asof' or an in-house library."
    ),
    parameters={
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 1}},
        "required": ["name"],
        "additionalProperties": False,
    },
)

ASK_USER = ToolSpec(
    name="ask_user",
    description="Ask the user a question and wait for the answer (for real ambiguity only).",
    parameters={
        "type": "object",
        "properties": {"question": {"type": "string", "minLength": 1}},
        "required": ["question"],
        "additionalProperties": False,
    },
)

READ_TOOLS: tuple[ToolSpec, ...] = (
    LIST_VARIABLES,
    INSPECT_VARIABLE,
    LOOKUP_CONTEXT,
    DESCRIBE_API,
    ASK_USER,
)
PLANNER_TOOLS: tuple[ToolSpec, ...] = (CREATE_PLAN, *READ_TOOLS)
CODER_TOOLS: tuple[ToolSpec, ...] = (PROPOSE_CELL, UPDATE_TASK, FINISH, *READ_TOOLS)
REVIEWER_TOOLS: tuple[ToolSpec, ...] = (SUBMIT_REVIEW,)
