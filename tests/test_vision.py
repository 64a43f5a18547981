"""The agents see what they plotted: image outputs reach a model that sees images.

End to end: a real server and kernel run a matplotlib cell, and the fake model server
(spoken to by the real openai / anthropic SDKs) receives the chart as an image part in
the coder's next request and the reviewer's next review; a text-only model gets none.
Unit level: the wire formats, the known vision models, downscaling, and the budget
with many charts.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, model_config, new_script
from PIL import Image

from jupyter_codeagent.memory.budget import PromptDraft, fit_to_budget, keep_last_images
from jupyter_codeagent.memory.tokens import estimate_messages
from jupyter_codeagent.models import (
    AssistantMessage,
    ImagePart,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from jupyter_codeagent.models.anthropic_model import split_system
from jupyter_codeagent.models.images import fit_image, image_tokens
from jupyter_codeagent.models.openai_model import to_openai_messages
from jupyter_codeagent.models.vision import known_vision_model, sees_images
from jupyter_codeagent.settings import ModelSettings
from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

CHART = (
    "import matplotlib\nimport matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(16, 12), dpi=100)\n"
    "ax.plot([1, 2, 3], [3, 1, 2])\nax.set_title('sales')\nplt.show()"
)


def _png(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


# --- wire formats ------------------------------------------------------------------------


def _exchange(image: ImagePart) -> list[Any]:
    call = ToolCall(id="call_1", name="propose_cell", arguments={"code": "x"}, raw_arguments="{}")
    return [
        SystemMessage(content="You are the coder."),
        UserMessage(content="plot it"),
        AssistantMessage(tool_calls=(call,)),
        ToolResultMessage(
            tool_call_id="call_1", name="propose_cell", content='{"status":"ok"}', images=(image,)
        ),
    ]


def test_openai_images_of_a_tool_result_follow_in_a_user_message() -> None:
    image = ImagePart(mime="image/png", data=_png(8, 8), width=8, height=8)
    wire = to_openai_messages(_exchange(image))
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool", "user"]
    assert wire[3]["content"] == '{"status":"ok"}'  # a tool message carries text only
    parts = wire[4]["content"]
    assert parts[0]["type"] == "text" and "call_1" in parts[0]["text"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": image.data_url()}}
    assert image.data_url().startswith("data:image/png;base64,")
    # A user message with images becomes content parts; without, plain text as before.
    both = to_openai_messages(
        [UserMessage(content="see", images=(image,)), UserMessage(content="t")]
    )
    assert both[0]["content"][0] == {"type": "text", "text": "see"}
    assert both[0]["content"][1]["type"] == "image_url"
    assert both[1]["content"] == "t"


def test_anthropic_images_are_blocks_of_the_tool_result() -> None:
    image = ImagePart(mime="image/png", data=_png(8, 8), width=8, height=8)
    _system, wire = split_system(_exchange(image))
    result = wire[-1]["content"][0]
    assert result["type"] == "tool_result"
    assert result["content"][0] == {"type": "text", "text": '{"status":"ok"}'}
    assert result["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": image.data},
    }
    _system, plain = split_system([UserMessage(content="hi")])
    assert plain == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


# --- capability, downscaling, tokens -----------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", True),
        ("gpt-4o-mini-2024-07-18", True),
        ("gpt-4.1-nano", True),
        ("gpt-5", True),
        ("o3", True),
        ("o4-mini", True),
        ("o1-mini", False),
        ("o3-mini", False),
        ("claude-3-5-sonnet-latest", True),
        ("claude-sonnet-4-5", True),
        ("claude-opus-4-1", True),
        ("openai/gpt-4o", True),
        ("gpt-3.5-turbo", False),
        ("qwen2.5-coder:1.5b", False),
        ("llama3.1", False),
        ("fake-model", False),
    ],
)
def test_known_vision_models(model: str, expected: bool) -> None:
    assert known_vision_model(model) is expected


def test_vision_setting_overrides_the_model_list() -> None:
    text_only = ModelSettings(model="llama3.1")
    assert not sees_images(text_only, "coder")
    assert sees_images(ModelSettings(model="llama3.1", vision="on"), "coder")
    assert not sees_images(ModelSettings(model="gpt-4o", vision="off"), "coder")
    mixed = ModelSettings(model="llama3.1", role_models={"reviewer": "gpt-4o"})
    assert sees_images(mixed, "reviewer") and not sees_images(mixed, "coder")


def test_fit_image_downscales_to_the_longest_side() -> None:
    fitted = fit_image("image/png", _png(1600, 1200), max_side=768)
    assert fitted is not None
    assert (fitted.width, fitted.height) == (768, 576)
    with Image.open(io.BytesIO(base64.b64decode(fitted.data))) as decoded:
        assert decoded.size == (768, 576) and decoded.format == "PNG"
    small = _png(100, 50)
    kept = fit_image("image/png", small, max_side=768)
    assert kept is not None and kept.data == small  # small enough: sent as it is
    assert fit_image("image/svg+xml", "<svg/>", max_side=768) is None
    assert fit_image("image/png", "not base64!", max_side=768) is None
    # A 768 x 576 image: Anthropic counts 590, OpenAI 4 tiles = 765; the larger is kept.
    assert image_tokens(fitted) == 765
    assert image_tokens(ImagePart(mime="image/png", data="")) == 1_600  # size unknown


# --- the budget holds with many charts ---------------------------------------------------


def _rounds_with_charts(count: int) -> tuple[Any, ...]:
    exchange: list[Any] = []
    for index in range(count):
        call = ToolCall(
            id=f"c{index}", name="propose_cell", arguments={"code": "plot"}, raw_arguments="{}"
        )
        exchange.append(AssistantMessage(content="", tool_calls=(call,)))
        chart = ImagePart(mime="image/png", data="A" * 100, width=768, height=576)
        exchange.append(
            ToolResultMessage(
                tool_call_id=f"c{index}", name="propose_cell", content="ok", images=(chart,)
            )
        )
    return tuple(exchange)


def _images(messages: Any) -> list[str]:
    return [m.tool_call_id for m in messages if isinstance(m, ToolResultMessage) and m.images]


def test_many_charts_keep_only_the_last_few_within_budget() -> None:
    draft = PromptDraft(system="sys", notebook="Notebook: a.ipynb", request="plot all", exchange=())
    draft = PromptDraft(**{**draft.__dict__, "exchange": _rounds_with_charts(12)})

    def estimate(d: PromptDraft) -> int:
        return estimate_messages(d.messages())

    fitted = fit_to_budget(draft, 100_000, estimate, max_images=3)
    assert _images(fitted.draft.exchange) == ["c9", "c10", "c11"]  # the newest three
    assert not fitted.over_budget and fitted.tokens <= 100_000
    dropped = next(m for m in fitted.draft.exchange if isinstance(m, ToolResultMessage))
    assert "image(s) here dropped from the prompt" in dropped.content

    # A tight budget drops the oldest of the kept images first, then the last one.
    tight = fit_to_budget(draft, 1_900, estimate, max_images=3)
    assert tight.cuts[0] == "old_images"
    assert _images(tight.draft.exchange) == ["c11"]
    assert tight.tokens <= 1_900
    tighter = fit_to_budget(draft, 700, estimate, max_images=3)
    assert _images(tighter.draft.exchange) == []
    assert tighter.tokens <= 700
    assert keep_last_images(draft.exchange, 0, note=False)[1].content == "ok"


# --- end to end: a matplotlib cell, real kernel, real SDKs ---------------------------------


@pytest.fixture
def provider() -> str:
    return "openai"


@pytest.fixture
def model() -> str:
    return "fake-model"


@pytest.fixture
def vision() -> str:
    return "on"


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], fake: Any, provider: str, model: str, vision: str
) -> dict[str, Any]:
    jp_server_config["CodeAgentExtension"] = model_config(
        fake, provider, "never", model=model, vision=vision
    )
    return jp_server_config


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> Api:
    return Api(jp_fetch, jp_ws_fetch)


def _image_parts(request: Any) -> list[dict[str, Any]]:
    """Every image part of a recorded request, in either API's format."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") in ("image_url", "image"):
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(request.messages)
    return found


