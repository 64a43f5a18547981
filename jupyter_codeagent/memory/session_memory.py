"""A run's view of its session's memory: prepared once at the start, updated as it goes.

``memory_for(ctx)`` loads the persisted state, reconciles the data-object registry
with the kernel, folds the turns that aged out of the recent window into the running
summary (summarizer call), snapshots the knowledge catalog and resolves the
request's ``@`` pins. The agents then call ``assemble`` before every model call and
``call_assembled`` to make it (which calibrates the token estimate with the
provider's reported usage); the cell pipeline reports namespace diffs through
``record_execution``. Every change is saved at once, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from jupyter_codeagent.agents.calls import call_model
from jupyter_codeagent.agents.runtime import RunContext
from jupyter_codeagent.errors import CodeAgentError
from jupyter_codeagent.models import AssistantMessage, ToolSpec

from .assembler import AssembledPrompt, CurrentStep, build_draft, recent_turns
from .budget import PromptDraft, fit_to_budget
from .pins import Pin, resolve_pins
from .state import MemoryState
from .summarizer import fold_turns, turns_between
from .tokens import estimate_messages, estimate_tools

log = logging.getLogger(__name__)


class SessionMemory:
    """Mutable holder of the session's ``MemoryState`` for the duration of one run."""

    def __init__(self, ctx: RunContext, state: MemoryState, records: Sequence[Any]) -> None:
        self.ctx = ctx
        self.state = state
        self.records = list(records)
        self.catalog = ""
        self.pins: list[Pin] = []
        self._warned_over_budget = False

    # --- the start of a run ------------------------------------------------------------

    @classmethod
    async def prepare(cls, ctx: RunContext) -> SessionMemory:
        state = MemoryState.from_json(ctx.store.load_memory(ctx.session_id))
        # Finished turns only: the current turn's user message is the request itself.
        records = [r for r in ctx.store.messages(ctx.session_id) if r.turn < ctx.turn]
        memory = cls(ctx, state, records)
        variables = await memory._kernel_variables()
        if variables is not None:
            memory.state = replace(
                memory.state, registry=memory.state.registry.synced(variables, turn=ctx.turn)
            )
        await memory._catch_up_summary()
        knowledge = ctx.knowledge
        if knowledge is not None:
            memory.catalog = await asyncio.to_thread(knowledge.catalog)
        memory.pins = await memory._resolve_pins(
            None if variables is None else {v.name for v in variables}
        )
        memory.save()
        return memory

    async def _kernel_variables(self) -> list[Any] | None:
        try:
            return list(await self.ctx.bridge.list_variables(await self.ctx.kernel_id()))
        except CodeAgentError as error:  # no kernel or not Python: keep the stored registry
            log.info("variables unavailable for memory: %s", error.message)
            return None

    async def _catch_up_summary(self) -> None:
        """Fold every turn older than the recent window into the running summary."""
        aged_out = max(0, self.ctx.turn - max(0, self.ctx.settings.history_turns))
        start = self.state.summarized_through
        if start >= aged_out:
            return
        turns = turns_between(self.records, start, aged_out)
        summary = self.state.summary
        if turns:
            summary = await fold_turns(self.ctx, summary, turns)
        self.state = replace(self.state, summary=summary, summarized_through=aged_out)

    async def _resolve_pins(self, variables: set[str] | None) -> list[Pin]:
        ctx = self.ctx

        async def inspect(name: str) -> Any:
            return await ctx.bridge.inspect_variable(await ctx.kernel_id(), name)

        find = getattr(ctx.knowledge, "find_topic", None)

        async def find_topic(name: str) -> Any:
            return await asyncio.to_thread(find, name) if find is not None else None

        return await resolve_pins(
            ctx.request, variables=variables, inspect=inspect, find_topic=find_topic
        )

    # --- assembling and making model calls ---------------------------------------------

    def draft(self, *, system: str, step: CurrentStep, tools: Sequence[ToolSpec]) -> PromptDraft:
        return build_draft(
            system=system,
            notebook_path=self.ctx.notebook_path,
            state=self.state,
            recent=recent_turns(
                self.records, turn=self.ctx.turn, keep=self.ctx.settings.history_turns
            ),
            catalog=self.catalog,
            pins=self.pins,
            step=step,
            tool_tokens=estimate_tools(tools),
        )

    def assemble(
        self, role: str, *, system: str, step: CurrentStep, tools: Sequence[ToolSpec]
    ) -> AssembledPrompt:
        """The prompt for ``role``'s next call, fitted to ``prompt_token_budget``."""
        model = self.ctx.models(role)
        model_key = f"{model.provider}:{model.model}"
        calibration = self.state.calibration
        budget = self.ctx.settings.prompt_token_budget

        def estimate(draft: PromptDraft) -> int:
            raw = estimate_messages(draft.messages()) + draft.tool_tokens
            return calibration.calibrated(model_key, raw)

        fitted = fit_to_budget(self.draft(system=system, step=step, tools=tools), budget, estimate)
        messages = fitted.draft.messages()
        if fitted.over_budget and not self._warned_over_budget:
            self._warned_over_budget = True  # once per run: every call would say the same
            log.warning(
                "session %s: %s prompt is ~%d tokens, over the budget of %d even after cuts",
                self.ctx.session_id,
                role,
                fitted.tokens,
                budget,
            )
        elif fitted.cuts:
            log.debug("session %s: %s prompt cut %s", self.ctx.session_id, role, fitted.cuts)
        return AssembledPrompt(
            messages=messages,
            tokens=fitted.tokens,
            raw_tokens=estimate_messages(messages) + fitted.draft.tool_tokens,
            budget=budget,
            cuts=fitted.cuts,
            over_budget=fitted.over_budget,
            model_key=model_key,
        )

    def calibrate(self, prompt: AssembledPrompt, reported_input_tokens: int) -> None:
        calibration = self.state.calibration.observed(
            prompt.model_key, prompt.raw_tokens, reported_input_tokens
        )
        if calibration != self.state.calibration:
            self.state = replace(self.state, calibration=calibration)
            self.save()

    # --- the data-object registry ------------------------------------------------------

    def record_execution(self, *, cell_id: str, diff: Any, variables: Sequence[Any]) -> None:
        """An agent cell ran: register what it created, changed and deleted."""
        registry = self.state.registry.applied(diff, variables, turn=self.ctx.turn, cell_id=cell_id)
        self.state = replace(self.state, registry=registry)
        self.save()

    def save(self) -> None:
        self.ctx.store.save_memory(self.ctx.session_id, self.state.to_json())


async def memory_for(ctx: RunContext) -> SessionMemory:
    """The run's memory, prepared on first use (every later call returns the same)."""
    if ctx.memory is None:
        ctx.memory = await SessionMemory.prepare(ctx)
    memory: SessionMemory = ctx.memory
    return memory


async def call_assembled(
    ctx: RunContext, role: str, prompt: AssembledPrompt, tools: Sequence[ToolSpec]
) -> AssistantMessage:
    """``call_model`` with the assembled prompt, calibrating with the reported usage."""
    before = ctx.store.usage_totals(ctx.session_id)["input_tokens"]
    reply = await call_model(ctx, role, prompt.messages, tools)
    reported = ctx.store.usage_totals(ctx.session_id)["input_tokens"] - before
    if ctx.memory is not None and reported > 0:
        ctx.memory.calibrate(prompt, reported)
    return reply
