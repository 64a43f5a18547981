"""End-to-end runs through the REST + WebSocket API: real server, real kernel, fake model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script, tool_results_text

from jupyter_codeagent.testing.agent_script import (
    call,
    finish,
    plan,
    propose,
    review,
    text,
)
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

CSV = "region,revenue\nnorth,120\nsouth,80\nnorth,30\neast,55\n"


@pytest.fixture
def approval() -> str:
    return "always"


@pytest.fixture
def provider() -> str:
    return "openai"


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, approval: str, provider: str
) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, provider, approval)
    return jp_server_config


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> Api:
    (jp_root_dir / "sales.csv").write_text(CSV)
    return Api(jp_fetch, jp_ws_fetch)


def _agent_cells(root: Path, name: str = "analysis.ipynb") -> list[Any]:
    nb = nbformat.read(root / name, as_version=4)
    nbformat.validate(nb)
    return [c for c in nb.cells if "codeagent" in c.metadata]


LOAD = "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.shape"
TOTALS = "totals = df.groupby('region')['revenue'].sum()\nprint(totals.to_dict())"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_two_task_analysis_with_approvals(api: Api, fake: Any, jp_root_dir: Path) -> None:
    script = new_script(fake)
    script.planner(plan("Load sales.csv", "Revenue by region"))
    script.coder(
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t1", "status": "in_progress"}),
                FakeToolCall(
                    "propose_cell", {"code": LOAD, "explanation": "Load it.", "task_id": "t1"}
                ),
            ]
        ),
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t1", "status": "done"}),
                FakeToolCall(
                    "propose_cell", {"code": TOTALS, "explanation": "Sum.", "task_id": "t2"}
                ),
            ]
        ),
        call("update_task", task_id="t2", status="done", note="north leads"),
        finish("North has the most revenue (150)."),
    )
    script.reviewer(review("approve"), review("approve"))

    session = await api.create_session()
    assert session["notebook_path"] == "analysis.ipynb"
    assert session["kernel_id"]
    events = await api.events(session["id"])
    accepted = await api.send(session["id"], "Which region sells most?")
    assert accepted["status"] == "running"

    first = await events.until_type("cell_proposed")
    assert first["source"] == LOAD and first["needs_approval"] is True
    assert first["review"]["verdict"] == "approve"
    assert first["task_id"] == "t1"
    await api.approve(session["id"], first["cell_id"])
    executed = await events.until_type("cell_executed")
    assert executed["status"] == "ok"
    assert executed["outputs"][0]["data"]["text/plain"] == "(4, 2)"

    second = await events.until_type("cell_proposed")
    await api.approve(session["id"], second["cell_id"])
    executed = await events.until_type("cell_executed")
    assert "'north': 150" in executed["outputs"][0]["text"]
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done"
    assert finished["summary"] == "North has the most revenue (150)."

    types = [e["type"] for e in events.events]
    assert types[0] == "run_started" and types[1] == "message"  # a turn starts with its run
    assert "plan" in types and "usage" in types and "variables" in types
    plans = events.of_type("plan")
    assert [t["title"] for t in plans[0]["tasks"]] == ["Load sales.csv", "Revenue by region"]
    assert [t["status"] for t in plans[-1]["tasks"]] == ["done", "done"]
    assert plans[-1]["tasks"][1]["note"] == "north leads"
    variables = {v["name"]: v for v in events.of_type("variables")[-1]["variables"]}
    assert variables["df"]["type"] == "DataFrame"
    seqs = [e["seq"] for e in events.events]
    assert seqs == list(range(1, len(seqs) + 1))

    # The coder saw the cell's output as the result of propose_cell.
    last_coder = script.requests_of("coder")[-1]
    assert "'north': 150" in tool_results_text(last_coder)

    cells = _agent_cells(jp_root_dir)
    assert [c.source for c in cells] == [LOAD, TOTALS]
    assert all(c.metadata["codeagent"]["status"] == "done" for c in cells)
    assert cells[0].outputs[0]["data"]["text/plain"] == "(4, 2)"
    assert cells[1].execution_count is not None

    state = await api.get(session["id"])
    assert state["status"] == "done"
    assert [m["role"] for m in state["messages"]] == ["user", "assistant"]
    assert [c["status"] for c in state["cells"]] == ["done", "done"]
    assert state["usage"]["input_tokens"] > 0
    # Each approval names the authenticated user who gave it (jupyter_server's identity;
    # a token without a cookie is a new anonymous user per request).
    approvers = [a["approved_by"] for a in state["audit"]]
    assert len(approvers) == 2 and all(a and not a.startswith("policy:") for a in approvers)
    assert [a["outcome"] for a in state["audit"]] == ["ok", "ok"]
    assert {v["name"] for v in state["variables"]} >= {"df", "totals"}
    events.close()


@pytest.mark.parametrize("approval", ["never"])
async def test_error_fix_loop(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Compute the mean revenue"))
    script.coder(
        propose("import pandas as pd\nd = pd.read_csv('sales.csv')\nd['revenu'].mean()"),
        propose("float(d['revenue'].mean())"),
        finish("The mean revenue is 71.25."),
    )
    script.reviewer(review(), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "mean revenue?")
    failed = await events.until_type("cell_executed")
    assert failed["status"] == "error"
    assert failed["outputs"][-1]["ename"] == "KeyError"
    fixed = await events.until_type("cell_executed")
    assert fixed["status"] == "ok"
    assert fixed["outputs"][0]["data"]["text/plain"] == "71.25"
    assert (await events.until_type("run_finished"))["status"] == "done"
    # The error reached the coder, which is why it fixed the column name.
    second_call = script.requests_of("coder")[1]
    assert "KeyError" in tool_results_text(second_call)
    proposed = events.of_type("cell_proposed")
    assert all(p["needs_approval"] is False for p in proposed)
    state = await api.get(session["id"])
    assert [a["approved_by"] for a in state["audit"]] == ["policy:never", "policy:never"]


@pytest.mark.parametrize("approval", ["risky"])
async def test_reviewer_revise_then_approve(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Show the data"))
    script.coder(
        propose("import pandas as pd\nprint(pd.read_csv('sales.csv').to_string())"),
        propose("import pandas as pd\npd.read_csv('sales.csv').head()"),
        finish("Shown."),
    )
    script.reviewer(review("revise", "low", "Use head() to keep the output small."), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "show me the data")
    proposed = await events.until_type("cell_proposed")
    assert "head()" in proposed["source"]
    # Low risk and approved: the risky policy runs it without asking.
    assert proposed["needs_approval"] is False
    await events.until_type("run_finished")
    reviewer_messages = [e for e in events.of_type("message") if e.get("agent") == "reviewer"]
    assert reviewer_messages[0]["text"] == "Use head() to keep the output small."
    assert len(events.of_type("cell_proposed")) == 1
    assert "Use head()" in tool_results_text(script.requests_of("coder")[1])


@pytest.mark.parametrize("approval", ["always", "risky", "never"])
async def test_blocked_cell_never_runs(api: Api, fake: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "keep.txt").write_text("precious")
    script = new_script(fake)
    script.planner(plan("Clean up"))
    script.coder(propose("import shutil\nshutil.rmtree('data')"), finish("Could not clean up."))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "delete the data folder")
    blocked = await events.until_type("cell_blocked")
    assert "rmtree" in blocked["reason"] or "recursively" in blocked["reason"]
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done"
    assert (jp_root_dir / "data" / "keep.txt").read_text() == "precious"
    assert not events.of_type("cell_executing")
    assert script.requests_of("reviewer") == []  # the analyzer blocked it before review
    assert "blocked" in tool_results_text(script.requests_of("coder")[-1])
    with pytest.raises(Exception) as refused:
        await api.approve(session["id"], blocked["cell_id"])
    assert refused.value.code == 409  # type: ignore[attr-defined]
    state = await api.get(session["id"])
    assert state["cells"][0]["status"] == "blocked"
    assert state["audit"][0]["outcome"] == "blocked"


async def test_reject_with_reason_reaches_the_coder(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Plot revenue"))
    script.coder(
        propose("import pandas as pd\npd.read_csv('sales.csv').plot()"),
        finish("Skipped the plot as asked."),
    )
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "plot it")
    proposed = await events.until_type("cell_proposed")
    await api.reject(session["id"], proposed["cell_id"], "No plots today, please.")
    rejected = await events.until_type("cell_rejected")
    assert rejected["reason"] == "No plots today, please."
    await events.until_type("run_finished")
    assert "No plots today, please." in tool_results_text(script.requests_of("coder")[-1])
    assert not events.of_type("cell_executing")


async def test_planner_answers_directly_and_ask_user_round_trip(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(
        call("ask_user", question="Which currency?"),
        text("Revenue is in **EUR** then."),
    )
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "What unit is revenue in?")
    question = await events.until_type("question")
    assert question["text"] == "Which currency?"
    with pytest.raises(Exception) as unknown:
        await api.call(
            "POST", "sessions", session["id"], "answer", body={"question_id": "nope", "text": "x"}
        )
    assert unknown.value.code == 404  # type: ignore[attr-defined]
    await api.call(
        "POST",
        "sessions",
        session["id"],
        "answer",
        body={"question_id": question["question_id"], "text": "EUR"},
    )
    finished = await events.until_type("run_finished")
    assert finished == {**finished, "status": "done", "summary": "Revenue is in **EUR** then."}
    answer = [e for e in events.of_type("message") if e.get("question_id")]
    assert answer == [{**answer[0], "role": "user", "text": "EUR"}]
    assert "EUR" in tool_results_text(script.requests_of("planner")[-1])
    assert not events.of_type("plan")
    state = await api.get(session["id"])
    assert state["messages"][-1]["text"] == "Revenue is in **EUR** then."
    assert json.dumps(state).count("sk-fake") == 0


@pytest.mark.parametrize("approval", ["never"])
async def test_failed_task_sends_the_plan_back_to_the_planner(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(
        plan("Read the parquet file"),
        plan("Read sales.csv instead"),
    )
    script.coder(
        call("update_task", task_id="t1", status="failed", note="no parquet file exists"),
        propose("import pandas as pd\nlen(pd.read_csv('sales.csv'))", task_id="t2"),
        call("update_task", task_id="t2", status="done"),
        finish("Read 4 rows from the CSV."),
    )
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "load the data")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done"
    revision_request = script.requests_of("planner")[-1]
    assert "no parquet file exists" in json.dumps(revision_request.body)
    final_plan = events.of_type("plan")[-1]["tasks"]
    assert [(t["id"], t["status"]) for t in final_plan] == [("t1", "failed"), ("t2", "done")]
    assert final_plan[0]["note"] == "no parquet file exists"


async def test_stop_while_waiting_for_approval(api: Api, fake: Any, jp_root_dir: Path) -> None:
    script = new_script(fake)
    script.planner(plan("One cell"))
    script.coder(propose("open('made.txt', 'w').write('x')"))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "write a file")
    proposed = await events.until_type("cell_proposed")
    assert (await api.get(session["id"]))["status"] == "waiting"
    await api.call("POST", "sessions", session["id"], "stop")
    assert (await events.until_type("run_finished"))["status"] == "stopped"
    assert not (jp_root_dir / "made.txt").exists()
    state = await api.get(session["id"])
    assert state["cells"][0]["status"] == "stopped"
    assert state["pending"]["cells"] == []
    [cell] = _agent_cells(jp_root_dir)
    assert cell.metadata["codeagent"]["status"] == "stopped"
    assert proposed["cell_id"] == cell.metadata["codeagent"]["cell_id"]