def _decoded_size(part: dict[str, Any]) -> tuple[int, int]:
    if part["type"] == "image_url":
        data = part["image_url"]["url"].split(",", 1)[1]
    else:
        data = part["source"]["data"]
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        return image.size


async def _run_two_charts(api: Api, fake: Any) -> Any:
    script = new_script(fake)
    script.planner(plan("Plot the sales", "Plot them again"))
    script.coder(
        propose(CHART, task_id="t1"),
        propose(CHART.replace("'sales'", "'again'"), task_id="t2"),
        finish("Plotted."),
    )
    script.reviewer(review("approve"), review("approve"))
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], "plot the sales")
    finished = await events.until_type("run_finished", timeout=120)
    assert finished["status"] == "done", events.events
    executed = events.of_type("cell_executed")
    assert [e["status"] for e in executed] == ["ok", "ok"]
    assert "image/png" in executed[0]["outputs"][0]["data"]  # the notebook keeps it whole
    events.close()
    return script


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_the_coder_and_reviewer_see_the_chart(api: Api, fake: Any, provider: str) -> None:
    script = await _run_two_charts(api, fake)
    coder = script.requests_of("coder")
    assert _image_parts(coder[0]) == []  # nothing plotted yet
    second = _image_parts(coder[1])
    assert len(second) == 1
    assert second[0]["type"] == ("image_url" if provider == "openai" else "image")
    # About 1600 x 1200 pixels in the notebook; 768 on the longest side for the model.
    assert max(_decoded_size(second[0])) == 768
    if provider == "openai":  # the chart follows the tool message, in a user message
        roles = [m["role"] for m in coder[1].messages]
        assert roles[-2:] == ["tool", "user"]
    else:  # inside the tool_result block
        last = coder[1].messages[-1]["content"][-1]
        assert last["type"] == "tool_result"
        assert any(b.get("type") == "image" for b in last["content"])
    body = json.dumps(coder[1].messages)
    assert "image(s) of the outputs attached" in body
    # Two charts by the third call: both kept (the limit is 3).
    assert len(_image_parts(coder[2])) == 2
    # The reviewer of the second cell saw the first cell's chart.
    reviews = script.requests_of("reviewer")
    assert _image_parts(reviews[0]) == []
    assert len(_image_parts(reviews[1])) == 1
    assert "The images the previous cell" in json.dumps(reviews[1].messages)


@pytest.mark.parametrize("vision", ["auto"])
@pytest.mark.parametrize("model", ["fake-model"])
async def test_a_text_only_model_gets_no_image(api: Api, fake: Any) -> None:
    script = await _run_two_charts(api, fake)
    requests = script.requests_of("coder") + script.requests_of("reviewer")
    assert requests and all(_image_parts(r) == [] for r in requests)
    # It still learns a chart was drawn, from the output's text.
    assert "image/png" in json.dumps(script.requests_of("coder")[1].messages)


@pytest.mark.parametrize("vision", ["auto"])
@pytest.mark.parametrize("model", ["gpt-4o-mini"])
async def test_auto_shows_images_to_a_known_vision_model(api: Api, fake: Any) -> None:
    script = await _run_two_charts(api, fake)
    assert len(_image_parts(script.requests_of("coder")[1])) == 1
