"""Sessions follow their notebook (jupyter_server's contents events), reconcile it, and
record what the user did to it: real server, real kernel, fake model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer


@pytest.fixture(scope="module")
def fake() -> Any:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any) -> Api:
    return Api(jp_fetch, jp_ws_fetch)


def agent_cells(root: Path, name: str) -> list[Any]:
    nb = nbformat.read(root / name, as_version=4)
    nbformat.validate(nb)
    return [c for c in nb.cells if "codeagent" in c.metadata]


def statuses(root: Path, name: str) -> list[str]:
    return [c.metadata["codeagent"]["status"] for c in agent_cells(root, name)]


async def run_one_cell(api: Api, fake: Any, sid: str, code: str) -> Any:
    script = new_script(fake)
    script.planner(plan("One"))
    script.coder(propose(code, "A cell."), finish("Done."))
    script.reviewer(review())
    events = await api.events(sid, after=(await api.get(sid))["last_seq"])
    await api.send(sid, "go")
    proposed = await events.until_type("cell_proposed")
    await api.approve(sid, proposed["cell_id"])
    executed = await events.until_type("cell_executed")
    assert (await events.until_type("run_finished"))["status"] == "done"
    events.close()
    return executed


async def test_rename_moves_the_session_and_keeps_its_kernel(
    api: Api, fake: Any, jp_fetch: Any, jp_root_dir: Path
) -> None:
    nbformat.write(nbformat.v4.new_notebook(), jp_root_dir / "Untitled.ipynb")
    session = await api.create_session("Untitled.ipynb")
    sid, kernel = session["id"], session["kernel_id"]
    await run_one_cell(api, fake, sid, "a = 41")

    (jp_root_dir / "b").mkdir()
    body = json.dumps({"path": "b/r.ipynb"})
    await jp_fetch("api", "contents", "Untitled.ipynb", method="PATCH", body=body)
    state = await wait_for_path(api, sid, "b/r.ipynb")
    assert state["kernel_id"] == kernel

    executed = await run_one_cell(api, fake, sid, "print('second', a + 1)")
    assert "second 42" in json.dumps(executed["outputs"])
    assert statuses(jp_root_dir, "b/r.ipynb") == ["done", "done"]
    assert not (jp_root_dir / "Untitled.ipynb").exists()
    assert (await api.get(sid))["kernel_id"] == kernel
    response = await jp_fetch("api", "sessions")
    kernels = {s["kernel"]["id"] for s in json.loads(response.body)}
    assert kernels == {kernel}


async def wait_for_path(api: Api, sid: str, path: str, timeout: float = 20.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        state = await api.get(sid)
        if state["notebook_path"] == path:
            return state
        if loop.time() > deadline:
            raise AssertionError(f"the session stayed at {state['notebook_path']}")
        await asyncio.sleep(0.1)
