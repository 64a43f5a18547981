"""Spending budgets: a call that would pass one is not made, the run stops cleanly and
says which budget and how to raise it; users may lower the server's budgets only
(real server, real SDK, fake model)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script
from tornado.httpclient import HTTPClientError

from jupyter_codeagent.agents.budget import local_midnight
from jupyter_codeagent.errors import BadRequest
from jupyter_codeagent.models import PRICES, Price
from jupyter_codeagent.settings import AgentSettings, Settings
from jupyter_codeagent.testing.agent_script import plan, text
from jupyter_codeagent.testing.fake_script import FakeReply

# Each scripted call reports this many tokens, so what is spent is known exactly.
BIG = FakeReply(text="A long answer.", input_tokens=5_000, output_tokens=100)


@pytest.fixture
def budgets() -> dict[str, Any]:
    return {}


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, budgets: dict[str, Any]
) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always", **budgets)
    return jp_server_config


async def _run(
    api: Api, session_id: str, request: str = "go", choices: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send a request and read its run to the end: (run_finished, the run's errors)."""
    events = await api.events(session_id, after=(await api.get(session_id))["last_seq"])
    body: dict[str, Any] = {"text": request}
    if choices is not None:
        body["settings"] = choices
    await api.call("POST", "sessions", session_id, "messages", body=body)
    finished = await events.until_type("run_finished")
    events.close()
    return finished, events.of_type("error")


def _model_calls(fake: Any) -> int:
    """Chat calls only: asking the server for its context window is not spending."""
    return sum(r.path in ("/v1/chat/completions", "/v1/messages") for r in fake.requests)


# --- the server's budgets -------------------------------------------------------------


@pytest.mark.parametrize("budgets", [{"budget_session_usd": 0.06}])
async def test_session_dollar_budget_stops_before_the_call(
    api: Api, fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PRICES, "fake-model", Price(10.0, 10.0))  # $10 per million tokens
    script = new_script(fake)
    script.planner(BIG)  # 5,100 tokens: $0.051
    session = await api.create_session()
    finished, errors = await _run(api, session["id"])
    assert finished["status"] == "done" and errors == []
    usage = (await api.get(session["id"]))["usage"]
    assert usage["cost_usd"] == pytest.approx(0.051)

    calls = _model_calls(fake)
    finished, [error] = await _run(api, session["id"])
    assert _model_calls(fake) == calls  # the call that would pass the budget was not made
    assert finished["status"] == "stopped" and "summary" not in finished
    assert error["code"] == "budget_exceeded" and error["budget"] == "budget_session_usd"
    message = error["message"]
    assert "session budget" in message and "$0.0510 of $0.0600 spent" in message
    assert "CODEAGENT_BUDGET_SESSION_USD" in message and "budget_session_usd" in message
    state = await api.get(session["id"])
    assert state["status"] == "stopped"
    assert state["usage"]["cost_usd"] == pytest.approx(0.051)  # nothing more was spent


