"""Hostile input gets a clear 4xx JSON error, never a 500 or an HTML page, and loses nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClosedError

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


async def _refused(coro: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as failure:
        await coro
    response = failure.value.response
    assert response is not None
    assert response.headers["Content-Type"].startswith("application/json")
    return failure.value.code, json.loads(response.body)


# Raw JSON text with escapes Python's json.dumps would never write: lone surrogates.
LONE_SURROGATE_PATH = '{"notebook_path": "a\\ud800b.ipynb"}'
LONE_SURROGATE_TEXT = '{"text": "hello \\udc00 world"}'


async def test_lone_surrogates_are_refused_with_400(api: Api) -> None:
    code, body = await _refused(api.call("POST", "sessions", body=LONE_SURROGATE_PATH))
    assert (code, body["error"]["code"]) == (400, "bad_request")
    assert "not valid Unicode" in body["error"]["message"]
    session = await api.create_session()
    code, body = await _refused(
        api.call("POST", "sessions", session["id"], "messages", body=LONE_SURROGATE_TEXT)
    )
    assert code == 400
    assert (await api.get(session["id"]))["messages"] == []  # nothing half-stored


@pytest.mark.parametrize("after", ["²", "-1", "1e3", str(10**23), "abc", "0x10"])
async def test_bad_event_cursors_are_refused(api: Api, after: str) -> None:
    session = await api.create_session()
    with pytest.raises((HTTPClientError, WebSocketClosedError)) as failure:
        await api.events(session["id"], after=after)  # type: ignore[arg-type]
    if isinstance(failure.value, HTTPClientError):
        assert failure.value.code == 400


async def test_a_huge_but_valid_cursor_replays_nothing_and_stays_alive(api: Api) -> None:
    session = await api.create_session()
    events = await api.events(session["id"], after=2**62)
    assert events.events == []
    events.close()


async def test_unknown_and_over_long_ids_get_a_json_404(api: Api) -> None:
    code, body = await _refused(api.call("GET", "sessions", "nosuchsession"))
    assert (code, body["error"]["code"]) == (404, "not_found")
    session = await api.create_session()
    long_id = "c" * 200
    code, body = await _refused(
        api.call("POST", "sessions", session["id"], "cells", long_id, "approve")
    )
    assert code == 404 and body["error"]["code"] == "not_found"
    code, body = await _refused(api.call("GET", "no", "such", "route"))
    assert code == 404


async def test_oversized_bodies_and_edited_cells_answer_413(api: Api, fake: Any) -> None:
    code, body = await _refused(
        api.call("POST", "sessions", body=json.dumps({"notebook_path": "x" * 2_000_000}))
    )
    assert code == 413 and body["error"]["code"] == "payload_too_large"
    script = new_script(fake)
    script.planner(plan("One"))
    script.coder(propose("1 + 1"), finish("2."))
    script.reviewer(review())
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "add")
    proposed = await events.until_type("cell_proposed")
    edited = "x = 1\n" * 20_000  # 120,000 characters, under the body limit
    code, body = await _refused(api.approve(session["id"], proposed["cell_id"], edited))
    assert code == 413 and "limited to 100,000" in body["error"]["message"]
    # Nothing was lost: the cell still waits, and a normal approval runs it.
    await api.approve(session["id"], proposed["cell_id"])
    assert (await events.until_type("cell_executed"))["status"] == "ok"


async def test_malformed_bodies_are_refused(api: Api) -> None:
    for raw in ("{not json", "[1, 2]", '"text"', "\x00"):
        code, body = await _refused(api.call("POST", "sessions", body=raw))
        assert code == 400, raw
        assert body["error"]["code"] == "bad_request"
