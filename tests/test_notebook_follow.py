"""Sessions follow their notebook (jupyter_server's contents events), reconcile it, and
record what the user did to it: real server, real kernel, fake model."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script, next_notebook_op

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


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


async def test_deleting_the_notebook_ends_the_session(
    api: Api, fake: Any, jp_fetch: Any, jp_root_dir: Path
) -> None:
    nbformat.write(nbformat.v4.new_notebook(), jp_root_dir / "doomed.ipynb")
    sid = (await api.create_session("doomed.ipynb"))["id"]
    script = new_script(fake)
    script.planner(plan("Wait"))
    script.coder(propose("1 + 1", "Sum."), finish("Done."))
    script.reviewer(review())
    events = await api.events(sid)
    await api.send(sid, "go")
    await events.until_type("cell_proposed")
    await jp_fetch("api", "contents", "doomed.ipynb", method="DELETE")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "stopped" and "doomed.ipynb was deleted" in finished["summary"]
    error = await events.until_type("error")
    assert error["code"] == "notebook_deleted"
    state = await api.get(sid)
    assert state["status"] == "stopped" and state["cells"][0]["status"] == "stopped"
    assert not (jp_root_dir / "doomed.ipynb").exists()  # not brought back by a write


async def test_live_outputs_stream_and_only_the_newest_is_kept(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    sid = (await api.create_session("live.ipynb"))["id"]
    code = (
        "import time\nfor i in range(4):\n    print(f'step {i}', flush=True)\n    time.sleep(0.6)"
    )
    script = new_script(fake)
    script.planner(plan("Loop"))
    script.coder(propose(code, "Loop."), finish("Done."))
    script.reviewer(review())
    events = await api.events(sid)
    await api.send(sid, "go")
    proposed = await events.until_type("cell_proposed")
    await api.approve(sid, proposed["cell_id"])
    first = await events.until_type("cell_output")
    assert first["cell_id"] == proposed["cell_id"] and "step 0" in json.dumps(first["outputs"])
    executed = await events.until_type("cell_executed")
    streamed = events.of_type("cell_output")
    assert len(streamed) >= 2 and all(e["seq"] < executed["seq"] for e in streamed)
    assert "step 3" not in json.dumps(streamed[0]["outputs"])
    assert executed["outputs"][0]["text"] == "step 0\nstep 1\nstep 2\nstep 3\n"
    await events.until_type("run_finished")
    replay = await api.events(sid)
    await replay.until_type("run_finished")
    assert replay.of_type("cell_output") == []  # folded once the cell finished
    assert statuses(jp_root_dir, "live.ipynb") == ["done"]


async def test_a_deleted_cell_is_recorded_once_and_left_out(
    api: Api, fake: Any, jp_fetch: Any, jp_root_dir: Path
) -> None:
    sid = (await api.create_session("del.ipynb"))["id"]
    script = new_script(fake)
    script.planner(plan("One"))
    script.coder(propose("value = 7\nvalue", "Seven."), finish("Done."))
    script.reviewer(review())
    events = await api.events(sid)
    await api.send(sid, "go")
    cell_id = (await events.until_type("cell_proposed"))["cell_id"]
    nb = nbformat.read(jp_root_dir / "del.ipynb", as_version=4)
    nb.cells = []  # the user deletes the cell in the file
    nbformat.write(nb, jp_root_dir / "del.ipynb")
    first = await api.call("POST", "sessions", sid, "cells", cell_id, "deleted")
    again = await api.call("POST", "sessions", sid, "cells", cell_id, "deleted")
    assert (first["recorded"], again["recorded"]) == (True, False)
    await api.approve(sid, cell_id)
    await events.until_type("run_finished")
    deleted = events.of_type("cell_deleted")
    assert len(deleted) == 1 and cell_id not in deleted[0]["text"]
    assert deleted[0]["text"].startswith("You removed the agent's cell `value = 7` from del.ipynb")
    assert events.of_type("error") == []
    assert statuses(jp_root_dir, "del.ipynb") == []  # not resurrected by the run's writes
    code, _ = await _error(api.call("POST", "sessions", sid, "cells", "c404", "deleted"))
    assert code == 404


async def test_user_run_goes_to_the_audit(api: Api, fake: Any) -> None:
    sid = (await api.create_session("audit.ipynb"))["id"]
    executed = await run_one_cell(api, fake, sid, "print('hi')")
    cell_id = executed["cell_id"]
    body = {"source": "print('hi again')", "status": "ok"}
    await api.call("POST", "sessions", sid, "cells", cell_id, "user_run", body=body)
    audit = await api.call("GET", "sessions", sid, "audit")
    assert [row["outcome"] for row in audit] == ["ok", "user_run"]
    assert audit[1]["code"] == "print('hi again')" and audit[1]["detail"] == "ok"
    for bad in ({}, {"source": "x", "status": "maybe"}, {"source": 3, "status": "ok"}):
        code, _ = await _error(
            api.call("POST", "sessions", sid, "cells", cell_id, "user_run", body=bad)
        )
        assert code == 400


async def test_attaching_browser_gets_the_missing_cells(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    sid = (await api.create_session("attach.ipynb"))["id"]
    executed = await run_one_cell(api, fake, sid, "print('kept')")
    events = await api.events(sid, after=(await api.get(sid))["last_seq"])
    # A tab that lost the cell (never saved, reloaded) attaches and says what it has.
    await events.ws.write_message(json.dumps({"type": "attach", "cells": []}))
    message = await next_notebook_op(events.ws)
    op = message["op"]
    assert op["op"] == "insert_cell" and op["cell_id"] == executed["cell_id"] and op["save"]
    assert op["cell"]["metadata"]["codeagent"]["status"] == "done"
    assert "kept" in json.dumps(op["cell"]["outputs"])
    ack = {"type": "notebook_ack", "request_id": message["request_id"], "ok": True}
    await events.ws.write_message(json.dumps(ack))
    # Told it has everything, the server sends nothing.
    report = [{"cell_id": executed["cell_id"], "session": sid, "status": "done", "outputs": 1}]
    await events.ws.write_message(json.dumps({"type": "attach", "cells": report}))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(events.ws.read_message(), 1.5)
    events.close()


async def test_a_cell_changed_during_a_catch_up_is_sent_as_it_is_now(
    api: Api, fake: Any, jp_serverapp: Any
) -> None:
    """A catch-up's fixes are written one by one, each awaiting the browser. A cell the
    session changes meanwhile (the run writes that change itself) goes out as it is now:
    sent after the run's own write, the older state would undo it."""
    sid = (await api.create_session("race.ipynb"))["id"]
    first = await run_one_cell(api, fake, sid, "print('one')")
    second = await run_one_cell(api, fake, sid, "print('two')")
    events = await api.events(sid, after=(await api.get(sid))["last_seq"])
    await events.ws.write_message(json.dumps({"type": "attach", "cells": []}))
    message = await next_notebook_op(events.ws)
    assert message["op"]["cell_id"] == first["cell_id"]
    # While this tab applies the first fix, the session's record of the second changes.
    store = jp_serverapp.web_app.settings["codeagent"].context.store
    record = store.get_cell(sid, second["cell_id"])
    again = [{"output_type": "stream", "name": "stdout", "text": "two, again\n"}]
    store.save_cell(sid, replace(record, outputs=again, updated=record.updated + 1))
    ack = {"type": "notebook_ack", "request_id": message["request_id"], "ok": True}
    await events.ws.write_message(json.dumps(ack))
    message = await next_notebook_op(events.ws)
    op = message["op"]
    assert op["op"] == "insert_cell" and op["cell_id"] == second["cell_id"]
    assert op["cell"]["outputs"] == again
    ack = {"type": "notebook_ack", "request_id": message["request_id"], "ok": True}
    await events.ws.write_message(json.dumps(ack))
    events.close()


