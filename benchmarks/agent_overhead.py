"""Server-side cost of the agent machinery, apart from the model and the kernel.

Drives real sessions (real store, real kernel, the real OpenAI SDK against the fake
model server) and times every model call and every kernel request; what remains of
the run's wall time, divided by its model calls, is the overhead per agent step.
Then creates idle sessions and reports the memory each one holds.

    python benchmarks/agent_overhead.py [--cells 20] [--sessions 200]

Targets (issue 5): under 20 ms median overhead per step; under 5 MB per idle session.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from jupyter_codeagent.config import AgentSettings, ModelSettings
from jupyter_codeagent.headless.local_jupyter import LocalJupyter
from jupyter_codeagent.services import CodeAgentServices
from jupyter_codeagent.testing.agent_script import RoleScript, finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer


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


async def measure_steps(fake: FakeModelServer, root: Path, cells: int) -> list[float]:
    script = RoleScript()
    script.planner(plan("Compute"))
    script.coder(*[propose(f"x{i} = {i} + 1\nx{i}") for i in range(cells)], finish("Done."))
    script.reviewer(*[review() for _ in range(cells)])
    fake.responder = script
    services = _services(fake, root)
    jupyter = LocalJupyter(str(root))
    services.build(
        kernel_manager=jupyter.kernel_manager,
        session_manager=jupyter.session_manager,
        contents_manager=jupyter.contents_manager,
        root_dir=str(root),
        live=False,
    )
    model_clock, kernel_clock = Clock(), Clock()
    manager = services.sessions
    original = manager.model_for
    manager.model_for = lambda role: TimedModel(original(role), model_clock)  # type: ignore[method-assign]
    bridge: Any = manager.bridge
    for name in ("execute", "list_variables", "kernel_for_notebook", "interrupt"):
        setattr(bridge, name, kernel_clock.wrap(getattr(bridge, name)))
    session = await manager.create("bench.ipynb")
    await session.kernel_id()  # start the kernel before timing
    queue = session.subscribe()
    per_step: list[float] = []
    for _ in range(3):  # three runs; the first warms imports and caches up
        model_clock.spent = kernel_clock.spent = 0.0
        steps_before = sum(1 for _ in script.seen)
        start = time.perf_counter()
        session.send_message("compute things")
        while (await queue.get()).type != "run_finished":
            pass
        wall = time.perf_counter() - start
        steps = len(script.seen) - steps_before
        per_step.append((wall - model_clock.spent - kernel_clock.spent) / steps * 1000)
        script.planner(plan("Compute"))
        script.coder(*[propose(f"y{i} = {i}") for i in range(cells)], finish("Done."))
        script.reviewer(*[review() for _ in range(cells)])
    await services.close()
    await jupyter.close()
    return per_step[1:]


async def measure_idle_sessions(fake: FakeModelServer, root: Path, count: int) -> float:
    services = _services(fake, root)
    jupyter = LocalJupyter(str(root))
    services.build(
        kernel_manager=jupyter.kernel_manager,
        session_manager=jupyter.session_manager,
        contents_manager=jupyter.contents_manager,
        root_dir=str(root),
        live=False,
    )
    first = await services.sessions.create("idle.ipynb")  # the kernel and first-use caches
    # Wait until the kernel answers, so closing it later does not interrupt its start-up.
    await services.sessions.bridge.list_variables(await first.kernel_id())
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


def _services(fake: FakeModelServer, root: Path) -> CodeAgentServices:
    return CodeAgentServices(
        version="bench",
        model_settings=ModelSettings(
            provider="openai",
            model="fake-model",
            openai_base_url=fake.openai_base_url,
            openai_api_key="sk-bench",
            max_retries=0,
        ),
        agent_settings=AgentSettings(
            approval="never",
            max_steps=500,
            db_path=str(root / f"bench-{time.monotonic_ns()}.db"),
            knowledge_dirs=(str(root / "knowledge"),),
        ),
        probe_model_server=False,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as fake:
        root = Path(tmp)
        per_step = await measure_steps(fake, root, args.cells)
        per_session = await measure_idle_sessions(fake, root, args.sessions)
    print(f"agent step overhead (excl. model and kernel), {args.cells} cells per run:")
    print(
        f"  median over runs {statistics.median(per_step):.2f} ms  (runs: "
        + ", ".join(f"{v:.2f}" for v in per_step)
        + ")   target < 20 ms"
    )
    print(
        f"memory per idle session ({args.sessions} sessions): "
        f"{per_session / 1024:.1f} KiB   target < 5 MB"
    )


if __name__ == "__main__":
    asyncio.run(main())
