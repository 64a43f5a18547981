"""Managing sessions over the API: list, rename, search, delete, clear those of deleted
notebooks (real server, real kernels, fake model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.testing.agent_script import text
from jupyter_codeagent.testing.fake_script import FakeReply


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


def _notebook(root: Path, name: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), root / name)


async def _error(api: Api, method: str, *path: str, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as failure:
        await api.call(method, *path, **kwargs)
    body = json.loads(failure.value.response.body)  # type: ignore[union-attr]
    return failure.value.code, body["error"]["code"]


async def _ask(api: Api, session_id: str, question: str) -> None:
    """One finished run: the planner answers ``question`` directly."""
    events = await api.events(session_id)
    await api.send(session_id, question)
    assert (await events.until_type("run_finished"))["status"] == "done"
    events.close()


async def test_the_list_shows_notebook_activity_status_and_whether_it_exists(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    _notebook(jp_root_dir, "kept.ipynb")
    _notebook(jp_root_dir, "gone.ipynb")
    new_script(fake).planner(text("Hello."))
    kept = await api.create_session("kept.ipynb")
    gone = await api.create_session("gone.ipynb")
    await _ask(api, kept["id"], "Say hello")
    (jp_root_dir / "gone.ipynb").unlink()

    listed = await api.call("GET", "sessions")
    assert [s["id"] for s in listed] == [kept["id"], gone["id"]]  # latest activity first
    first, second = listed
    assert first["notebook_path"] == "kept.ipynb" and first["status"] == "done"
    assert first["title"] == "Say hello" and first["updated"] > second["updated"]
    assert (first["notebook_exists"], second["notebook_exists"]) == (True, False)
    assert second["status"] == "idle" and second["title"] == ""


async def test_rename_keeps_the_title_and_the_place_in_the_list(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    _notebook(jp_root_dir, "a.ipynb")
    new_script(fake).planner(text("Fine."), text("Still fine."))
    session = await api.create_session("a.ipynb")
    await _ask(api, session["id"], "First question")
    before = (await api.call("GET", "sessions"))[0]

    renamed = await api.call(
        "PATCH", "sessions", session["id"], body={"title": "  Revenue   by region "}
    )
    assert renamed["title"] == "Revenue by region" and renamed["id"] == session["id"]
    after = (await api.call("GET", "sessions"))[0]
    assert after["title"] == "Revenue by region" and after["updated"] == before["updated"]
    await _ask(api, session["id"], "Second question")  # a message does not retitle it
    assert (await api.get(session["id"]))["title"] == "Revenue by region"

    assert await _error(api, "PATCH", "sessions", session["id"], body={"title": " "}) == (
        400,
        "bad_request",
    )
    assert await _error(api, "PATCH", "sessions", session["id"], body={"title": 3}) == (
        400,
        "bad_request",
    )
    long_title = {"title": "x" * 201}
    assert (await _error(api, "PATCH", "sessions", session["id"], body=long_title))[0] == 400
    assert await _error(api, "PATCH", "sessions", "nosuch", body={"title": "x"}) == (
        404,
        "not_found",
    )
    assert (await api.get(session["id"]))["title"] == "Revenue by region"


async def test_search_finds_titles_paths_and_words_of_the_conversation(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    _notebook(jp_root_dir, "reports/q3_sales.ipynb")
    _notebook(jp_root_dir, "churn.ipynb")
    new_script(fake).planner(
        text("A linear regression of revenue on price fits well."), text("Churn is 4%.")
    )
    sales = await api.create_session("reports/q3_sales.ipynb")
    churn = await api.create_session("churn.ipynb")
    await _ask(api, sales["id"], "Model revenue")
    await _ask(api, churn["id"], "What is the churn rate?")
    await api.call("PATCH", "sessions", churn["id"], body={"title": "Customer retention"})

    async def search(query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await api.call("GET", "sessions", params={"q": query})
        return found

    [hit] = await search("regress")  # a prefix of a word in the planner's answer
    assert hit["id"] == sales["id"] and "regression" in hit["match"]
    assert hit["notebook_exists"] is True
    assert [s["id"] for s in await search("Q3_SALES")] == [sales["id"]]  # path, any case
    [titled] = await search("retention")
    assert titled["id"] == churn["id"] and "match" not in titled
    assert [s["id"] for s in await search("churn rate")] == [churn["id"]]  # every word
    assert await search("revenue churn") == []
    assert len(await search("")) == 2  # no query: the whole list
    # Text that means something to FTS5 or LIKE is only text here.
    for odd in ('"', "AND (", "*", "100%", "q3_", "NEAR/2", "é"):
        assert isinstance(await search(odd), list)
    assert [s["id"] for s in await search("100%")] == []
    assert (await _error(api, "GET", "sessions", params={"q": "x" * 201}))[0] == 400


async def test_deleting_a_session_forgets_it_and_its_messages(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    _notebook(jp_root_dir, "a.ipynb")
    new_script(fake).planner(text("Seasonality is weekly."))
    session = await api.create_session("a.ipynb")
    await _ask(api, session["id"], "Seasonality?")
    assert len(await api.call("GET", "sessions", params={"q": "weekly"})) == 1
    await api.call("DELETE", "sessions", session["id"])
    assert await api.call("GET", "sessions") == []
    assert await api.call("GET", "sessions", params={"q": "weekly"}) == []
    assert (await _error(api, "GET", "sessions", session["id"]))[0] == 404


async def test_clearing_the_sessions_of_deleted_notebooks(
    api: Api, fake: Any, jp_root_dir: Path
) -> None:
    for name in ("kept.ipynb", "gone.ipynb", "busy.ipynb"):
        _notebook(jp_root_dir, name)
    script = new_script(fake)
    script.planner(FakeReply(text="Thinking slowly.", delay=30))
    kept = await api.create_session("kept.ipynb")
    gone = await api.create_session("gone.ipynb")
    busy = await api.create_session("busy.ipynb")
    events = await api.events(busy["id"])
    await api.send(busy["id"], "Take your time")  # a run in flight in a deleted notebook
    await events.until_type("run_started")
    (jp_root_dir / "gone.ipynb").unlink()
    (jp_root_dir / "busy.ipynb").unlink()

    assert await _error(api, "DELETE", "sessions") == (400, "bad_request")
    cleared = await api.call("DELETE", "sessions", params={"orphaned": "1"})
    assert cleared == {"deleted": [gone["id"]]}
    assert {s["id"] for s in await api.call("GET", "sessions")} == {kept["id"], busy["id"]}

    await api.call("POST", "sessions", busy["id"], "stop")
    assert (await events.until_type("run_finished"))["status"] == "stopped"
    cleared = await api.call("DELETE", "sessions", params={"orphaned": "1"})
    assert cleared == {"deleted": [busy["id"]]}
    assert [s["id"] for s in await api.call("GET", "sessions")] == [kept["id"]]
    events.close()