async def _error(call: Any) -> tuple[int, Any]:
    from tornado.httpclient import HTTPClientError

    try:
        await call
    except HTTPClientError as error:
        body = error.response.body if error.response is not None else b""
        return error.code, json.loads(body) if body else None
    raise AssertionError("the call succeeded")


class TestRestartMidRun:
    """The server stopped while a cell ran (or waited): the next one says it stopped,
    in the cells table and in the notebook, and the session goes on."""

    @pytest.fixture
    def jp_server_config(
        self, jp_server_config: dict[str, Any], fake: Any, tmp_path: Path, jp_root_dir: Path
    ) -> dict[str, Any]:
        from jupyter_codeagent.store import CellRecord, SessionStore

        db = tmp_path / "restart.db"
        with SessionStore(str(db)) as store:
            record = store.create_session(notebook_path="slow.ipynb", kernel_id=None)
            for cell_id, status in (("c1", "running"), ("c2", "proposed")):
                store.save_cell(
                    record.id,
                    CellRecord(
                        cell_id=cell_id,
                        task_id=None,
                        source=f"# {cell_id}",
                        explanation="",
                        review={},
                        status=status,
                        outputs=[],
                        execution_count=None,
                        created=1.0,
                        updated=1.0,
                    ),
                )
            store.update_session(record.id, status="stopped")  # a clean shutdown said so
            (tmp_path / "sid").write_text(record.id)
        nb = nbformat.v4.new_notebook()
        for cell_id, status in (("c1", "running"), ("c2", "proposed")):
            meta = {"codeagent": {"session": record.id, "cell_id": cell_id, "status": status}}
            nb.cells.append(nbformat.v4.new_code_cell(f"# {cell_id}", metadata=meta))
        nbformat.write(nb, jp_root_dir / "slow.ipynb")
        config = model_config(fake, "openai", "always", db_path=str(db))
        jp_server_config["CodeAgentExtension"] = config
        return jp_server_config

    async def test_unfinished_cells_are_stopped_everywhere(
        self, api: Api, fake: Any, tmp_path: Path, jp_root_dir: Path
    ) -> None:
        sid = (tmp_path / "sid").read_text()
        state = await api.get(sid)
        assert [c["status"] for c in state["cells"]] == ["stopped", "stopped"]
        events = await api.events(sid)
        await events.until(lambda e: e["type"] == "cell_stopped" and e["cell_id"] == "c2")
        # The next run first brings the notebook in line.
        await run_one_cell(api, fake, sid, "print('again')")
        assert statuses(jp_root_dir, "slow.ipynb") == ["stopped", "stopped", "done"]
