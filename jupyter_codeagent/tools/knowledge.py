"""Context the models were not trained on: the team's knowledge base and in-house APIs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..errors import ToolError
from .base import tool

if TYPE_CHECKING:
    from .context import RunContext

NO_KNOWLEDGE = (
    "No knowledge base is available (add Markdown files to the knowledge folder, "
    "by default .codeagent/knowledge/ in the server root)."
)


@tool
async def lookup_context(run: RunContext, query: Annotated[str, Field(min_length=1)]) -> str:
    """Search the team's knowledge base (glossary, metric definitions, data dictionaries,
    in-house library docs) and return the most relevant topics."""
    knowledge = run.app.knowledge
    if knowledge is None:
        return NO_KNOWLEDGE
    # In a thread: the look-up may first re-index changed files.
    return await asyncio.to_thread(knowledge.lookup, query)


@tool
async def describe_api(run: RunContext, name: Annotated[str, Field(min_length=1)]) -> str:
    """Signature, docstring summary and public members of a function, class or module
    importable in the kernel, e.g. 'pandas.merge_asof' or an in-house library."""
    result = await run.app.bridge.describe_api(
        await run.kernel_id(), name, limit=run.settings.agents.output_limit_chars
    )
    if not result.ok:
        raise ToolError(result.text)
    return result.text
