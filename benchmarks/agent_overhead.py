"""Server-side cost of the agent machinery, apart from the model and the kernel.

Drives real sessions (real store, real kernel, the real OpenAI SDK against the fake
model server, which runs in its own process so it does not compete for our GIL) and
times every model call and every kernel request; what remains of the run's wall time,
divided by its model calls, is the overhead per agent step (writing the notebook file
is part of it and reported separately).
Then creates idle sessions and reports the memory each one holds.

    python benchmarks/agent_overhead.py [--cells 20] [--sessions 200]

Targets (issue 5): under 20 ms median overhead per step; under 5 MB per idle session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_codeagent.app import CodeAgentApp
from jupyter_codeagent.headless.local_jupyter import LocalJupyter
from jupyter_codeagent.settings import AgentSettings, ModelSettings, Settings


class Clock:
    """Accumulates the time spent inside wrapped coroutines."""

    def __init__(self) -> None:
        self.spent = 0.0

    def wrap(self, function: Any) -> Any:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start

        return timed


class TimedModel:
    """Times complete() and the whole of a stream() iteration."""

    def __init__(self, model: Any, clock: Clock) -> None:
        self._model, self._clock = model, clock
        self.provider, self.model = model.provider, model.model

    async def complete(self, *args: Any, **kwargs: Any) -> Any:
        return await self._clock.wrap(self._model.complete)(*args, **kwargs)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            async for event in self._model.stream(*args, **kwargs):
                self._clock.spent += time.perf_counter() - start
                yield event
                start = time.perf_counter()
        finally:
            self._clock.spent += time.perf_counter() - start

    async def aclose(self) -> None:
        await self._model.aclose()


RUNS = 3  # the first one warms imports and caches up and is not reported


def run_script(cells: int) -> list[dict[str, Any]]:
    """The replies of one run in request order: plan, (cell, review) x cells, finish."""
    replies: list[dict[str, Any]] = [_call("create_plan", tasks=[{"title": "Compute"}])]
    for i in range(cells):
        replies.append(_call("propose_cell", code=f"x{i} = {i} + 1\nx{i}", explanation="."))
        replies.append(_call("submit_review", verdict="approve", risk="low", comments="ok"))
    replies.append(_call("finish", summary="Done."))
    return replies


def _call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


@contextlib.contextmanager
def fake_server_process(replies: list[dict[str, Any]], root: Path) -> Iterator[str]:
    """The fake model server in its own process, so its work does not share our GIL."""
    script = root / "script.json"
    script.write_text(json.dumps(replies))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_codeagent.testing.fake_model_server",
            "--script",
            str(script),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().split("=", 1)[1]
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def approve_if_asked(session: Any, event: Any) -> None:
    """Approve a cell that waits, at once. These kernels are not sandboxed, so the gate
    asks even under the 'never' policy (fail closed), as `jupyter codeagent run` does
    without --yes; the benchmark answers as a user with --yes would."""
    if event.type == "cell_proposed" and event.data.get("needs_approval"):
        await session.approve(event.data["cell_id"])


async def measure_steps(base_url: str, root: Path, cells: int) -> list[tuple[float, float]]:
    """Per run: (overhead per step, of which writing the notebook file), in ms."""
    jupyter = LocalJupyter(str(root))
    services = _services(base_url, root, jupyter)
    model_clock, kernel_clock, notebook_clock = Clock(), Clock(), Clock()
    manager = services.sessions
    registry: Any = services.context.models
    original = registry.for_role
    registry.for_role = lambda settings, role: TimedModel(original(settings, role), model_clock)
    bridge: Any = services.context.bridge
    kernel_requests = ("execute", "list_variables", "kernel_for_notebook", "interrupt")
    for name in (*kernel_requests, "prepare_undo", "check_undo", "inspect_variable"):
        setattr(bridge, name, kernel_clock.wrap(getattr(bridge, name)))
    writer: Any = services.context.writer
    for name in ("insert_cell", "update_cell"):
        setattr(writer, name, notebook_clock.wrap(getattr(writer, name)))
    session = await manager.create("bench.ipynb")
    await session.kernel_id()  # start the kernel before timing
    queue = session.subscribe()
    per_step: list[tuple[float, float]] = []
    steps = 2 * cells + 2
    for _ in range(RUNS):
        model_clock.spent = kernel_clock.spent = notebook_clock.spent = 0.0
        start = time.perf_counter()
        session.send_message("compute things")
        while (event := await queue.get()).type != "run_finished":
            await approve_if_asked(session, event)
        wall = time.perf_counter() - start
        overhead = (wall - model_clock.spent - kernel_clock.spent) / steps * 1000
        per_step.append((overhead, notebook_clock.spent / steps * 1000))
    await services.close()
    await jupyter.close()
    return per_step[1:]


async def measure_idle_sessions(base_url: str, root: Path, count: int) -> float:
    jupyter = LocalJupyter(str(root))
    services = _services(base_url, root, jupyter)
    first = await services.sessions.create("idle.ipynb")  # the kernel and first-use caches
    # Wait until the kernel answers, so closing it later does not interrupt its start-up.
    await services.context.bridge.list_variables(await first.kernel_id())
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(count):
        await services.sessions.create("idle.ipynb")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    await services.close()
    await jupyter.close()
    return grown / count


def _services(base_url: str, root: Path, jupyter: LocalJupyter) -> CodeAgentApp:
    settings = Settings(
        models=ModelSettings(
            provider="openai",
            model="fake-model",
            openai_base_url=base_url,
            openai_api_key="sk-bench",
            max_retries=0,
        ),
        agents=AgentSettings(
            approval="never",
            max_steps=500,
            db_path=str(root / f"bench-{time.monotonic_ns()}.db"),
            knowledge_dirs=(str(root / "knowledge"),),
        ),
    )
    return CodeAgentApp.build(
        version="bench",
        settings=settings,
        kernel_manager=jupyter.kernel_manager,
        session_manager=jupyter.session_manager,
        contents_manager=jupyter.contents_manager,
        root_dir=str(root),
        live=False,
        probe_model_server=False,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with fake_server_process(run_script(args.cells) * RUNS, root) as base_url:
            per_step = await measure_steps(base_url, root, args.cells)
            per_session = await measure_idle_sessions(base_url, root, args.sessions)
    overheads = [o for o, _ in per_step]
    notebook = [n for _, n in per_step]
    print(f"agent step overhead (excl. model and kernel), {args.cells} cells per run:")
    print(
        f"  median {statistics.median(overheads):.2f} ms per step   target < 20 ms   "
        f"(runs: {', '.join(f'{v:.2f}' for v in overheads)})"
    )
    print(
        f"  of which writing the notebook file: {statistics.median(notebook):.2f} ms; "
        f"the rest: {statistics.median(overheads) - statistics.median(notebook):.2f} ms"
    )
    print(
        f"memory per idle session ({args.sessions} sessions): "
        f"{per_session / 1024:.1f} KiB   target < 5 MB"
    )


if __name__ == "__main__":
    asyncio.run(main())
