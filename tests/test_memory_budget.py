"""The token budget: estimates, calibration, and the order in which parts are cut."""

from __future__ import annotations

import pytest
from test_memory_support import (
    assemble,
    call_assembled,
    make_world,
    memory_for,
    system_text,
    text_of,
)

from jupyter_codeagent.agents import prompts
from jupyter_codeagent.memory.assembler import CurrentStep
from jupyter_codeagent.memory.budget import CUT_ORDER, PromptDraft, clip_middle, fit_to_budget
from jupyter_codeagent.memory.tokens import (
    TokenCalibration,
    estimate_messages,
    estimate_text,
)
from jupyter_codeagent.models import AssistantMessage, ToolCall, ToolResultMessage, UserMessage
from jupyter_codeagent.settings import Settings

REQUEST = "Please find the churn drivers."


def _round(index: int, output: str) -> list[object]:
    call = ToolCall(id=f"call{index}", name="propose_cell", arguments={}, raw_arguments="{}")
    return [
        AssistantMessage(content=f"step {index}", tool_calls=(call,)),
        ToolResultMessage(tool_call_id=f"call{index}", name="propose_cell", content=output),
    ]


def _draft(**changes: object) -> PromptDraft:
    base: dict[str, object] = {
        "system": "SYSTEM PROMPT",
        "notebook": "Notebook: a.ipynb",
        "summary": "S" * 8_000,
        "objects": tuple(f"- v{i}: int {i}" for i in range(60)),
        "objects_total": 60,
        "catalog": "\n".join(f"- file{i}.md: Topic {i}" for i in range(30)),
        "files": tuple(f"- data{i}.csv (12.0 kB): a,b,c" for i in range(20)),
        "recent": tuple(
            (UserMessage(content=f"old question {i} " + "q" * 2_000),) for i in range(6)
        ),
        "request": REQUEST,
        "details": "The plan:\n- [pending] t1",
        "pins": ("@df (variable):\n" + "P" * 5_000,),
        "exchange": tuple(m for i in range(5) for m in _round(i, f"out{i} " + "o" * 9_000)),
    }
    base.update(changes)
    return PromptDraft(**base)  # type: ignore[arg-type]


def _estimate(draft: PromptDraft) -> int:
    return estimate_messages(draft.messages())


def test_estimate_is_chars_over_four_with_non_ascii_weighed_in() -> None:
    assert estimate_text("") == 0
    assert estimate_text("abcd" * 100) == 100
    assert estimate_text("数据" * 100) > 100  # CJK: about a token a character
    assert estimate_messages([UserMessage(content="abcd")]) == 5  # + framing


def test_calibration_learns_the_providers_ratio_within_bounds() -> None:
    calibration = TokenCalibration()
    assert calibration.calibrated("m", 1000) == 1000
    calibration = calibration.observed("m", 1000, 1500)
    assert calibration.calibrated("m", 1000) == 1500
    for _ in range(20):
        calibration = calibration.observed("m", 1000, 1200)
    assert 1190 <= calibration.calibrated("m", 1000) <= 1210
    wild = calibration.observed("other", 10, 100_000)
    assert wild.ratio("other") == 3.0  # one odd answer cannot make the budget useless
    assert TokenCalibration.from_json(wild.to_json()) == wild


def test_within_budget_nothing_is_cut() -> None:
    draft = _draft()
    fitted = fit_to_budget(draft, 1_000_000, _estimate)
    assert fitted.cuts == () and fitted.draft == draft and not fitted.over_budget


def test_old_tool_results_go_first() -> None:
    draft = _draft()
    full = _estimate(draft)
    fitted = fit_to_budget(draft, full - 1_000, _estimate)
    assert fitted.cuts == ("old_tool_results",)
    results = [m for m in fitted.draft.exchange if isinstance(m, ToolResultMessage)]
    assert "result elided" in results[0].content and results[0].content.startswith("out0 ooo")
    assert "result elided" not in results[-1].content  # the last two rounds are intact
    assert results[-1].content == "out4 " + "o" * 9_000
    assert fitted.draft.recent == draft.recent and fitted.draft.summary == draft.summary


def test_the_priority_order_is_followed_to_the_end() -> None:
    draft = _draft()
    fitted = fit_to_budget(draft, 300, _estimate)
    assert fitted.cuts == (
        "old_tool_results",
        "large_tool_outputs",
        "recent_turns",
        "knowledge_catalog",
        "data_files",
        "data_objects",
        "summary",
        "pinned_context",
        "old_rounds",
        "last_round_outputs",
    )
    assert [label for label, _ in CUT_ORDER][-1] == "last_round_outputs"
    messages = fitted.draft.messages()
    # Never cut: the system prompt, the request, the step details.
    assert system_text(messages).startswith("SYSTEM PROMPT")
    assert messages[2].content.startswith(REQUEST + "\n\nThe plan:\n- [pending] t1")
    assert "earlier round(s) of tool calls in this request were dropped" in messages[2].content
    assert fitted.tokens <= 300 and not fitted.over_budget


