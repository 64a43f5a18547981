"""KernelBridge against kernels behind a real Jupyter Kernel Gateway (over its WebSocket).

One gateway kernel serves the module (the kernel tests' pattern); the tests that end
a kernel for good start their own.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from jupyter_server.gateway.gateway_client import GatewayClient
from jupyter_server.gateway.managers import GatewayMappingKernelManager

from jupyter_codeagent.kernel import KERNEL_DIED_ERROR, TIMEOUT_ERROR, KernelBridge, gateway_link
from jupyter_codeagent.kernel.gateway_link import GatewayKernelLink
from tests.kernel_fixtures import KernelEnv

from .conftest import KernelGateway, configure_gateway_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

SLEEPER = "import time\nprint('go', flush=True)\ntime.sleep(60)"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway_env(
    kernel_gateway: KernelGateway, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[KernelEnv]:
    """jupyter_server's gateway managers, as a server started with ``--gateway-url`` has."""
    configure_gateway_client(kernel_gateway)
    root = tmp_path_factory.mktemp("server_root")
    km = GatewayMappingKernelManager(root_dir=str(root))
    kernel_id = await km.start_kernel(kernel_name="python3")
    bridge = KernelBridge(
        kernel_manager=km,
        session_manager=None,
        contents_manager=None,
        root_dir=str(root),
        execution_timeout=30.0,
        output_limit_chars=4000,
    )
    try:
        yield KernelEnv(kernel_manager=km, kernel_id=kernel_id, bridge=bridge, root=root)
    finally:
        await bridge.close()
        await km.shutdown_all(now=True)
        GatewayClient.clear_instance()


async def _start_sleeper(env: KernelEnv, kernel_id: str | None = None) -> asyncio.Future[Any]:
    """Start a long execution and return once it runs in the kernel."""
    running = asyncio.Event()
    task = asyncio.ensure_future(
        env.bridge.execute(
            kernel_id or env.kernel_id, SLEEPER, on_output=lambda _event: running.set()
        )
    )
    await asyncio.wait_for(running.wait(), 20)
    return task


async def test_outputs_and_errors_come_back_over_the_gateway(gateway_env: KernelEnv) -> None:
    assert isinstance(gateway_env.bridge._connection(gateway_env.kernel_id).link, GatewayKernelLink)
    code = (
        "import sys\nfrom IPython.display import display, HTML\n"
        "print('line 1')\nprint('oops', file=sys.stderr)\ndisplay(HTML('<b>x</b>'))\n40 + 2"
    )
    result = await gateway_env.run(code)
    assert result.status == "ok", result
    # ipykernel flushes stdout and stderr apart, in pieces on a busy machine: their order
    # and number are not the code's, only that they come before the display.
    streams = [o for o in result.outputs if o["output_type"] == "stream"]
    assert list(result.outputs[: len(streams)]) == streams
    kinds = [o["output_type"] for o in result.outputs[len(streams) :]]
    assert kinds == ["display_data", "execute_result"]
    texts = {n: "".join(o["text"] for o in streams if o["name"] == n) for n in ("stdout", "stderr")}
    assert texts == {"stdout": "line 1\n", "stderr": "oops\n"}
    assert result.outputs[-1]["data"] == {"text/plain": "42"}
    assert result.outputs[-1]["execution_count"] == result.execution_count

    failed = await gateway_env.run("print('before')\n1 / 0")
    assert failed.status == "error" and failed.error_name == "ZeroDivisionError"
    assert failed.outputs[-1]["output_type"] == "error" and failed.outputs[-1]["traceback"]
    text = gateway_env.bridge.outputs_for_model(failed)
    assert "ZeroDivisionError" in text and "before" in text and "\x1b" not in text
    assert (await gateway_env.run("'next'")).status == "ok"


