"""Kernel bridge performance: prints figures, asserts nothing.

    python benchmarks/kernel_bridge.py [--rounds 200]

Starts its own ipykernel through jupyter_server's AsyncMappingKernelManager and
measures:

1. round-trip overhead of ``execute("1+1")`` beyond the kernel's own time
   (target: < 15 ms median). "Kernel's own time" is taken from ipykernel's reply:
   ``metadata.started`` to the reply header's ``date``. A bare jupyter_client
   round trip is printed too, to separate our overhead from ZMQ's.
2. ``inspect_variable`` on a 5,000,000 x 20 float64 DataFrame (target: < 150 ms,
   no copy of the frame: the kernel's peak RSS growth during the call is printed,
   measured with Linux ``/proc/<pid>/status`` VmHWM after resetting it).
3. ``list_variables`` with 1,000 variables in the namespace (target: < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from jupyter_codeagent.kernel import KernelBridge


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _kernel_pid(km: Any, kernel_id: str) -> int:
    return int(km.get_kernel(kernel_id).provisioner.pid)


def _proc_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to VmRSS
        return True
    except OSError:
        return False


async def _raw_round_trip(km: Any, kernel_id: str, rounds: int) -> tuple[list[float], list[float]]:
    """Bare jupyter_client: wall time and the kernel's own time per execute."""
    client = km.get_kernel(kernel_id).client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    walls, own = [], []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            msg_id = client.execute("1+1")
            reply = await client.get_shell_msg(timeout=10)
            while True:
                msg = await client.get_iopub_msg(timeout=10)
                if (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                ):
                    break
            walls.append(time.perf_counter() - started)
            began = reply["metadata"].get("started")
            sent = reply["header"]["date"]
            if isinstance(began, str):
                began = datetime.fromisoformat(began)
            if began is not None:
                own.append((sent - began).total_seconds())
    finally:
        client.stop_channels()
    return walls, own


async def bench_round_trip(bridge: KernelBridge, km: Any, kid: str, rounds: int) -> None:
    for _ in range(20):  # warm up both paths
        await bridge.execute(kid, "1+1")
    raw_walls, kernel_own = await _raw_round_trip(km, kid, rounds)
    walls = []
    for _ in range(rounds):
        started = time.perf_counter()
        await bridge.execute(kid, "1+1")
        walls.append(time.perf_counter() - started)
    bridge_median = statistics.median(walls)
    own_median = statistics.median(kernel_own) if kernel_own else 0.0
    raw_median = statistics.median(raw_walls)
    print(f"1. execute('1+1') x{rounds}")
    print(
        f"   bridge round trip      median {_ms(bridge_median)}  p90 "
        f"{_ms(sorted(walls)[int(rounds * 0.9)])}"
    )
    print(f"   kernel's own time      median {_ms(own_median)}")
    print(f"   bare jupyter_client    median {_ms(raw_median)}")
    print(f"   overhead beyond kernel median {_ms(bridge_median - own_median)}  (target < 15 ms)")
    print(f"   overhead beyond bare client   {_ms(bridge_median - raw_median)}")


async def bench_inspect(bridge: KernelBridge, km: Any, kid: str) -> None:
    setup = (
        "import numpy as np, pandas as pd\n"
        "big = pd.DataFrame(np.random.default_rng(0).random((5_000_000, 20)),\n"
        "                   columns=[f'c{i}' for i in range(20)], copy=False)\n"
        "big.iloc[::1000, 3] = np.nan\n"
        "big['label'] = None\n"
        "del big['label']\n"
    )
    result, _ = await bridge.execute(kid, setup, timeout=300)
    assert result.status == "ok", bridge.outputs_for_model(result)
    await bridge.inspect_variable(kid, "big")  # warm up (helpers, pandas code paths)
    pid = _kernel_pid(km, kid)
    times, peaks = [], []
    for _ in range(5):
        can_measure = _reset_peak_rss(pid)
        rss = _proc_kb(pid, "VmRSS")
        started = time.perf_counter()
        tool = await bridge.inspect_variable(kid, "big")
        times.append(time.perf_counter() - started)
        peak = _proc_kb(pid, "VmHWM")
        if can_measure and rss is not None and peak is not None:
            peaks.append((peak - rss) / 1024)
    control = None
    if _reset_peak_rss(pid):  # the same measurement around a real copy, as a control
        rss = _proc_kb(pid, "VmRSS")
        await bridge.execute(kid, "_copy = big.copy()\ndel _copy")
        peak = _proc_kb(pid, "VmHWM")
        control = None if rss is None or peak is None else (peak - rss) / 1024
    print("2. inspect_variable on a 5,000,000 x 20 float64 DataFrame (800 MB)")
    print(f"   median {_ms(statistics.median(times))}  min {_ms(min(times))}  (target < 150 ms)")
    if peaks:
        print(f"   kernel peak RSS growth during the call: max {max(peaks):.0f} MB")
    if control is not None:
        print(f"   (control, same measurement around big.copy(): {control:.0f} MB)")
    print(f"   answer: {len(tool.text)} characters, first line: {tool.text.splitlines()[0]!r}")
    await bridge.execute(kid, "del big")


async def bench_list_variables(bridge: KernelBridge, kid: str) -> None:
    setup = (
        "import numpy as np\n"
        "for _i in range(1000):\n"
        "    _kind = _i % 5\n"
        "    globals()[f'v{_i}'] = ["
        "_i, [1, 2, 3], {'a': _i}, 'text' * (_i % 50), np.zeros((_i % 7 + 1, 3))][_kind]\n"
    )
    result, _ = await bridge.execute(kid, setup)
    assert result.status == "ok", bridge.outputs_for_model(result)
    await bridge.list_variables(kid)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        variables = await bridge.list_variables(kid)
        times.append(time.perf_counter() - started)
    print(f"3. list_variables with {len(variables)} variables")
    print(f"   median {_ms(statistics.median(times))}  max {_ms(max(times))}  (target < 100 ms)")
    print("   all:", " ".join(f"{t * 1000:.0f}" for t in times))


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        km = AsyncMappingKernelManager(root_dir=root)
        kid = await km.start_kernel(kernel_name="python3")
        bridge = KernelBridge(
            kernel_manager=km,
            session_manager=None,
            contents_manager=None,
            root_dir=root,
            execution_timeout=300.0,
            output_limit_chars=4000,
        )
        try:
            await bench_round_trip(bridge, km, kid, rounds)
            await bench_inspect(bridge, km, kid)
            await bench_list_variables(bridge, kid)
        finally:
            await bridge.close()
            await km.shutdown_all(now=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))
