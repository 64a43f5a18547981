"""The memory tiers: what is and is not in the prompt at turns 1, 7 and 40; the summarizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_memory_support import (
    FailingModel,
    assemble,
    make_world,
    memory_for,
    system_text,
    text_of,
)

from jupyter_codeagent.agents import prompts
from jupyter_codeagent.memory.assembler import CurrentStep
from jupyter_codeagent.memory.state import MemoryState
from jupyter_codeagent.models import (
    AssistantMessage,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from jupyter_codeagent.store import CellRecord

pytestmark = pytest.mark.asyncio

TOOL_LOG = "TOOL-OUTPUT-OF-AN-EARLIER-RUN"


def _exchange(marker: str) -> list[object]:
    call = ToolCall(id="call1", name="list_variables", arguments={}, raw_arguments="{}")
    return [
        AssistantMessage(content="", tool_calls=(call,)),
        ToolResultMessage(tool_call_id="call1", name="list_variables", content=marker),
    ]


def _coder_prompt(ctx: Any, request: str, marker: str = "CURRENT-TOOL-RESULT") -> list:
    step = CurrentStep(request=request, details="The plan:\n- t1", exchange=_exchange(marker))
    return assemble(ctx, "coder", system=prompts.CODER, step=step).messages


def _old_cell(world: object, turn: int) -> None:
    """An earlier run's cell with its outputs: tool logs of old turns never reach prompts."""
    world.store.save_cell(  # type: ignore[attr-defined]
        world.session_id,  # type: ignore[attr-defined]
        CellRecord(
            cell_id=f"c{turn}",
            task_id=None,
            source="print('x')",
            explanation="",
            review={},
            status="done",
            outputs=[{"output_type": "stream", "name": "stdout", "text": TOOL_LOG}],
            execution_count=1,
            created=0.0,
            updated=0.0,
        ),
    )


async def test_turn_1_has_only_the_current_step() -> None:
    world = make_world()
    ctx = world.ask(0, "Load sales.csv please")
    await memory_for(ctx)
    messages = _coder_prompt(ctx, ctx.request)
    assert isinstance(messages[0], SystemMessage)
    assert messages[0].content.startswith(prompts.CODER)
    # The role prompt alone is the system message (the cached prefix); the session
    # context follows in its own message.
    assert messages[0].content == prompts.CODER
    assert "Notebook: analysis.ipynb" in messages[1].content
    assert "Summary of the earlier conversation" not in system_text(messages)
    # system, context (after the recent turns: none yet), the current request, then the
    # run's exchange: nothing else.
    assert [type(m).__name__ for m in messages] == [
        "SystemMessage",
        "UserMessage",
        "UserMessage",
        "AssistantMessage",
        "ToolResultMessage",
    ]
    assert messages[2].content.startswith("Load sales.csv please")
    assert "The plan:\n- t1" in messages[2].content
    assert messages[4].content == "CURRENT-TOOL-RESULT"
    assert world.models["summarizer"].calls == []


async def test_turn_7_has_six_recent_turns_verbatim_and_no_summary() -> None:
    world = make_world(history_turns=6)
    world.add_turns(6)
    for turn in range(6):
        _old_cell(world, turn)
    ctx = world.ask(6, "turn seven request")
    await memory_for(ctx)
    messages = _coder_prompt(ctx, ctx.request)
    text = text_of(messages)
    for n in range(1, 7):
        assert f"question number {n}" in text and f"answer number {n}" in text
    # Recent turns are plain user/assistant pairs in order, before the current step.
    assert isinstance(messages[1], UserMessage) and messages[1].content == "question number 1"
    assert isinstance(messages[2], AssistantMessage) and messages[2].content == "answer number 1"
    assert messages[13].content.startswith("# Session context")  # after the recent turns
    assert messages[14].content.startswith("turn seven request")
    assert TOOL_LOG not in text
    assert "Summary of the earlier conversation" not in system_text(messages)
    assert world.models["summarizer"].calls == []


async def test_turn_40_summary_plus_last_six_turns() -> None:
    world = make_world(history_turns=6)
    world.add_turns(39)
    for turn in range(39):
        _old_cell(world, turn)
    ctx = world.ask(39, "turn forty request")
    await memory_for(ctx)
    messages = _coder_prompt(ctx, ctx.request)
    text = text_of(messages)
    # Turns 34..39 verbatim; 1..33 only through the summary.
    for n in range(34, 40):
        assert f"question number {n}" in text
    for n in (1, 2, 20, 33):
        assert f"question number {n}\n" not in text + "\n"
        assert f"answer number {n}\n" not in text + "\n"
    assert TOOL_LOG not in text
    system = system_text(messages)
    assert "Summary of the earlier conversation:\nSUMMARY covering Turn 1," in system
    assert "Turn 33" in system and "Turn 34" not in system
    assert "CURRENT-TOOL-RESULT" in text  # the current step stays in full
    # One summarizer call folded the 33 aged-out turns (they fit one batch).
    calls = world.models["summarizer"].calls
    assert len(calls) == 1
    assert calls[0][0].content == prompts.SUMMARIZER
    request = calls[0][1].content
    assert "Summary so far:\n(none yet" in request
    assert "question number 1" in request and "answer number 33" in request
    assert "question number 34" not in request
    # Its usage is accounted like any model call.
    assert world.store.usage_totals(world.session_id)["by_role"]["summarizer"]["calls"] == 1