async def test_streamed_outputs_arrive_before_the_cell_ends(gateway_env: KernelEnv) -> None:
    seen: list[tuple[float, dict[str, Any]]] = []
    started = time.monotonic()
    result = await gateway_env.run(
        "import time\nprint('first', flush=True)\ntime.sleep(1.5)\nprint('second')",
        on_output=lambda event: seen.append((time.monotonic(), event)),
    )
    ended = time.monotonic()
    assert result.outputs == (
        {"output_type": "stream", "name": "stdout", "text": "first\nsecond\n"},
    )
    first_at, first = seen[0]
    assert first["text"] == "first\n"
    assert ended - first_at >= 1.0, (first_at - started, ended - started)


async def test_large_outputs_come_back_whole(gateway_env: KernelEnv) -> None:
    """Above tornado's default WebSocket frame cap (10 MiB), and many stream lines."""
    big = await gateway_env.run("display({'text/plain': 'x' * 12_000_000}, raw=True)")
    assert big.status == "ok" and len(big.outputs[0]["data"]["text/plain"]) == 12_000_000
    lines = await gateway_env.run("for i in range(20000): print(f'line {i:05d}')")
    assert len(lines.outputs[0]["text"]) == 20000 * len("line 00000\n")
    model_text = gateway_env.bridge.outputs_for_model(lines)
    assert "characters cut] ..." in model_text and "line 19999" in model_text


async def test_variables_inspection_and_describe_api(gateway_env: KernelEnv) -> None:
    bridge, kid = gateway_env.bridge, gateway_env.kernel_id
    setup = "import pandas as pd\ndf = pd.DataFrame({'a': range(5), 'b': list('xyzxy')})\nn = 42"
    result, diff = await bridge.execute(kid, setup, track_namespace=True)
    assert result.status == "ok"
    assert diff is not None and {"df", "n"} <= set(diff.created)

    variables = {v.name: v for v in await bridge.list_variables(kid)}
    assert variables["df"].summary == "DataFrame 5 × 2"  # noqa: RUF001
    assert variables["n"].summary == "int 42"
    assert "pd" not in variables

    inspected = await bridge.inspect_variable(kid, "df")
    assert inspected.ok and "5 rows" in inspected.text and "top values" in inspected.text
    missing = await bridge.inspect_variable(kid, "nope")
    assert not missing.ok and "No variable named" in missing.text
    api = await bridge.describe_api(kid, "json.dumps")
    assert api.ok and "dumps(" in api.text


async def test_interrupt_stops_a_sleeping_cell(gateway_env: KernelEnv) -> None:
    task = await _start_sleeper(gateway_env)
    await gateway_env.bridge.interrupt(gateway_env.kernel_id)  # REST: POST .../interrupt
    result, _ = await asyncio.wait_for(task, 20)
    assert result.interrupted and not result.timed_out and not result.kernel_died, result
    assert result.error_name == "KeyboardInterrupt"
    assert (await gateway_env.run("'after'")).outputs[0]["data"]["text/plain"] == "'after'"


async def test_timeout_interrupts_and_the_kernel_stays_usable(gateway_env: KernelEnv) -> None:
    started = time.monotonic()
    result = await gateway_env.run(SLEEPER, timeout=1.0)
    assert time.monotonic() - started < 8
    assert result.timed_out and result.interrupted and result.error_name == TIMEOUT_ERROR
    assert result.outputs[0]["text"] == "go\n"
    assert result.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert (await gateway_env.run("1 + 1")).outputs[0]["data"]["text/plain"] == "2"


async def test_cancelled_execution_interrupts_the_kernel(gateway_env: KernelEnv) -> None:
    task = await _start_sleeper(gateway_env)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    result = await gateway_env.run("'free'", timeout=10)
    assert result.status == "ok" and time.monotonic() - started < 5


