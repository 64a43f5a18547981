"""Knowledge through the agent loop, and ``@`` pins: real server, real kernel, fake model."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script, tool_results_text

from jupyter_codeagent.testing.agent_script import (
    call,
    context_of,
    finish,
    plan,
    propose,
    review,
    text,
)

GLOSSARY = """# Glossary

## Pipeline
"Pipeline" means the sales pipeline: open opportunities weighted by stage (PIPE-DEF).

## Region
Sales regions are north, south and east (REGION-DEF).
"""
CSV = "region,revenue\nnorth,120\nsouth,80\nnorth,30\neast,55\n"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "never")
    return jp_server_config


@pytest.fixture
def knowledge(jp_root_dir: Path) -> Path:
    folder = jp_root_dir / ".codeagent" / "knowledge"
    folder.mkdir(parents=True)
    (folder / "glossary.md").write_text(GLOSSARY)
    return folder


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> Api:
    (jp_root_dir / "sales.csv").write_text(CSV)
    return Api(jp_fetch, jp_ws_fetch)


def _request_text(request: Any) -> str:
    """The current step: the user message that follows the system prompt."""
    users = [m for m in request.messages if m.get("role") == "user"]
    content = users[-1]["content"]
    return content if isinstance(content, str) else json.dumps(content)


async def test_lookup_through_the_agent_loop_and_file_updates(
    api: Api, fake: Any, knowledge: Path
) -> None:
    script = new_script(fake)
    script.planner(
        call("lookup_context", query="what does 'pipeline' mean? (AND OR)"),
        text("The pipeline is the sales pipeline."),
    )
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "How big is the pipeline?")
    assert (await events.until_type("run_finished"))["status"] == "done"

    first, second = script.requests_of("planner")
    # The prompt carries the catalog of titles only, never the bodies.
    system = context_of(first)
    assert "Knowledge topics (lookup_context(query) returns them):" in system
    assert "- .codeagent/knowledge/glossary.md: Pipeline; Region" in system
    assert "PIPE-DEF" not in json.dumps(first.body)
    # The look-up result: the best topic with its heading and source.
    result = tool_results_text(second)
    assert "## Glossary › Pipeline  (source: .codeagent/knowledge/glossary.md)" in result  # noqa: RUF001
    assert "PIPE-DEF" in result

    # Edit the knowledge while the server runs: the next look-up sees it.
    stat = (knowledge / "glossary.md").stat()
    (knowledge / "glossary.md").write_text(GLOSSARY + "\n## Churn\nLost customers (CHURN-DEF).\n")
    os.utime(knowledge / "glossary.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    script.planner(call("lookup_context", query="churn"), text("Churn is lost customers."))
    await api.send(session["id"], "What is churn?")
    assert (await events.until_type("run_finished"))["status"] == "done"
    planner_calls = script.requests_of("planner")
    assert "Churn" in context_of(planner_calls[2])  # the catalog is current too
    assert "CHURN-DEF" in tool_results_text(planner_calls[3])
    events.close()


async def test_lookup_without_a_knowledge_folder(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(call("lookup_context", query="pipeline"), text("No glossary here."))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "What is the pipeline?")
    assert (await events.until_type("run_finished"))["status"] == "done"
    first, second = script.requests_of("planner")
    assert "Knowledge topics" not in context_of(first)
    assert "The knowledge base is empty: add Markdown files to .codeagent/knowledge" in (
        tool_results_text(second)
    )
    events.close()


async def test_at_pins_resolve_variables_and_topics(api: Api, fake: Any, knowledge: Path) -> None:
    script = new_script(fake)
    script.planner(plan("Load the data"))
    script.coder(
        propose("import pandas as pd\nsales = pd.read_csv('sales.csv')"), finish("Loaded.")
    )
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "load sales.csv")
    assert (await events.until_type("run_finished"))["status"] == "done"

    # A planner that answers a question about the data in prose is not believed: the
    # coder computes the answer.
    script.planner(text("Answered."))
    script.coder(propose("sales.groupby('region')['revenue'].sum()"), finish("Computed."))
    script.reviewer(review())
    message = (
        'Total revenue of @sales per @region, see @"Pipeline" too; ask bob@example.com; '
        "not `@decorator` code; and @nothing_here."
    )
    await api.send(session["id"], message)
    assert (await events.until_type("run_finished"))["status"] == "done"
    step = _request_text(script.requests_of("planner")[-1])
    assert step.startswith(message)
    assert "Pinned context (the user referred to these with @):" in step
    # The variable: its inspect_variable description, resolved in the kernel.
    assert "@sales (variable, as inspect_variable shows it):" in step
    assert "revenue" in step.split("@sales (variable", 1)[1]
    # Topics, by title.
    assert "@region (knowledge topic Glossary › Region" in step  # noqa: RUF001
    assert "REGION-DEF" in step and "PIPE-DEF" in step
    assert "@nothing_here: no variable or knowledge topic has this name." in step
    assert "@example" not in step.split("Pinned context", 1)[1]
    assert "@decorator" not in step.split("Pinned context", 1)[1]
    events.close()
