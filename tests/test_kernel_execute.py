# ruff: noqa: F811  (pytest fixtures imported from tests/kernel_fixtures.py are parameters)
"""KernelBridge.execute against a real ipykernel: outputs, errors, timeouts, locking."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import nbformat
import pytest

from jupyter_codeagent.errors import NotFound
from jupyter_codeagent.kernel import TIMEOUT_ERROR
from tests.kernel_fixtures import CONFIGURED_SECRET, KernelEnv, kernel_env  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="module")

# 1x1 transparent PNG
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def assert_valid_cell_outputs(outputs: tuple[dict[str, Any], ...]) -> None:
    """The outputs must make a valid nbformat v4 code cell."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells.append(cell)
    nbformat.validate(nb)


async def test_outputs_of_every_kind_in_nbformat(kernel_env: KernelEnv) -> None:
    code = f"""
import sys, base64
from IPython.display import display, HTML, Image
print("line 1")
print("line 2")
print("oops", file=sys.stderr)
display(HTML("<b>bold</b>"))
display(Image(data=base64.b64decode("{PNG}"), format="png"))
display({{"application/vnd.plotly.v1+json": {{"data": [], "layout": {{}}}}, "text/plain": "fig"}},
        raw=True)
40 + 2
"""
    result = await kernel_env.run(code)
    assert result.status == "ok", result
    # stdout and stderr are flushed apart (in pieces on a busy machine), before a display.
    streams = [o for o in result.outputs if o["output_type"] == "stream"]
    assert list(result.outputs[: len(streams)]) == streams
    texts = {n: "".join(o["text"] for o in streams if o["name"] == n) for n in ("stdout", "stderr")}
    assert texts == {"stdout": "line 1\nline 2\n", "stderr": "oops\n"}
    kinds = [o["output_type"] for o in result.outputs[len(streams) :]]
    assert kinds == ["display_data", "display_data", "display_data", "execute_result"]
    html, image, plotly, value = result.outputs[len(streams) :]
    assert html["data"]["text/html"] == "<b>bold</b>" and "text/plain" in html["data"]
    assert image["data"]["image/png"].strip() == PNG
    assert plotly["data"]["application/vnd.plotly.v1+json"] == {"data": [], "layout": {}}
    assert value["data"] == {"text/plain": "42"}
    assert value["execution_count"] == result.execution_count and result.execution_count >= 1
    assert_valid_cell_outputs(result.outputs)

    text = kernel_env.bridge.outputs_for_model(result)
    assert "line 1\nline 2" in text and "oops" in text and "42" in text
    assert "[image/png " in text and "[text/html 11 B]" in text
    assert "application/vnd.plotly.v1+json" in text


async def test_error_cell_reports_traceback_without_ansi(kernel_env: KernelEnv) -> None:
    result = await kernel_env.run("print('before')\n1 / 0")
    assert result.status == "error"
    assert result.error_name == "ZeroDivisionError"
    assert result.error_value == "division by zero"
    error = result.outputs[-1]
    assert error["output_type"] == "error" and error["traceback"]
    assert_valid_cell_outputs(result.outputs)
    text = kernel_env.bridge.outputs_for_model(result)
    assert "\x1b" not in text
    assert "ZeroDivisionError" in text and "1 / 0" in text and "before" in text
    # The bridge does not abort later requests after an error (stop_on_error=False).
    assert (await kernel_env.run("'next'")).status == "ok"


async def test_clear_output_update_display_and_carriage_returns(kernel_env: KernelEnv) -> None:
    events: list[dict[str, Any]] = []
    code = """
from IPython.display import display, clear_output, update_display
print("gone")
clear_output()
print("10%", end="\\r"); print("20%", end="\\r"); print("done")
display("v1", display_id="d1")
update_display("v2", display_id="d1")
"""
    result = await kernel_env.run(code, on_output=events.append)
    assert [o["output_type"] for o in result.outputs] == ["stream", "display_data"]
    assert result.outputs[0]["text"] == "done\n"
    assert result.outputs[1]["data"]["text/plain"] == "'v2'"
    types = [e["output_type"] for e in events]
    assert types[:2] == ["stream", "clear_output"] and "update_display_data" in types

    waited = await kernel_env.run(
        "from IPython.display import clear_output\nprint('a'); clear_output(wait=True); print('b')"
    )
    assert waited.outputs == ({"output_type": "stream", "name": "stdout", "text": "b\n"},)


