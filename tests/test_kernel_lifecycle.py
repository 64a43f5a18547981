# ruff: noqa: F811  (pytest fixtures imported from tests/kernel_fixtures.py are parameters)
"""Kernels that die, restart, ignore interrupts, or whose caller gives up."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from jupyter_codeagent.kernel import KERNEL_DIED_ERROR, TIMEOUT_ERROR, executor
from tests.kernel_fixtures import KernelEnv, kernel_env  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="module")

SLEEPER = "import time\nprint('go', flush=True)\ntime.sleep(60)"


async def _start_sleeper(env: KernelEnv) -> asyncio.Future[Any]:
    """Start a long execution and return once it is running in the kernel."""
    running = asyncio.Event()
    task = asyncio.ensure_future(env.run(SLEEPER, on_output=lambda _event: running.set()))
    await asyncio.wait_for(running.wait(), 15)
    return task


async def test_kernel_killed_mid_run_is_reported_and_the_bridge_recovers(
    kernel_env: KernelEnv,
) -> None:
    await kernel_env.run("before_crash = 1")
    task = await _start_sleeper(kernel_env)
    started = time.monotonic()
    kernel_env.kill()
    result = await asyncio.wait_for(task, 10)
    assert time.monotonic() - started < 3  # noticed by the liveness tick, not a timeout
    assert result.status == "error" and result.kernel_died
    assert result.error_name == KERNEL_DIED_ERROR and "died" in (result.error_value or "")
    assert result.outputs[0]["text"] == "go\n"
    assert "KernelDied" in kernel_env.bridge.outputs_for_model(result)

    # The server restarts the kernel; the next request waits for it and runs there.
    after = await kernel_env.run("before_crash", timeout=30)
    assert after.status == "error" and after.error_name == "NameError"
    assert (await kernel_env.run("1 + 1")).status == "ok"
    tool = await kernel_env.bridge.inspect_variable(kernel_env.kernel_id, "before_crash")
    assert not tool.ok and "No variable named" in tool.text


async def test_restart_mid_run_is_a_kernel_death(kernel_env: KernelEnv) -> None:
    task = await _start_sleeper(kernel_env)
    await kernel_env.kernel_manager.restart_kernel(kernel_env.kernel_id, now=True)
    result = await asyncio.wait_for(task, 10)
    assert result.kernel_died
    assert (await kernel_env.run("'alive'")).outputs[0]["data"]["text/plain"] == "'alive'"


async def test_cancelled_execution_interrupts_the_kernel(kernel_env: KernelEnv) -> None:
    task = await _start_sleeper(kernel_env)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    result = await kernel_env.run("'free'", timeout=10)
    assert result.status == "ok" and time.monotonic() - started < 5


async def test_a_stop_before_the_kernel_starts_the_cell_still_stops_it(
    kernel_env: KernelEnv,
) -> None:
    """ipykernel ignores SIGINT until it starts a request: a stop sent that early (25 ms
    after the request, seen in CI) was lost and the cell ran to its end. The cell here
    ignores the first interrupts the same way, then sleeps for a minute."""
    late_start = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "print('deaf', flush=True)\n"
        "time.sleep(1.5)\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "time.sleep(60)\n"
    )
    deaf = asyncio.Event()
    task = asyncio.ensure_future(kernel_env.run(late_start, on_output=lambda _event: deaf.set()))
    await asyncio.wait_for(deaf.wait(), 15)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The interrupts went on until the cell stopped: the kernel is free, not sleeping.
    result = await kernel_env.run("'free'", timeout=10)
    assert result.status == "ok" and not result.timed_out


async def test_kernel_ignoring_interrupts_does_not_hang_us(
    kernel_env: KernelEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(executor, "INTERRUPT_GRACE", 1.0)
    stubborn = (
        "import time\n"
        "while True:\n"
        "    try:\n"
        "        time.sleep(0.05)\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n"
    )
    started = time.monotonic()
    result = await kernel_env.run(stubborn, timeout=1.0)
    assert time.monotonic() - started < 4
    assert result.timed_out and result.error_name == TIMEOUT_ERROR
    assert "did not respond" in (result.error_value or "")
    # Only a restart frees such a kernel; afterwards the bridge works again.
    await kernel_env.kernel_manager.restart_kernel(kernel_env.kernel_id, now=True)
    final = await kernel_env.run("2 * 21")
    assert final.outputs and final.outputs[0]["data"]["text/plain"] == "42", final
