"""One settings source: every part reads the value in force, and one user's choices
never change another's (real server, real kernel, fake model)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script, tool_results_text
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


LONG = "print('x' * 3000)"


async def test_patched_output_limit_is_what_the_model_sees(api: Api, fake: Any) -> None:
    """PATCH output_limit_chars 500: the coder is shown at most ~500 characters of output
    (the kernel bridge used to keep cutting at its start-up value of 4,000)."""
    settings = await api.call("PATCH", "settings", body={"output_limit_chars": 500})
    assert settings["output_limit_chars"] == 500
    script = new_script(fake)
    script.planner(plan("Print a lot"))
    script.coder(propose(LONG), finish("Printed."))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "print")
    proposed = await events.until_type("cell_proposed")
    await api.approve(session["id"], proposed["cell_id"])
    executed = await events.until_type("cell_executed")
    assert len(executed["outputs"][0]["text"]) >= 3000  # the notebook gets everything
    await events.until_type("run_finished")
    shown = tool_results_text(script.requests_of("coder")[-1])
    result = json.loads(shown)
    assert "xxxx" in result["output"]
    assert len(result["output"]) <= 600, len(result["output"])


async def test_a_users_choices_apply_to_their_run_only(api: Api, fake: Any) -> None:
    """Ann chooses approval 'never' for her request; Bob's request in the same server
    keeps the server's 'always', and the server's settings are unchanged."""
    script = new_script(fake)
    script.planner(plan("One cell"), plan("One cell"))
    script.coder(propose("1 + 1"), finish("Two."), propose("2 + 2"), finish("Four."))
    script.reviewer(review(), review())
    ann = await api.create_session("ann.ipynb")
    bob = await api.create_session("bob.ipynb")
    ann_events = await api.events(ann["id"])
    bob_events = await api.events(bob["id"])

    await api.call(
        "POST",
        "sessions",
        ann["id"],
        "messages",
        body={"text": "add", "settings": {"approval": "never"}},
    )
    ann_cell = await ann_events.until_type("cell_proposed")
    assert ann_cell["needs_approval"] is False
    assert (await ann_events.until_type("run_finished"))["status"] == "done"

    await api.send(bob["id"], "add")
    bob_cell = await bob_events.until_type("cell_proposed")
    assert bob_cell["needs_approval"] is True  # the server's default still holds
    await api.approve(bob["id"], bob_cell["cell_id"])
    assert (await bob_events.until_type("run_finished"))["status"] == "done"

    server = await api.call("GET", "settings")
    assert server["approval"] == "always"
    audit = (await api.get(ann["id"]))["audit"]
    assert [a["approved_by"] for a in audit] == ["policy:never"]


async def test_bad_choices_are_refused_before_the_run(api: Api, fake: Any) -> None:
    new_script(fake)
    session = await api.create_session()
    for settings in ({"approval": "sometimes"}, {"db_path": "/tmp/x.db"}, ["never"]):
        with pytest.raises(HTTPClientError) as failure:
            await api.call(
                "POST",
                "sessions",
                session["id"],
                "messages",
                body={"text": "go", "settings": settings},
            )
        assert failure.value.code == 400
        body = json.loads(failure.value.response.body)  # type: ignore[union-attr]
        assert body["error"]["code"] == "bad_request"
    assert (await api.get(session["id"]))["messages"] == []
