"""The human in the team: questions the agents cannot answer themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .base import tool

if TYPE_CHECKING:
    from .context import RunContext


@tool
async def ask_user(run: RunContext, question: Annotated[str, Field(min_length=1)]) -> str:
    """Ask the user a question and wait for the answer (for real ambiguity only)."""
    answer = await run.human.ask(question)
    return f"The user answered: {answer}"
