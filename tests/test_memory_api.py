"""Memory end to end through the REST + WebSocket API: real server, real kernel, fake model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script, tool_results_text

from jupyter_codeagent.extension import SERVICES_KEY
from jupyter_codeagent.testing.agent_script import (
    context_of,
    finish,
    plan,
    propose,
    review,
    text,
)


@pytest.fixture
def provider() -> str:
    return "openai"


@pytest.fixture
def memory_config() -> dict[str, Any]:
    return {}


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, provider: str, memory_config: dict[str, Any]
) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, provider, "never", **memory_config)
    return jp_server_config


def _store(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings[SERVICES_KEY].sessions.store


def _user_text(request: Any) -> str:
    """The last user message's text, for both wire formats."""
    for message in reversed(request.messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content if b.get("type") == "text"]
        if texts:
            return "\n".join(texts)
    return ""


async def test_registry_follows_cells_that_create_change_and_delete(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    script = new_script(fake)
    script.planner(plan("Make variables"))
    script.coder(
        propose("a = 1\nb = [1, 2, 3]"),
        propose("a = 'text'\ndel b\nc = {'k': 1}"),
        finish("Done."),
    )
    script.reviewer(review(), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "make some variables")
    assert (await events.until_type("run_finished"))["status"] == "done"
    first, second = (e["cell_id"] for e in events.of_type("cell_executed"))

    blob = _store(jp_serverapp).load_memory(session["id"])
    objects = {o["name"]: o for o in blob["objects"]}
    assert set(objects) == {"a", "c"}  # b was deleted: dropped
    assert objects["a"]["created_cell"] == first and objects["a"]["changed_cell"] == second
    assert objects["a"]["summary"] == "str 'text'"
    assert objects["c"]["created_cell"] == second and objects["c"]["changed_cell"] is None

    # Within a run the context message stays as the run started (a prompt cache reuses
    # it); the coder learns what each cell changed from that cell's result.
    calls = script.requests_of("coder")
    assert context_of(calls[1]) == context_of(calls[0])
    assert '"variables_changed":{"created":["a","b"]}' in tool_results_text(calls[1])
    assert '"changed":["a"],"deleted":["b"]' in tool_results_text(calls[2])

    # The next turn's planner sees names and one-line summaries, never the data.
    script.planner(text("a holds a string."))
    await api.send(session["id"], "what is a?")
    assert (await events.until_type("run_finished"))["status"] == "done"
    planner_system = context_of(script.requests_of("planner")[-1])
    assert "Data objects in the kernel (inspect_variable gives detail):" in planner_system
    assert f"- c: dict 1 keys (created turn 1, cell {second})" in planner_system
    assert "- b:" not in planner_system
    events.close()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_name_error_answers_with_the_names_the_kernel_has(api: Api, fake: Any) -> None:
    """A small model that uses a name it imagined gets the real ones with the error."""
    script = new_script(fake)
    script.planner(plan("Mean age"))
    script.coder(
        propose("import pandas as pd\ndf = pd.DataFrame({'age': [20, 40]})"),
        propose("print(passengers['age'].mean())"),
        propose("print(df['age'].mean())"),
        finish("The mean age is 30.0."),
    )
    script.reviewer(review(), review(), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "mean age")
    assert (await events.until_type("run_finished"))["status"] == "done"
    statuses = [e["status"] for e in events.of_type("cell_executed")]
    assert statuses == ["ok", "error", "ok"]

    calls = script.requests_of("coder")
    assert "names_in_the_kernel" not in tool_results_text(calls[1])
    hint = json.loads(tool_results_text(calls[2]).splitlines()[-1])  # the failed cell's
    assert hint["status"] == "error" and "NameError" in hint["output"]
    assert hint["names_in_the_kernel"] == ["df"]
    assert "names_in_the_kernel" in hint["next"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("memory_config", [{"history_turns": 1}])
async def test_summarizer_folds_aged_out_turns_into_the_prompt(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(
        text("Revenue is in EUR."),
        text("Churn is 4%."),
        text("As summarized: EUR, and churn 4%."),
    )
    script.summarizer(text("SUMMARY: revenue is in EUR (turn 1)."))
    session = await api.create_session()
    events = await api.events(session["id"])
    for question in ("FIRST-Q what currency?", "SECOND-Q churn?", "THIRD-Q recap?"):
        await api.send(session["id"], question)
        assert (await events.until_type("run_finished"))["status"] == "done"

    summarizer_calls = script.requests_of("summarizer")
    assert len(summarizer_calls) == 1  # only turn 1 aged out (history_turns=1)
    folded = _user_text(summarizer_calls[0])
    assert "FIRST-Q" in folded and "Revenue is in EUR." in folded
    assert "SECOND-Q" not in folded

    third = script.requests_of("planner")[-1]
    assert "SUMMARY: revenue is in EUR (turn 1)." in context_of(third)
    everything = json.dumps(third.body)
    assert "FIRST-Q" not in everything  # only through the summary
    assert "SECOND-Q" in everything and "Churn is 4%." in everything  # the recent turn
    assert "THIRD-Q" in _user_text(third)
    state = await api.get(session["id"])
    assert state["usage"]["by_role"]["summarizer"]["calls"] == 1
    events.close()


@pytest.mark.parametrize("memory_config", [{"prompt_token_budget": 4_000, "output_limit": 300_000}])
async def test_a_huge_output_is_cut_to_the_budget(api: Api, fake: Any, jp_root_dir: Path) -> None:
    script = new_script(fake)
    script.planner(plan("Print a lot"))
    script.coder(
        propose("print('HEAD-MARK ' + 'x' * 120_000 + ' TAIL-MARK')"),
        finish("Printed."),
    )
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "print a lot")
    assert (await events.until_type("run_finished"))["status"] == "done"
    executed = events.of_type("cell_executed")[0]
    assert len(executed["outputs"][0]["text"]) > 120_000  # the notebook keeps it all

    after = script.requests_of("coder")[-1]
    result = tool_results_text(after)
    assert "HEAD-MARK" in result and "TAIL-MARK" in result
    assert "characters cut to fit the prompt" in result
    sent = json.dumps([after.body.get("messages"), after.body.get("tools")])
    assert len(sent) / 4 < 4_000 * 1.2  # the fake provider's own count, within the budget
    events.close()
