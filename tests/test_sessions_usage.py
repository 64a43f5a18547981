"""Tokens and cost per run and per session: in the ``usage`` event and in
``GET sessions/{id}`` (real server, real SDKs, fake model reporting exact usage)."""

from __future__ import annotations

from typing import Any

import pytest
from agent_harness import Api, model_config, new_script

from jupyter_codeagent.models import PRICES, Price
from jupyter_codeagent.testing.fake_script import FakeReply


@pytest.fixture
def provider() -> str:
    return "openai"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any, provider: str) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(fake, provider, "always")
    return jp_server_config


def _run_figures(run: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (
        run["turn"],
        run["input_tokens"],
        run["output_tokens"],
        run["cache_read_tokens"],
        run["cache_write_tokens"],
    )


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_usage_per_run_and_per_session(
    api: Api, fake: Any, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $10 per million input or output tokens, $1 per million read from the cache.
    monkeypatch.setitem(PRICES, "fake-model", Price(10.0, 10.0, cache_read_per_mtok=1.0))
    script = new_script(fake)
    script.planner(
        FakeReply(text="First.", input_tokens=1_000, output_tokens=50, cache_read_tokens=600),
        FakeReply(text="Second.", input_tokens=2_000, output_tokens=70, cache_write_tokens=300),
    )
    session = await api.create_session()
    events = await api.events(session["id"])
    for request in ("one", "two"):
        await api.send(session["id"], request)
        await events.until_type("run_finished")
    [first, second] = events.of_type("usage")
    written = 300 if provider == "anthropic" else 0  # OpenAI reports cache reads only
    first_cost = (400 * 10 + 600 * 1 + 50 * 10) / 1e6
    second_cost = (2_070 * 10) / 1e6
    assert _run_figures(first["run"]) == (0, 1_000, 50, 600, 0)
    assert first["run"]["cost_usd"] == pytest.approx(first_cost) and first["run"]["calls"] == 1
    assert _run_figures(second["run"]) == (1, 2_000, 70, 0, written)
    # The event's top level stays the session's totals.
    assert (second["input_tokens"], second["output_tokens"]) == (3_000, 120)
    assert (second["cache_read_tokens"], second["cache_write_tokens"]) == (600, written)
    assert second["cost_usd"] == pytest.approx(first_cost + second_cost)

    usage = (await api.get(session["id"]))["usage"]
    assert [_run_figures(run) for run in usage["runs"]] == [
        (0, 1_000, 50, 600, 0),
        (1, 2_000, 70, 0, written),
    ]
    assert usage["runs"][1]["cost_usd"] == pytest.approx(second_cost)
    assert (usage["input_tokens"], usage["calls"]) == (3_000, 2)
    assert usage["cost_usd"] == pytest.approx(first_cost + second_cost)
    assert usage["by_role"]["planner"]["calls"] == 2

    # Opened with the last turn only: its run, and still the whole session's totals.
    bounded = (await api.call("GET", "sessions", session["id"], params={"turns": "1"}))["usage"]
    assert [run["turn"] for run in bounded["runs"]] == [1]
    assert bounded["input_tokens"] == 3_000
    events.close()


async def test_an_unpriced_model_reports_tokens_and_no_cost(api: Api, fake: Any) -> None:
    new_script(fake).planner(FakeReply(text="Hi.", input_tokens=10, output_tokens=2))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "hi")
    usage_event = await events.until_type("usage")
    assert usage_event["run"]["cost_usd"] is None and "cost_usd" not in usage_event
    await events.until_type("run_finished")
    usage = (await api.get(session["id"]))["usage"]
    assert usage["cost_usd"] is None and usage["runs"][0]["cost_usd"] is None
    assert usage["runs"][0]["input_tokens"] == 10
    events.close()


async def test_show_earlier_brings_the_usage_of_its_runs(api: Api, fake: Any) -> None:
    new_script(fake).planner(
        *(
            FakeReply(text=f"Answer {i}.", input_tokens=100 * (i + 1), output_tokens=i)
            for i in range(3)
        )
    )
    session = await api.create_session()
    events = await api.events(session["id"])
    for i in range(3):
        await api.send(session["id"], f"question {i}")
        await events.until(lambda e: e["type"] == "run_finished")
        events.events.clear()
    opened = await api.call("GET", "sessions", session["id"], params={"turns": "1"})
    assert [run["turn"] for run in opened["usage"]["runs"]] == [2]
    start = opened["timeline"]["start_seq"]
    earlier = await api.call(
        "GET", "sessions", session["id"], "history", params={"before": str(start), "turns": "1"}
    )
    assert [(run["turn"], run["input_tokens"]) for run in earlier["usage_runs"]] == [(1, 200)]
    events.close()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_stream_cut_short_still_counts(
    api: Api, fake: Any, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A looping answer is cut before its usage arrives: it is counted by its size (an
    estimate), not as free, so budgets see it."""
    monkeypatch.setitem(PRICES, "fake-model", Price(10.0, 10.0))
    looping = "The file has 40 rows.\n" + "Let me check the data again.\n" * 2_000
    script = new_script(fake)
    script.planner(FakeReply(text=looping, input_tokens=1_000, output_tokens=15_000))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "rows?")
    await events.until_type("run_finished")
    run = (await api.get(session["id"]))["usage"]["runs"][0]
    assert run["calls"] >= 1
    # What streamed before the cut: a few hundred to a couple of thousand characters.
    assert 100 <= run["output_tokens"] <= 1_000
    assert run["input_tokens"] > 0
    assert run["cost_usd"] > 0
    events.close()