async def test_summary_is_updated_incrementally_as_turns_age_out() -> None:
    world = make_world(history_turns=6)
    world.add_turns(7)
    ctx = world.ask(7, "turn eight")
    await memory_for(ctx)
    calls = world.models["summarizer"].calls
    assert len(calls) == 1
    assert "Turn 1:" in calls[0][1].content and "Turn 2:" not in calls[0][1].content
    world.store.add_message(world.session_id, turn=7, role="assistant", text="answer number 8")
    # Next turn: only turn 2 ages out; the summarizer gets the summary so far with it.
    ctx = world.ask(8, "turn nine")
    memory = await memory_for(ctx)
    assert len(calls) == 2
    second = calls[1][1].content
    assert "Summary so far:\nSUMMARY covering Turn 1" in second
    assert "Turn 2:" in second and "Turn 1:" not in second and "Turn 3:" not in second
    assert memory.state.summary == "SUMMARY covering Turn 2"
    assert memory.state.summarized_through == 2
    # The same turn again (a second model call in the run) does not summarize again.
    ctx.memory = None
    await memory_for(ctx)
    assert len(calls) == 2


async def test_a_long_backlog_is_folded_in_batches() -> None:
    world = make_world(history_turns=2)
    for turn in range(30):
        world.store.add_message(world.session_id, turn=turn, role="user", text="x" * 2_500)
    ctx = world.ask(30, "go")
    memory = await memory_for(ctx)
    calls = world.models["summarizer"].calls
    assert len(calls) > 1  # ~18,000 tokens of history, 6,000 per call
    assert memory.state.summarized_through == 28
    # Each batch builds on the summary the previous one produced.
    assert "Summary so far:\nSUMMARY covering" in calls[1][1].content


async def test_memory_persists_and_is_restored_after_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "codeagent.db")
    world = make_world(db, history_turns=2)
    world.add_turns(5)
    world.bridge.variables = {"df": ("DataFrame", "DataFrame 4 x 2")}
    ctx = world.ask(5, "first run after five turns")
    await memory_for(ctx)
    assert len(world.models["summarizer"].calls) == 1
    world.store.close()

    # A new server process: a new store on the same file, fresh models.
    again = make_world(db, history_turns=2, session_id=world.session_id)
    again.bridge.variables = dict(world.bridge.variables)
    ctx = again.context(5, "first run after five turns")
    memory = await memory_for(ctx)
    assert again.models["summarizer"].calls == []  # nothing new aged out
    assert memory.state.summary == "SUMMARY covering Turn 1, Turn 2, Turn 3"
    assert memory.state.summarized_through == 3
    assert memory.state.registry.names() == ["df"]
    saved = MemoryState.from_json(again.store.load_memory(again.session_id))
    assert saved.summary == memory.state.summary


async def test_a_failing_summarizer_keeps_an_extract_and_the_run_goes_on() -> None:
    world = make_world(history_turns=1)
    world.add_turns(3)
    world.models["summarizer"] = FailingModel(lambda m: "")
    ctx = world.ask(3, "go on")
    memory = await memory_for(ctx)
    assert memory.state.summarized_through == 2
    assert "(turn 1) user: question number 1" in memory.state.summary
    assert "(turn 2) assistant: answer number 2" in memory.state.summary
    prompt = assemble(ctx, "planner", system=prompts.PLANNER, step=CurrentStep(request="go on"))
    assert "(turn 2) assistant: answer number 2" in system_text(prompt.messages)


async def test_lowering_history_turns_summarizes_the_difference() -> None:
    world = make_world(history_turns=6)
    world.add_turns(6)
    ctx = world.ask(6, "seven")
    await memory_for(ctx)
    assert world.models["summarizer"].calls == []
    world.settings = type(world.settings)(history_turns=2)
    ctx = world.context(6, "seven")
    memory = await memory_for(ctx)
    assert memory.state.summarized_through == 4
    assert "Turn 4" in memory.state.summary
    text = text_of(_coder_prompt(ctx, "seven"))
    assert "question number 5" in text and "question number 4\n" not in text + "\n"
