"""The shared read tools: variables, knowledge, APIs, and questions to the user."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_codeagent.agents.runtime import RunContext
from jupyter_codeagent.agents.tool_runner import ToolFailure, ToolHandler

_NO_KNOWLEDGE = (
    "No knowledge base is available (add Markdown files to the knowledge folder, "
    "by default .codeagent/knowledge/ in the server root)."
)


def format_variables(variables: list[Any]) -> str:
    if not variables:
        return "The kernel has no user variables yet."
    return "\n".join(f"- {v.name}: {v.summary}" for v in variables)


def read_tool_handlers(ctx: RunContext) -> dict[str, ToolHandler]:
    """Handlers bound to the run's kernel, knowledge and user."""

    async def list_variables(args: dict[str, Any]) -> str:
        kernel_id = await ctx.kernel_id()
        return format_variables(await ctx.bridge.list_variables(kernel_id))

    async def inspect_variable(args: dict[str, Any]) -> str:
        kernel_id = await ctx.kernel_id()
        result = await ctx.bridge.inspect_variable(kernel_id, args["name"])
        if not result.ok:
            raise ToolFailure(result.text)
        return str(result.text)

    async def describe_api(args: dict[str, Any]) -> str:
        kernel_id = await ctx.kernel_id()
        result = await ctx.bridge.describe_api(kernel_id, args["name"])
        if not result.ok:
            raise ToolFailure(result.text)
        return str(result.text)

    async def lookup_context(args: dict[str, Any]) -> str:
        if ctx.knowledge is None:
            return _NO_KNOWLEDGE
        # In a thread: the look-up may first re-index changed files.
        return await asyncio.to_thread(ctx.knowledge.lookup, args["query"])

    async def ask_user(args: dict[str, Any]) -> str:
        answer = await ctx.human.ask(args["question"])
        return f"The user answered: {answer}"

    return {
        "list_variables": list_variables,
        "inspect_variable": inspect_variable,
        "describe_api": describe_api,
        "lookup_context": lookup_context,
        "ask_user": ask_user,
    }