async def test_concurrent_executions_are_serialized(kernel_env: KernelEnv) -> None:
    def code(tag: str, seconds: float) -> str:
        return (
            f"import time\nprint('{tag} start', time.time())\n"
            f"time.sleep({seconds})\nprint('{tag} end', time.time())"
        )

    first, second = await asyncio.gather(
        kernel_env.run(code("A", 2.0)), kernel_env.run(code("B", 0.4))
    )
    texts = [r.outputs[0]["text"] for r in (first, second)]
    assert texts[0].startswith("A start") and "B" not in texts[0]
    assert texts[1].startswith("B start") and "A" not in texts[1]
    a_end = float(texts[0].split()[-1])
    b_start = float(texts[1].split()[2])
    assert b_start >= a_end
    assert second.execution_count == first.execution_count + 1
    # B's clock started when it got the kernel, not while it queued behind A's 2 s
    # (the margin is wide: a loaded machine slows B, never by seconds).
    assert second.duration < 0.4 + 1.5


async def test_timeout_interrupts_and_the_kernel_stays_usable(kernel_env: KernelEnv) -> None:
    started = time.monotonic()
    result = await kernel_env.run("import time\nprint('working')\ntime.sleep(60)", timeout=1.0)
    assert time.monotonic() - started < 6
    assert result.status == "error"
    assert result.timed_out and result.interrupted and not result.kernel_died
    assert result.error_name == TIMEOUT_ERROR
    assert "1 s" in (result.error_value or "")
    assert result.outputs[0]["text"] == "working\n"
    assert result.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert "TimeoutError" in kernel_env.bridge.outputs_for_model(result)
    assert (await kernel_env.run("1 + 1")).outputs[0]["data"]["text/plain"] == "2"


async def test_interrupt_stops_a_running_execution(kernel_env: KernelEnv) -> None:
    running = asyncio.Event()

    def on_output(event: dict[str, Any]) -> None:
        running.set()

    task = asyncio.ensure_future(
        kernel_env.run("import time\nprint('go', flush=True)\ntime.sleep(60)", on_output=on_output)
    )
    await asyncio.wait_for(running.wait(), 10)
    await kernel_env.bridge.interrupt(kernel_env.kernel_id)
    result = await asyncio.wait_for(task, 20)
    assert result.interrupted and not result.timed_out, result
    assert result.error_name == "KeyboardInterrupt", result


async def test_large_output_whole_in_notebook_truncated_for_model(kernel_env: KernelEnv) -> None:
    result = await kernel_env.run("for i in range(20000): print(f'line {i:05d}')")
    text = result.outputs[0]["text"]
    assert len(text) == 20000 * len("line 00000\n")
    model_text = kernel_env.bridge.outputs_for_model(result)
    assert len(model_text) <= kernel_env.bridge.output_limit_chars
    assert "characters cut] ..." in model_text
    assert "line 00000" in model_text and "line 19999" in model_text


async def test_secrets_are_scrubbed_from_model_text(
    kernel_env: KernelEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_secret = "tok-env-0123456789abcdef"
    monkeypatch.setenv("MY_SERVICE_TOKEN", env_secret)
    monkeypatch.setenv("HARMLESS_SETTING", "not-a-secret-value")
    result = await kernel_env.run(
        f"print('{env_secret}', '{CONFIGURED_SECRET}', 'not-a-secret-value')"
    )
    text = kernel_env.bridge.outputs_for_model(result)
    assert env_secret not in text and CONFIGURED_SECRET not in text
    assert text.count("[redacted]") == 2 and "not-a-secret-value" in text
    # The notebook keeps what the kernel printed; only model-facing text is scrubbed.
    assert env_secret in result.outputs[0]["text"]


async def test_unknown_kernel_is_not_found(kernel_env: KernelEnv) -> None:
    with pytest.raises(NotFound):
        await kernel_env.bridge.execute("no-such-kernel", "1")
    with pytest.raises(NotFound):
        await kernel_env.bridge.interrupt("no-such-kernel")


async def test_stop_leaves_a_cell_the_user_runs_alone(kernel_env: KernelEnv) -> None:
    """A browser's execution (another client) is not ours to interrupt, nor to collect."""
    user = kernel_env.kernel_manager.get_kernel(kernel_env.kernel_id).client()
    user.start_channels()
    try:
        await user.wait_for_ready(timeout=30)
        msg_id = user.execute("import time\nprint('user output')\ntime.sleep(0.5)\n'user done'")
        await asyncio.sleep(0.2)
        await kernel_env.bridge.interrupt(kernel_env.kernel_id)  # nothing of ours runs
        while (reply := await user.get_shell_msg(timeout=10))["parent_header"]["msg_id"] != msg_id:
            pass
        assert reply["content"]["status"] == "ok"
    finally:
        user.stop_channels()
    ours = await kernel_env.run("'ours'")
    assert ours.outputs == (
        {
            "output_type": "execute_result",
            "data": {"text/plain": "'ours'"},
            "metadata": {},
            "execution_count": ours.execution_count,
        },
    )
