"""The extension under a JupyterHub-style ``base_url`` (``/user/NAME/``): routes and a run.

A hub serves each user's server under its own prefix; every codeagent route and the
events WebSocket must live under it (and nowhere else), behind the server's auth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

BASE_URL = "/user/alice/"


@pytest.fixture
def jp_base_url() -> str:
    return BASE_URL


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


async def _status(url: str, headers: dict[str, str]) -> int:
    try:
        response = await AsyncHTTPClient().fetch(url, headers=headers)
    except HTTPClientError as error:
        return error.code
    return int(response.code)


async def test_routes_answer_under_the_base_url_only(
    jp_serverapp: Any, jp_fetch: Any, jp_http_port: int, jp_auth_header: dict[str, str]
) -> None:
    assert jp_serverapp.base_url == BASE_URL
    health = json.loads((await jp_fetch("codeagent", "health")).body)
    assert health["ready"] is True
    assert json.loads((await jp_fetch("codeagent", "sessions")).body) == []

    server = f"http://127.0.0.1:{jp_http_port}"
    assert await _status(f"{server}{BASE_URL}codeagent/health", jp_auth_header) == 200
    assert await _status(f"{server}/codeagent/health", jp_auth_header) == 404
    assert await _status(f"{server}{BASE_URL}codeagent/health", {}) == 403


async def test_agent_run_under_the_base_url(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path, fake: Any
) -> None:
    api = Api(jp_fetch, jp_ws_fetch)
    script = new_script(fake)
    script.planner(plan("Add"))
    script.coder(propose("40 + 2"), finish("It is 42."))
    script.reviewer(review())
    session = await api.create_session("hub.ipynb")
    events = await api.events(session["id"])  # ws://.../user/alice/codeagent/sessions/...
    await api.send(session["id"], "add them")
    proposed = await events.until_type("cell_proposed")
    await api.approve(session["id"], proposed["cell_id"])
    executed = await events.until_type("cell_executed")
    assert executed["outputs"][0]["data"]["text/plain"] == "42"
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done" and finished["summary"] == "It is 42."
    state = await api.get(session["id"])
    assert state["notebook_path"] == "hub.ipynb" and state["status"] == "done"
    [cell] = [c for c in nbformat.read(jp_root_dir / "hub.ipynb", 4).cells if c.metadata]
    assert cell.source == "40 + 2" and cell.metadata["codeagent"]["status"] == "done"
    events.close()


async def test_session_management_under_the_base_url(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path
) -> None:
    """Rename, search and clearing answer under the hub prefix like every route."""
    api = Api(jp_fetch, jp_ws_fetch)
    nbformat.write(nbformat.v4.new_notebook(), jp_root_dir / "kept.ipynb")
    kept = await api.create_session("kept.ipynb")
    gone = await api.create_session("never-saved.ipynb")
    renamed = await api.call("PATCH", "sessions", kept["id"], body={"title": "Hub work"})
    assert renamed["title"] == "Hub work"
    [found] = await api.call("GET", "sessions", params={"q": "hub"})
    assert found["id"] == kept["id"] and found["notebook_exists"] is True
    cleared = await api.call("DELETE", "sessions", params={"orphaned": "1"})
    assert cleared == {"deleted": [gone["id"]]}