async def test_kernel_death_is_reported_and_the_restarted_kernel_runs_the_next_cell(
    gateway_env: KernelEnv,
) -> None:
    await gateway_env.run("before_crash = 1")
    started = time.monotonic()
    # The pause lets "bye" leave the kernel: os._exit also kills ZMQ's sending thread.
    crash = "import os, time\nprint('bye', flush=True)\ntime.sleep(0.5)\nos._exit(1)"
    result = await gateway_env.run(crash)
    assert time.monotonic() - started < 10  # the gateway's "restarting", not a timeout
    assert result.status == "error" and result.kernel_died
    assert result.error_name == KERNEL_DIED_ERROR and "died" in (result.error_value or "")
    assert result.outputs[0]["text"] == "bye\n"
    assert "KernelDied" in gateway_env.bridge.outputs_for_model(result)

    # The gateway restarted the kernel; the next request reconnects and runs there.
    after = await gateway_env.run("before_crash")
    assert after.status == "error" and after.error_name == "NameError"
    tool = await gateway_env.bridge.inspect_variable(gateway_env.kernel_id, "before_crash")
    assert not tool.ok and "No variable named" in tool.text


async def test_restart_mid_run_is_a_kernel_death(gateway_env: KernelEnv) -> None:
    await gateway_env.run("kept = 1")
    task = await _start_sleeper(gateway_env)
    await gateway_env.kernel_manager.restart_kernel(gateway_env.kernel_id)  # REST restart
    result, _ = await asyncio.wait_for(task, 20)
    assert result.kernel_died, result
    assert (await gateway_env.run("'alive'")).outputs[0]["data"]["text/plain"] == "'alive'"
    assert "kept" not in {
        v.name for v in await gateway_env.bridge.list_variables(gateway_env.kernel_id)
    }


async def test_restart_between_runs_reconnects(gateway_env: KernelEnv) -> None:
    await gateway_env.run("kept = 1")
    await gateway_env.kernel_manager.restart_kernel(gateway_env.kernel_id)
    after = await gateway_env.run("'kept' in globals()")
    assert after.outputs[0]["data"]["text/plain"] == "False"
    variables = await gateway_env.bridge.list_variables(gateway_env.kernel_id)
    assert "kept" not in {v.name for v in variables}


@pytest.mark.parametrize("notice", ["shutdown_reply", "silent"])
async def test_kernel_deleted_on_the_gateway_mid_run(
    gateway_env: KernelEnv,
    kernel_gateway: KernelGateway,
    monkeypatch: pytest.MonkeyPatch,
    notice: str,
) -> None:
    """Deleted behind the server's back: told on the socket, or (silent) only by a 404."""
    if notice == "silent":  # as a remote kernel whose pod vanished: the socket says nothing
        monkeypatch.setattr(gateway_link, "_ends_incarnation", lambda _msg: None)
        monkeypatch.setattr(gateway_link, "MODEL_CHECK_INTERVAL", 0.5)
    km = gateway_env.kernel_manager
    doomed = await km.start_kernel(kernel_name="python3")
    task = await _start_sleeper(gateway_env, doomed)
    started = time.monotonic()
    assert kernel_gateway.request("DELETE", f"/api/kernels/{doomed}") == 204
    result, _ = await asyncio.wait_for(task, 20)
    assert result.kernel_died and time.monotonic() - started < 8, result
    again, _ = await gateway_env.bridge.execute(doomed, "1")
    assert again.kernel_died and again.error_name == KERNEL_DIED_ERROR


async def test_an_idle_link_is_closed_so_the_gateway_can_cull_the_kernel(
    gateway_env: KernelEnv, kernel_gateway: KernelGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_link, "IDLE_CLOSE_AFTER", 0.5)
    await gateway_env.run("still_here = 1")
    assert kernel_gateway.kernel_model(gateway_env.kernel_id)["connections"] == 1
    await asyncio.sleep(1.5)
    # A gateway does not cull kernels with a connection (cull_connected is off by default).
    assert kernel_gateway.kernel_model(gateway_env.kernel_id)["connections"] == 0
    result = await gateway_env.run("still_here")  # reconnects, same kernel
    assert result.outputs[0]["data"]["text/plain"] == "1"


async def test_the_gateway_refuses_requests_without_its_token(
    kernel_gateway: KernelGateway,
) -> None:
    assert kernel_gateway.request("GET", "/api/kernels", token="wrong") in (401, 403)
    assert kernel_gateway.request("GET", "/api/kernels") == 200
    assert os.path.isdir(kernel_gateway.root)
