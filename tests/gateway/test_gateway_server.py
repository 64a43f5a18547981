"""A Jupyter server started against a Kernel Gateway: sessions and agent runs through the API.

The server's kernel, session and kernelspec managers are jupyter_server's gateway
managers; the model is the scripted fake. Cells build their data in memory: a gateway
kernel runs in the gateway's working directory, not in the server's root.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script, tool_results_text
from jupyter_server.gateway.managers import GatewayMappingKernelManager, GatewaySessionManager

from jupyter_codeagent.kernel import KernelBridge
from jupyter_codeagent.testing.agent_script import finish, plan, propose, review
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

from .conftest import KernelGateway

DATA = (
    "import pandas as pd\n"
    "df = pd.DataFrame({'region': ['north', 'south', 'north', 'east'],"
    " 'revenue': [120, 80, 30, 55]})\n"
    "df.shape"
)
TOTALS = "totals = df.groupby('region')['revenue'].sum()\nprint(totals.to_dict())"


@pytest.fixture
def approval() -> str:
    return "always"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any, approval: str) -> dict[str, Any]:
    # The gateway's kernel containers are the isolation boundary: vouch for them so the
    # "never" policy may run cells unattended (by default it asks without a sandbox).
    jp_server_config["CodeAgentExtension"] = model_config(
        fake, "openai", approval, remote_kernels_isolated=True
    )
    return jp_server_config


def _agent_cells(root: Path) -> list[Any]:
    nb = nbformat.read(root / "analysis.ipynb", as_version=4)
    nbformat.validate(nb)
    return [c for c in nb.cells if "codeagent" in c.metadata]


async def test_kernel_for_notebook_uses_the_gateway_sessions(
    jp_serverapp: Any, kernel_gateway: KernelGateway
) -> None:
    app = jp_serverapp
    assert isinstance(app.kernel_manager, GatewayMappingKernelManager)
    assert isinstance(app.session_manager, GatewaySessionManager)
    bridge = KernelBridge(
        kernel_manager=app.kernel_manager,
        session_manager=app.session_manager,
        contents_manager=app.contents_manager,
        root_dir=app.root_dir,
        execution_timeout=30.0,
        output_limit_chars=2000,
    )
    spec = {"name": "python3", "display_name": "Python 3"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    Path(app.root_dir, "remote.ipynb").write_text(nbformat.writes(nb))
    try:
        created = await bridge.kernel_for_notebook("remote.ipynb")
        assert kernel_gateway.request("GET", f"/api/kernels/{created}") == 200
        sessions = {s["path"]: s for s in await app.session_manager.list_sessions()}
        assert sessions["remote.ipynb"]["kernel"]["id"] == created
        assert sessions["remote.ipynb"]["type"] == "notebook"
        assert await bridge.kernel_for_notebook("./remote.ipynb") == created

        lab = await app.session_manager.create_session(
            path="lab.ipynb", name="lab.ipynb", type="notebook", kernel_name="python3"
        )
        assert await bridge.kernel_for_notebook("lab.ipynb") == lab["kernel"]["id"]

        result, _ = await bridge.execute(created, "'remote'")
        assert result.outputs[0]["data"]["text/plain"] == "'remote'"
    finally:
        await bridge.close()


async def test_two_cell_plan_with_approvals(api: Api, fake: Any, jp_root_dir: Path) -> None:
    script = new_script(fake)
    script.planner(plan("Build the data", "Revenue by region"))
    script.coder(
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t1", "status": "in_progress"}),
                FakeToolCall("propose_cell", {"code": DATA, "explanation": "Df.", "task_id": "t1"}),
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
        FakeReply(tool_calls=[FakeToolCall("update_task", {"task_id": "t2", "status": "done"})]),
        finish("North has the most revenue (150)."),
    )
    script.reviewer(review("approve"), review("approve"))

    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "Which region sells most?")
    first = await events.until_type("cell_proposed")
    await api.approve(session["id"], first["cell_id"])
    executed = await events.until_type("cell_executed")
    assert executed["status"] == "ok"
    assert executed["outputs"][0]["data"]["text/plain"] == "(4, 2)"
    second = await events.until_type("cell_proposed")
    await api.approve(session["id"], second["cell_id"])
    executed = await events.until_type("cell_executed")
    assert "'north': 150" in executed["outputs"][0]["text"]
    assert (await events.until_type("run_finished"))["status"] == "done"

    assert "'north': 150" in tool_results_text(script.requests_of("coder")[-1])
    variables = {v["name"]: v for v in events.of_type("variables")[-1]["variables"]}
    assert variables["df"]["type"] == "DataFrame" and "totals" in variables
    assert [c.source for c in _agent_cells(jp_root_dir)] == [DATA, TOTALS]
    state = await api.get(session["id"])
    assert [c["status"] for c in state["cells"]] == ["done", "done"]
    events.close()


@pytest.mark.parametrize("approval", ["never"])
async def test_error_and_its_fix(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Compute the mean revenue"))
    script.coder(
        propose(DATA.replace("df.shape", "df['revenu'].mean()")),
        propose("float(df['revenue'].mean())"),
        finish("The mean revenue is 71.25."),
    )
    script.reviewer(review(), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "mean revenue?")
    failed = await events.until_type("cell_executed")
    assert failed["status"] == "error" and failed["outputs"][-1]["ename"] == "KeyError"
    fixed = await events.until_type("cell_executed")
    assert fixed["status"] == "ok" and fixed["outputs"][0]["data"]["text/plain"] == "71.25"
    assert (await events.until_type("run_finished"))["status"] == "done"
    assert "KeyError" in tool_results_text(script.requests_of("coder")[1])
    events.close()


@pytest.mark.parametrize("approval", ["never"])
async def test_stop_mid_cell_interrupts_the_remote_kernel(
    api: Api, fake: Any, kernel_gateway: KernelGateway
) -> None:
    script = new_script(fake)
    script.planner(plan("Wait"))
    script.coder(propose("import time\ntime.sleep(60)"))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "sleep")
    executing = await events.until_type("cell_executing")
    await asyncio.sleep(1.0)  # let the cell reach the kernel (stop before that is no interrupt)
    interrupts_before = kernel_gateway.log().count(f"Kernel interrupted: {session['kernel_id']}")
    await api.call("POST", "sessions", session["id"], "stop")
    assert (await events.until_type("run_finished"))["status"] == "stopped"
    state = await api.get(session["id"])
    cell = next(c for c in state["cells"] if c["cell_id"] == executing["cell_id"])
    assert cell["status"] == "stopped"
    interrupts = kernel_gateway.log().count(f"Kernel interrupted: {session['kernel_id']}")
    assert interrupts > interrupts_before  # POST /api/kernels/{id}/interrupt
    # The kernel was interrupted through the gateway, not left sleeping: the next cell
    # runs at once instead of queueing behind the sleep.
    script.planner(plan("Add"))
    script.coder(propose("40 + 2"), finish("42"))
    script.reviewer(review())
    await api.send(session["id"], "add")
    executed = await events.until_type("cell_executed", timeout=20)
    assert executed["outputs"][0]["data"]["text/plain"] == "42"
    assert (await events.until_type("run_finished"))["status"] == "done"
    events.close()


@pytest.mark.parametrize("approval", ["never"])
async def test_kernel_death_reaches_the_coder_and_the_next_cell_runs(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Crash, then recover"))
    script.coder(
        propose("import os\nos._exit(1)"),
        propose("'recovered'"),
        finish("The kernel restarted."),
    )
    script.reviewer(review("approve", "high"), review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "crash it")
    died = await events.until_type("cell_executed")
    assert died["status"] == "error"
    after = await events.until_type("cell_executed")
    assert after["status"] == "ok" and after["outputs"][0]["data"]["text/plain"] == "'recovered'"
    assert (await events.until_type("run_finished"))["status"] == "done"
    assert "KernelDied" in tool_results_text(script.requests_of("coder")[1])
    events.close()