@pytest.mark.parametrize("budgets", [{"budget_run_tokens": 5_000}])
async def test_run_token_budget_holds_for_an_unpriced_model(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(FakeReply(tool_calls=plan("Load").tool_calls, input_tokens=4_000))
    script.planner(text("Short answer."))
    session = await api.create_session()
    finished, [error] = await _run(api, session["id"])
    # The planner's call used ~4,100 tokens; the coder's would take the run past 5,000.
    assert finished["status"] == "stopped"
    assert error["code"] == "budget_exceeded" and "run budget" in error["message"]
    assert error["budget"] == "budget_run_tokens"
    assert "of 5,000 tokens used" in error["message"]
    assert "CODEAGENT_BUDGET_RUN_TOKENS" in error["message"]
    assert script.requests_of("coder") == []
    usage = (await api.get(session["id"]))["usage"]
    assert usage["cost_usd"] is None  # unpriced: tokens only

    finished, errors = await _run(api, session["id"])  # a new run starts from zero
    assert finished["status"] == "done" and errors == []


@pytest.mark.parametrize("budgets", [{"budget_day_tokens": 6_000}])
async def test_day_budget_counts_every_session_even_deleted_ones(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(BIG, text("Fine."))
    first = await api.create_session("first.ipynb")
    finished, _ = await _run(api, first["id"])
    assert finished["status"] == "done"
    await api.call("DELETE", "sessions", first["id"])  # deleting does not refund the day

    second = await api.create_session("second.ipynb")
    finished, [error] = await _run(api, second["id"])
    assert finished["status"] == "stopped" and "day budget" in error["message"]
    assert "midnight" in error["message"] and "CODEAGENT_BUDGET_DAY_TOKENS" in error["message"]

    # The server's operator may raise (or drop) a budget at run time.
    changed = await api.call("PATCH", "settings", body={"budget_day_tokens": None})
    assert changed["budget_day_tokens"] is None
    finished, errors = await _run(api, second["id"])
    assert finished["status"] == "done" and errors == []


# --- a user's own budgets ---------------------------------------------------------------------


@pytest.mark.parametrize("budgets", [{"budget_session_tokens": 6_000}])
async def test_a_user_may_lower_a_budget_but_not_raise_it(api: Api, fake: Any) -> None:
    script = new_script(fake)
    script.planner(BIG)
    mine = await api.create_session("mine.ipynb")
    finished, [error] = await _run(api, mine["id"], choices={"budget_session_tokens": 100})
    assert finished["status"] == "stopped"
    assert "your own setting 'budget_session_tokens'" in error["message"]
    assert "Settings Editor" in error["message"]
    assert _model_calls(fake) == 0

    # Asking for more than the server allows leaves the server's budget in force.
    raise_it = {"budget_session_tokens": 10**9, "budget_run_usd": None}
    finished, errors = await _run(api, mine["id"], choices=raise_it)
    assert finished["status"] == "done" and errors == []
    finished, [error] = await _run(api, mine["id"], choices=raise_it)
    assert finished["status"] == "stopped"
    assert "CODEAGENT_BUDGET_SESSION_TOKENS" in error["message"]
    assert (await api.call("GET", "settings"))["budget_session_tokens"] == 6_000


async def test_bad_budgets_are_refused(api: Api, fake: Any) -> None:
    new_script(fake)
    session = await api.create_session()
    bad = (
        {"budget_run_usd": -1},
        {"budget_run_usd": "5"},
        {"budget_day_tokens": 1.5},
        {"budget_session_tokens": True},
        {"budget_day_usd": 1e30},
    )
    for choices in bad:
        for method, path, body in (
            ("POST", ("sessions", session["id"], "messages"), {"text": "go", "settings": choices}),
            ("PATCH", ("settings",), choices),
        ):
            with pytest.raises(HTTPClientError) as failure:
                await api.call(method, *path, body=body)
            assert failure.value.code == 400, (method, choices)
            error = json.loads(failure.value.response.body)["error"]  # type: ignore[union-attr]
            assert next(iter(choices)) in error["message"]
    assert (await api.get(session["id"]))["messages"] == []
    assert _model_calls(fake) == 0


# --- the rules, without a server --------------------------------------------------------------


def test_user_choices_take_the_lower_budget() -> None:
    server = Settings(agents=AgentSettings(budget_run_usd=1.0, budget_day_tokens=None))
    mine = server.with_user_choices(
        {"budget_run_usd": 0.25, "budget_day_tokens": 500, "budget_session_usd": None}
    )
    assert mine.agents.budget_run_usd == 0.25
    assert mine.agents.budget_day_tokens == 500  # no server budget: any is lower
    assert mine.agents.budget_session_usd is None
    assert mine.agents.user_budgets == frozenset({"budget_run_usd", "budget_day_tokens"})
    higher = server.with_user_choices({"budget_run_usd": 5, "approval": "never"})
    assert higher.agents.budget_run_usd == 1.0 and higher.agents.user_budgets == frozenset()
    assert higher.agents.approval == "never"
    # The server's operator is not bound by that rule.
    assert server.with_changes({"budget_run_usd": None}).agents.budget_run_usd is None
    with pytest.raises(BadRequest):
        server.with_user_choices({"budget_run_usd": -0.5})


def test_the_day_starts_at_local_midnight() -> None:
    now = datetime(2025, 3, 9, 15, 30).astimezone()
    start = datetime.fromtimestamp(local_midnight(now)).astimezone()
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2025, 3, 9, 0, 0)


def test_budgets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_codeagent.extension import CodeAgentExtension

    monkeypatch.setenv("CODEAGENT_BUDGET_SESSION_USD", "2.5")
    monkeypatch.setenv("CODEAGENT_BUDGET_DAY_TOKENS", "100000")
    monkeypatch.setenv("CODEAGENT_BUDGET_RUN_USD", "5 dollars")  # a typo spends nothing
    agents = CodeAgentExtension().agent_settings()
    assert (agents.budget_session_usd, agents.budget_day_tokens) == (2.5, 100_000)
    assert agents.budget_run_usd == 0.0 and agents.budget_run_tokens is None
    public = Settings(agents=agents).public()
    assert public["budget_session_usd"] == 2.5 and "budget_day_tokens" in public["editable"]