def test_recent_turns_are_dropped_oldest_first_before_the_data_objects() -> None:
    draft = _draft(exchange=(), pins=())
    fitted = fit_to_budget(draft, _estimate(draft) - 1_000, _estimate)
    assert fitted.cuts == ("recent_turns",)
    kept = [" ".join(turn[0].content.split()[:3]) for turn in fitted.draft.recent]
    assert kept[-1] == "old question 5" and "old question 0" not in kept
    assert fitted.draft.objects == draft.objects and fitted.draft.summary == draft.summary


def test_when_the_request_alone_is_too_big_it_is_sent_whole_and_flagged() -> None:
    request = "R" * 40_000
    fitted = fit_to_budget(_draft(request=request), 1_000, _estimate)
    assert fitted.over_budget
    assert request in fitted.draft.messages()[2].content


def test_clip_middle_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 10_000 + "TAIL-ERROR"
    clipped = clip_middle(text, 600)
    assert clipped.startswith("HEAD") and clipped.endswith("TAIL-ERROR")
    assert "characters cut to fit the prompt" in clipped and len(clipped) < 700


@pytest.mark.asyncio
async def test_budget_with_a_huge_variable_summary_and_many_variables() -> None:
    world = make_world(budget=4_000)
    world.bridge.variables = {"huge": ("Blob", "Blob " + "z" * 100_000)}
    world.bridge.variables.update({f"v{i:04d}": ("int", f"int {i}") for i in range(3_000)})
    ctx = world.ask(0, REQUEST)
    await memory_for(ctx)
    step = CurrentStep(request=REQUEST)
    prompt = assemble(ctx, "coder", system=prompts.CODER, step=step)
    assert prompt.tokens <= 4_000 and not prompt.over_budget
    system = system_text(prompt.messages)
    assert "- huge: Blob zzz" in system
    assert "z" * 200 not in system  # one line per object, whatever its summary
    # At most 40 objects are listed, whatever the budget; the model lists the rest.
    assert "- … and 2961 more (list_variables)" in system

    # A tight budget cuts the list further, never the system prompt or the request.
    world.settings = type(world.settings)(prompt_token_budget=1_500)
    ctx.settings = Settings(agents=world.settings)
    prompt = assemble(ctx, "coder", system=prompts.CODER, step=step)
    assert "data_objects" in prompt.cuts and prompt.tokens <= 1_500
    system = system_text(prompt.messages)
    assert system.startswith(prompts.CODER)
    listed = [line for line in system.splitlines() if line.startswith("- v")]
    assert len(listed) <= 20
    assert "more (list_variables)" in system or "3001 variables in the kernel" in system
    assert prompt.messages[2].content.startswith(REQUEST)


@pytest.mark.asyncio
async def test_budget_with_a_huge_tool_output_in_the_current_step() -> None:
    world = make_world(budget=5_000)
    ctx = world.ask(0, REQUEST)
    await memory_for(ctx)
    huge = "FIRST-LINE\n" + "row,1,2,3\n" * 30_000 + "Traceback: KeyError 'revenu'"
    exchange = _round(0, "small result") + _round(1, huge)
    step = CurrentStep(request=REQUEST, exchange=exchange)
    prompt = assemble(ctx, "coder", system=prompts.CODER, step=step)
    assert prompt.tokens <= 5_000
    assert "large_tool_outputs" in prompt.cuts
    last = prompt.messages[-1]
    assert isinstance(last, ToolResultMessage)
    assert last.content.startswith("FIRST-LINE") and last.content.endswith("KeyError 'revenu'")
    assert "small result" in text_of(prompt.messages)


@pytest.mark.asyncio
async def test_call_assembled_calibrates_with_the_reported_usage() -> None:
    world = make_world(budget=100_000)
    world.models["coder"].ratio = 2.0  # this "provider" counts twice our estimate
    ctx = world.ask(0, REQUEST)
    await memory_for(ctx)
    step = CurrentStep(request=REQUEST, exchange=_round(0, "r" * 40_000))
    before = assemble(ctx, "coder", system=prompts.CODER, step=step)
    await call_assembled(ctx, "coder", before)
    after = assemble(ctx, "coder", system=prompts.CODER, step=step)
    assert ctx.memory is not None
    assert ctx.memory.state.calibration.ratio("fake:scripted") > 1.3
    assert after.tokens > before.tokens * 1.3
    # Persisted with the memory: the next run starts calibrated.
    saved = world.store.load_memory(world.session_id)
    assert saved["token_ratios"]["fake:scripted"] > 1.3
