"""Stop, step limit, restart recovery, replay, settings and bad input, through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script, tool_results_text
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.store import SessionStore
from jupyter_codeagent.testing.agent_script import call, finish, plan, propose, review, text
from jupyter_codeagent.testing.fake_script import FakeReply


@pytest.fixture
def extra_config() -> dict[str, Any]:
    return {}


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, extra_config: dict[str, Any], tmp_path: Path
) -> dict[str, Any]:
    config = model_config(fake, "openai", "never", db_path=str(tmp_path / "agent.db"))
    config.update(extra_config)
    jp_server_config["CodeAgentExtension"] = config
    return jp_server_config


async def _error(coro: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as failure:
        await coro
    assert failure.value.response is not None
    return failure.value.code, json.loads(failure.value.response.body)


async def test_stop_during_a_model_stream(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Think hard"))
    script.coder(FakeReply(text="thinking " * 400, chunk_delay=0.05))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "go")
    await events.until(lambda e: e["type"] == "delta" and e["agent"] == "coder")
    await api.call("POST", "sessions", session["id"], "stop")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "stopped"
    deltas = [e for e in events.events if e["type"] == "delta" and e["agent"] == "coder"]
    assert len(deltas) < 400  # the stream was cut, not drained
    state = await api.get(session["id"])
    assert state["status"] == "stopped"
    # The session goes on: the next message starts a new run.
    script.planner(text("Still here."))
    await api.send(session["id"], "are you there?")
    assert (await events.until_type("run_finished"))["status"] == "done"


async def test_stop_during_a_long_execution_interrupts_the_kernel(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Wait"))
    script.coder(propose("import time\ntime.sleep(60)"))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "sleep")
    executing = await events.until_type("cell_executing")
    await api.call("POST", "sessions", session["id"], "stop")
    assert (await events.until_type("run_finished"))["status"] == "stopped"
    state = await api.get(session["id"])
    cell = next(c for c in state["cells"] if c["cell_id"] == executing["cell_id"])
    assert cell["status"] == "stopped"
    assert state["audit"][-1]["outcome"] == "stopped"
    # The kernel was interrupted, not left sleeping: the next cell runs at once.
    script.planner(plan("Add"))
    script.coder(propose("40 + 2"), finish("42"))
    script.reviewer(review())
    await api.send(session["id"], "add")
    executed = await events.until_type("cell_executed", timeout=30)
    assert executed["outputs"][0]["data"]["text/plain"] == "42"
    assert (await events.until_type("run_finished"))["status"] == "done"


@pytest.mark.parametrize("extra_config", [{"max_steps": 3}])
async def test_step_limit_ends_the_run(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(plan("Look around"))
    script.otherwise("coder", lambda request: call("list_variables"))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "loop forever")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "stopped"
    # The error event says why; the run's end does not repeat it.
    error = events.of_type("error")[-1]
    assert error["code"] == "step_limit" and "3 model calls" in error["message"]
    assert "summary" not in finished
    assert len(script.requests_of("coder")) == 2


async def test_reconnect_replays_after_seq(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(text("Hello!"))
    session = await api.create_session()
    await api.send(session["id"], "hi")
    events = await api.events(session["id"])
    await events.until_type("run_finished")
    assert len(events.events) >= 4
    again = await api.events(session["id"], after=2)
    await again.until_type("run_finished")
    seqs = [e["seq"] for e in again.events]
    assert seqs[0] > 2 and seqs == sorted(set(seqs))
    # A finished run's deltas are folded away; everything else is replayed as it was.
    assert not again.of_type("delta")
    kept = [e for e in events.events if e["seq"] > 2 and e["type"] != "delta"]
    assert again.events == kept


async def test_validation_and_errors(api: Api, fake: Any, jp_fetch: Any) -> None:
    code, body = await _error(api.call("POST", "sessions", body="{not json"))
    assert (code, body["error"]["code"]) == (400, "bad_request")
    code, body = await _error(api.call("POST", "sessions", body="[1, 2]"))
    assert code == 400 and "JSON object" in body["error"]["message"]
    code, body = await _error(api.create_session("../outside.ipynb"))
    assert (code, body["error"]["code"]) == (400, "path_outside_root")
    code, body = await _error(api.create_session("notes.txt"))
    assert code == 400
    code, body = await _error(
        api.call("POST", "sessions", body={"notebook_path": "a.ipynb", "kernel_id": "nope"})
    )
    assert code == 404
    code, body = await _error(api.get("does-not-exist"))
    assert (code, body["error"]["code"]) == (404, "not_found")
    code, _ = await _error(api.send("does-not-exist", "hi"))
    assert code == 404
    code, body = await _error(
        api.call("POST", "sessions", body={"notebook_path": "x" * 2_000_000 + ".ipynb"})
    )
    assert (code, body["error"]["code"]) == (413, "payload_too_large")

    session = await api.create_session()
    sid = session["id"]
    code, _ = await _error(api.send(sid, "   "))
    assert code == 400
    code, _ = await _error(api.approve(sid, "c-unknown"))
    assert code == 404
    code, _ = await _error(api.call("POST", "sessions", sid, "answer", body={"text": "x"}))
    assert code == 400

    # Unauthenticated calls are refused with the error JSON.
    code, body = await _error(
        jp_fetch("codeagent", "sessions", method="POST", body="{}", headers={"Authorization": ""})
    )
    assert code == 403 and body["error"]["code"] == "forbidden"

    # A message while a run is active is refused; a double approval too.
    script = new_script(fake)
    script.planner(plan("One cell"))
    script.coder(propose("1 + 1"), finish("2"))
    script.reviewer(review())
    await api.call("PATCH", "settings", body={"approval": "always"})
    events = await api.events(sid)
    await api.send(sid, "compute")
    proposed = await events.until_type("cell_proposed")
    code, body = await _error(api.send(sid, "again"))
    assert (code, body["error"]["code"]) == (409, "conflict")
    code, _ = await _error(
        api.approve(sid, proposed["cell_id"], source="import shutil\nshutil.rmtree('.')")
    )
    assert code == 409  # an edit that the analyzer blocks cannot be approved
    await api.approve(sid, proposed["cell_id"])
    code, body = await _error(api.approve(sid, proposed["cell_id"]))
    assert code == 409 and "not waiting" in body["error"]["message"]
    assert (await events.until_type("run_finished"))["status"] == "done"


async def test_settings_change_without_restart(api: Api, fake: Any) -> None:
    current = await api.call("GET", "settings")
    assert current["approval"] == "never" and current["provider"] == "openai"
    assert "openai_api_key" not in current and "sk-fake" not in json.dumps(current)
    code, body = await _error(api.call("PATCH", "settings", body={"approval": "sometimes"}))
    assert code == 400 and "approval" in body["error"]["message"]
    code, _ = await _error(api.call("PATCH", "settings", body={"openai_api_key": "x"}))
    assert code == 400
    code, _ = await _error(api.call("PATCH", "settings", body={"max_steps": 0}))
    assert code == 400
    updated = await api.call("PATCH", "settings", body={"approval": "always", "max_steps": 12})
    assert (updated["approval"], updated["max_steps"]) == ("always", 12)

    script = new_script(fake)
    script.planner(plan("One"))
    script.coder(propose("2 * 21"), finish("done"))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "go")
    proposed = await events.until_type("cell_proposed")
    assert proposed["needs_approval"] is True  # the new policy applies to the next run
    await api.approve(session["id"], proposed["cell_id"])
    await events.until_type("run_finished")


async def test_no_model_configured_refuses_messages(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any
) -> None:
    services = jp_serverapp.web_app.settings["codeagent"]
    api = Api(jp_fetch, jp_ws_fetch)
    session = await api.create_session()
    await services.update_settings({"provider": "anthropic"})  # no Anthropic key configured
    code, body = await _error(api.send(session["id"], "hi"))
    assert (code, body["error"]["code"]) == (503, "not_configured")
    assert "ANTHROPIC_API_KEY" in body["error"]["message"]


class TestRestart:
    @pytest.fixture
    def extra_config(self, tmp_path: Path) -> dict[str, Any]:
        # A database left by a server that died while a run was in flight.
        with SessionStore(str(tmp_path / "agent.db")) as store:
            record = store.create_session(notebook_path="old.ipynb", kernel_id="gone-kernel")
            store.add_message(record.id, turn=0, role="user", text="analyse this")
            store.save_plan(
                record.id,
                [{"id": "t1", "title": "Load", "description": "", "status": "in_progress"}],
            )
            store.append_event(record.id, "run_started", {"turn": 0})
            store.update_session(record.id, status="running")
            (tmp_path / "session-id").write_text(record.id)
        return {}

    async def test_restart_marks_the_run_failed_and_the_session_continues(
        self, api: Api, fake: Any, tmp_path: Path
    ) -> None:
        sid = (tmp_path / "session-id").read_text()
        state = await api.get(sid)
        assert state["status"] == "failed"
        assert state["messages"][0]["text"] == "analyse this"
        assert state["plan"]["tasks"][0]["title"] == "Load"
        events = await api.events(sid)
        await events.until_type("run_finished")
        assert events.of_type("error")[0]["code"] == "interrupted"
        listed = await api.call("GET", "sessions")
        assert [s["id"] for s in listed] == [sid]

        script = new_script(fake)
        script.planner(plan("Load again"))
        script.coder(propose("'ok'"), finish("Loaded."))
        script.reviewer(review())
        await api.send(sid, "continue")
        executed = await events.until_type("cell_executed")  # a new kernel was found
        assert executed["status"] == "ok"
        assert (await events.until_type("run_finished"))["status"] == "done"
        coder_view = tool_results_text(script.requests_of("coder")[-1])
        assert "'ok'" in coder_view
        state = await api.get(sid)
        assert [t["title"] for t in state["plan"]["tasks"]] == ["Load again"]

    async def test_delete_forgets_the_session(self, api: Api, tmp_path: Path) -> None:
        sid = (tmp_path / "session-id").read_text()
        await api.call("DELETE", "sessions", sid)
        code, _ = await _error(api.get(sid))
        assert code == 404
