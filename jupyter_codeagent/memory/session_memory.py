"""A run's view of its session's memory: prepared once at the start, updated as it goes.

``SessionMemory.prepare(sources)`` loads the persisted state, reconciles the
data-object registry with the kernel, folds the turns that aged out of the recent
window into the running summary (through the ``summarize`` function it is handed),
snapshots the knowledge catalog and resolves the request's ``@`` pins. The agents
then call ``assemble`` before every model call and ``calibrate`` with the input
tokens the provider reported for it; the cell tools report namespace diffs through
``record_execution``. Every change is saved at once, so a restart loses nothing.

The memory is handed everything it reads (``MemorySources``): it never imports the
agents, and never calls a model itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import CodeAgentError
from ..files import data_files_beside
from ..kernel import ToolText, VariableSummary
from ..knowledge import KnowledgeIndex
from ..models import ToolSpec
from ..store import MessageRecord, SessionStore
from .assembler import (
    MAX_OBJECTS_IN_PROMPT,
    AssembledPrompt,
    CurrentStep,
    build_draft,
    recent_turns,
)
from .budget import CONTEXT_HEADING, PromptDraft, fit_to_budget
from .pins import Pin, resolve_pins
from .state import MemoryState
from .summarizer import Summarize, fold_turns, turns_between
from .tokens import estimate_messages, estimate_tools

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class MemorySources:
    """What the memory of one run reads, handed in by the run."""

    store: SessionStore
    session_id: str
    notebook_path: str
    turn: int
    request: str
    history_turns: int
    #: The kernel's variables now (raises ``CodeAgentError`` when it cannot answer).
    list_variables: Callable[[], Awaitable[Sequence[VariableSummary]]]
    inspect_variable: Callable[[str], Awaitable[ToolText]]
    knowledge: KnowledgeIndex | None
    summarize: Summarize
    #: The server root, to name the data files beside the notebook ("" for none).
    root_dir: str = ""


class SessionMemory:
    """Mutable holder of the session's ``MemoryState`` for the duration of one run."""

    def __init__(
        self, sources: MemorySources, state: MemoryState, records: Sequence[MessageRecord]
    ) -> None:
        self.sources = sources
        self.state = state
        self.records = list(records)
        self.catalog = ""
        self.pins: list[Pin] = []
        # The context as the run started: unchanged for the whole run (prompt caches).
        self.objects: tuple[str, ...] = ()
        self.objects_total = 0
        self.files: tuple[str, ...] = ()
        self._warned_over_budget = False

    # --- the start of a run ------------------------------------------------------------

    @classmethod
    async def prepare(cls, sources: MemorySources) -> SessionMemory:
        state = MemoryState.from_json(sources.store.load_memory(sources.session_id))
        # Finished turns only: the current turn's user message is the request itself.
        records = [r for r in sources.store.messages(sources.session_id) if r.turn < sources.turn]
        memory = cls(sources, state, records)
        variables = await memory._kernel_variables()
        if variables is not None:
            memory.state = replace(
                memory.state, registry=memory.state.registry.synced(variables, turn=sources.turn)
            )
        await memory._catch_up_summary()
        if sources.knowledge is not None:
            memory.catalog = await asyncio.to_thread(sources.knowledge.catalog)
        memory.pins = await memory._resolve_pins(
            None if variables is None else {v.name for v in variables}
        )
        memory.objects = tuple(memory.state.registry.lines()[:MAX_OBJECTS_IN_PROMPT])
        memory.objects_total = len(memory.state.registry)
        if sources.root_dir:
            found = await asyncio.to_thread(
                data_files_beside, sources.root_dir, sources.notebook_path
            )
            memory.files = tuple(entry.render() for entry in found)
        memory.save()
        return memory

    async def _kernel_variables(self) -> list[VariableSummary] | None:
        try:
            return list(await self.sources.list_variables())
        except CodeAgentError as error:  # no kernel or not Python: keep the stored registry
            log.info("variables unavailable for memory: %s", error.message)
            return None

    async def _catch_up_summary(self) -> None:
        """Fold every turn older than the recent window into the running summary."""
        sources = self.sources
        aged_out = max(0, sources.turn - max(0, sources.history_turns))
        start = self.state.summarized_through
        if start >= aged_out:
            return
        turns = turns_between(self.records, start, aged_out)
        summary = self.state.summary
        if turns:
            summary = await fold_turns(sources.summarize, summary, turns)
        self.state = replace(self.state, summary=summary, summarized_through=aged_out)

    async def _resolve_pins(self, variables: set[str] | None) -> list[Pin]:
        knowledge = self.sources.knowledge

        async def find_topic(name: str) -> Any:
            return await asyncio.to_thread(knowledge.find_topic, name) if knowledge else None

        return await resolve_pins(
            self.sources.request,
            variables=variables,
            inspect=self.sources.inspect_variable,
            find_topic=find_topic,
        )

    # --- assembling prompts ------------------------------------------------------------

    def draft(self, *, system: str, step: CurrentStep, tools: Sequence[ToolSpec]) -> PromptDraft:
        sources = self.sources
        return build_draft(
            system=system,
            notebook_path=sources.notebook_path,
            state=self.state,
            recent=recent_turns(self.records, turn=sources.turn, keep=sources.history_turns),
            catalog=self.catalog,
            pins=self.pins,
            step=step,
            tool_tokens=estimate_tools(tools),
            objects=self.objects,
            objects_total=self.objects_total,
            files=self.files,
        )

    @property
    def context_text(self) -> str:
        """The session context message as this run's prompts carry it."""
        draft = self.draft(system="", step=CurrentStep(request=""), tools=())
        return f"{CONTEXT_HEADING}\n{draft.context_text()}"

    def assemble(
        self,
        *,
        system: str,
        step: CurrentStep,
        tools: Sequence[ToolSpec],
        budget: int,
        model_key: str,
        max_images: int | None = None,
    ) -> AssembledPrompt:
        """The prompt for a role's next call, fitted to ``budget`` input tokens, with at
        most ``max_images`` images (None: all)."""
        calibration = self.state.calibration

        def estimate(draft: PromptDraft) -> int:
            raw = estimate_messages(draft.messages()) + draft.tool_tokens
            return calibration.calibrated(model_key, raw)

        draft = self.draft(system=system, step=step, tools=tools)
        fitted = fit_to_budget(draft, budget, estimate, max_images=max_images)
        messages = fitted.draft.messages()
        if fitted.over_budget and not self._warned_over_budget:
            self._warned_over_budget = True  # once per run: every call would say the same
            log.warning(
                "session %s: prompt is ~%d tokens, over the budget of %d even after cuts",
                self.sources.session_id,
                fitted.tokens,
                budget,
            )
        elif fitted.cuts:
            log.debug("session %s: prompt cut %s", self.sources.session_id, fitted.cuts)
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
        """Learn how the estimate relates to what the provider counted for ``prompt``."""
        if reported_input_tokens <= 0:
            return
        calibration = self.state.calibration.observed(
            prompt.model_key, prompt.raw_tokens, reported_input_tokens
        )
        if calibration != self.state.calibration:
            self.state = replace(self.state, calibration=calibration)
            self.save()

    # --- the data-object registry ------------------------------------------------------

    def record_execution(
        self, *, cell_id: str, diff: Any, variables: Sequence[VariableSummary], turn: int
    ) -> None:
        """An agent cell ran: register what it created, changed and deleted."""
        registry = self.state.registry.applied(diff, variables, turn=turn, cell_id=cell_id)
        self.state = replace(self.state, registry=registry)
        self.save()

    def save(self) -> None:
        self.sources.store.save_memory(self.sources.session_id, self.state.to_json())
