"""The data objects of the session: the user's variables in the notebook's kernel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..errors import ToolError
from ..kernel import VariableSummary
from .base import tool

if TYPE_CHECKING:
    from .context import RunContext


def format_variables(variables: Sequence[VariableSummary]) -> str:
    if not variables:
        return "The kernel has no user variables yet."
    return "\n".join(f"- {v.name}: {v.summary}" for v in variables)


@tool
async def list_variables(run: RunContext) -> str:
    """List the user's variables in the notebook kernel with type and one-line summary."""
    bridge = run.app.bridge
    return format_variables(await bridge.list_variables(await run.kernel_id()))


@tool
async def inspect_variable(run: RunContext, name: Annotated[str, Field(min_length=1)]) -> str:
    """A bounded summary of one variable: for DataFrames shape, dtypes, nulls, head rows,
    ranges; for arrays, dicts, lists, strings, models what matters."""
    result = await run.app.bridge.inspect_variable(
        await run.kernel_id(), name, limit=run.settings.agents.output_limit_chars
    )
    if not result.ok:
        raise ToolError(result.text)
    return result.text
