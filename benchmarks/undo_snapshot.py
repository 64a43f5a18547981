"""What undo's snapshot adds to an agent cell on a 5,000,000 x 20 frame: prints figures.

    python benchmarks/undo_snapshot.py [--rounds 5]

Starts its own ipykernel (jupyter_server's AsyncMappingKernelManager) with a
5,000,000 x 20 float64 DataFrame (800 MB, under pandas' copy-on-write) and measures,
through ``KernelBridge`` as the agents use it:

1. ``prepare_undo`` (references, the frame's shallow copy, fingerprints) and the commit
   after the cell: time, and the kernel's peak RSS growth (Linux VmHWM after a reset).
   Target: < 50 ms, and no full copy of the frame.
2. cells run with and without the snapshot (each undone after, so that the undo data
   of one round does not keep its frame alive into the next): ``df = df[df.f0 > 0.5]`` (rebinding),
   ``df['f0'] = df['f0'] * 2`` (one column written: under copy-on-write, only the
   written data is copied) and ``df.drop(columns=['f1'], inplace=True)``: the extra time
   and the extra peak memory the snapshot causes.
3. ``undo`` of such a cell: time.
A real ``df.copy()`` is measured the same way, as the control of what a copy costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from jupyter_codeagent.kernel import KernelBridge

SETUP = (
    "import numpy as np, pandas as pd\n"
    "df = pd.DataFrame(np.random.default_rng(0).random((5_000_000, 20)),\n"
    "                  columns=[f'f{i}' for i in range(20)])\n"
)
CELLS = {
    "rebind df = df[df.f0 > 0.5]": "df = df[df.f0 > 0.5]",
    "write df['f0'] = df['f0'] * 2": "df['f0'] = df['f0'] * 2",
    "df.drop(columns=['f1'], inplace=True)": "df.drop(columns=['f1'], inplace=True)",
}
MB = 1_000_000


def _spec(code: str) -> dict[str, Any]:
    from jupyter_codeagent.safety.mutations import in_place_effects

    effects = in_place_effects(code)
    return {
        "names": sorted(effects.names),
        "mutates": effects.mutates,
        "files": [],
        "file_notes": {},
        "copy_limit": 100 * MB,
        "file_limit": 20 * MB,
    }


def _proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Peak:
    """The kernel's peak RSS growth over a block (MB), Linux only."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.grew = 0.0

    def __enter__(self) -> Peak:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        self.rss = _proc_kb(self.pid, "VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        self.grew = (_proc_kb(self.pid, "VmHWM") - self.rss) / 1024


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def _fresh(bridge: KernelBridge, kid: str) -> None:
    result, _ = await bridge.execute(kid, SETUP + "import gc; gc.collect()", timeout=300)
    assert result.status == "ok", bridge.outputs_for_model(result)


async def bench(bridge: KernelBridge, km: Any, kid: str, rounds: int) -> None:
    pid = int(km.get_kernel(kid).provisioner.pid)
    await _fresh(bridge, kid)
    await bridge.prepare_undo(kid, "warm", _spec("df"))  # helpers loaded, code paths warm
    await bridge.execute(kid, "pass", undo_key="warm")
    await bridge.undo(kid, ["warm"])

    print("1. snapshot of a 5,000,000 x 20 float64 DataFrame (800 MB)")
    times, peaks, commits = [], [], []
    for index in range(rounds):
        with Peak(pid) as peak:
            started = time.perf_counter()
            ready = await bridge.prepare_undo(kid, f"p{index}", _spec("df['f0'] = 1"))
            times.append(time.perf_counter() - started)
        peaks.append(peak.grew)
        started = time.perf_counter()
        await bridge.execute(kid, "pass", undo_key=f"p{index}")
        commits.append(time.perf_counter() - started)
        await bridge.undo(kid, [f"p{index}"])  # releases what the record keeps
    bare = []
    for _ in range(rounds):
        started = time.perf_counter()
        await bridge.execute(kid, "pass")
        bare.append(time.perf_counter() - started)
    added_commit = statistics.median(commits) - statistics.median(bare)
    print(f"   prepare_undo   median {_ms(statistics.median(times))}  max {_ms(max(times))}")
    print(f"   commit (added to the cell's execute)  median {_ms(added_commit)}")
    print(
        f"   total added    median {_ms(statistics.median(times) + added_commit)}  (target < 50 ms)"
    )
    print(
        f"   kernel peak RSS growth during prepare: max {max(peaks):.0f} MB"
        f"   undoable: {ready.undoable}"
    )
    with Peak(pid) as control:
        started = time.perf_counter()
        await bridge.execute(kid, "_c = df.copy()\ndel _c")
        copy_time = time.perf_counter() - started
    print(f"   (control: df.copy() takes {_ms(copy_time)} and {control.grew:.0f} MB)")

    print(f"2. cells with and without the snapshot (median of {rounds}; extra peak RSS is the max)")
    for label, code in CELLS.items():
        results: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
        for index in range(rounds):
            for with_undo in (False, True):
                await _fresh(bridge, kid)
                key = f"{label}-{index}" if with_undo else None
                with Peak(pid) as peak:
                    started = time.perf_counter()
                    if key is not None:
                        await bridge.prepare_undo(kid, key, _spec(code))
                    result, _ = await bridge.execute(kid, code, undo_key=key, timeout=300)
                    elapsed = time.perf_counter() - started
                assert result.status == "ok", bridge.outputs_for_model(result)
                results[with_undo][0].append(elapsed)
                results[with_undo][1].append(peak.grew)
                if key is not None:
                    # Undo data keeps the old frame alive until released (the last 10
                    # agent cells): release it so rounds do not pile frames up.
                    await bridge.undo(kid, [key])
        plain, snap = results[False], results[True]
        print(f"   {label}")
        print(
            f"      without {_ms(statistics.median(plain[0]))} / {max(plain[1]):.0f} MB"
            f"   with {_ms(statistics.median(snap[0]))} / {max(snap[1]):.0f} MB"
            f"   added {_ms(statistics.median(snap[0]) - statistics.median(plain[0]))}"
            f" / {max(snap[1]) - max(plain[1]):+.0f} MB"
        )

    print("3. undo of the last cell (df.drop(columns=['f1'], inplace=True))")
    undo_times = []
    for index in range(rounds):
        await _fresh(bridge, kid)
        key = f"u{index}"
        code = CELLS["df.drop(columns=['f1'], inplace=True)"]
        await bridge.prepare_undo(kid, key, _spec(code))
        await bridge.execute(kid, code, undo_key=key)
        started = time.perf_counter()
        outcome = await bridge.undo(kid, [key])
        undo_times.append(time.perf_counter() - started)
        assert outcome.ok, outcome.problems
    result, _ = await bridge.execute(kid, "print(df.shape)")
    print(
        f"   median {_ms(statistics.median(undo_times))}; after undo df.shape = "
        f"{result.outputs[0]['text'].strip()}"
    )


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
            await bench(bridge, km, kid, rounds)
        finally:
            await bridge.close()
            await km.shutdown_all(now=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
