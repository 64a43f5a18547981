"""How much of each model request repeats the previous one: what prompt caches reuse.

Drives a scripted 12-turn session through the real agents (real store, real kernel,
the real SDKs against the fake model server), once as OpenAI and once as Anthropic, and
reads back every request the server received:

- for the coder and the reviewer, the share of each request (in characters of its
  tools, system and messages) that repeats the previous request of the same role as a
  prefix: what OpenAI's automatic prefix cache and llama.cpp's KV cache can reuse
  (goal >= 0.9);
- the Anthropic cost of the session's input with the ``cache_control`` breakpoints the
  requests carry (cache reads at the cached price, cache writes at theirs) against the
  same requests without caching, priced through genai-prices for claude-sonnet-4-5.
  Tokens are estimated at four characters each; the fake server does not cache.

    python benchmarks/prompt_cache.py [--turns 12]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from jupyter_codeagent.app import CodeAgentApp
from jupyter_codeagent.headless.local_jupyter import LocalJupyter
from jupyter_codeagent.models import Usage, cost_for
from jupyter_codeagent.settings import AgentSettings, ModelSettings, Settings
from jupyter_codeagent.testing.agent_script import (
    RoleScript,
    finish,
    plan,
    propose,
    review,
    text,
)
from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import RecordedRequest

PRICED_AS = "claude-sonnet-4-5"
CSV = "region,month,revenue\n" + "".join(
    f"{r},{m},{(i * 37) % 200 + 50}\n"
    for i, (r, m) in enumerate((r, m) for r in ("north", "south", "east") for m in range(1, 13))
)


def script_turn(script: RoleScript, turn: int) -> None:
    script.planner(plan(f"Load for question {turn}", f"Answer question {turn}"))
    script.coder(
        propose("import pandas as pd\nsales = pd.read_csv('sales.csv')\nsales.shape", task_id="t1"),
        propose(f"print(sales.groupby('region')['revenue'].sum().iloc[{turn % 3}])"),
        finish(f"Answer {turn}: see the totals above."),
    )
    script.reviewer(review(), review())
    script.otherwise("summarizer", lambda request: text("The earlier turns: revenue totals."))


async def run_session(
    provider: str, turns: int, workdir: Path
) -> list[tuple[str, RecordedRequest]]:
    root = workdir / provider
    root.mkdir()
    (root / "sales.csv").write_text(CSV)
    script = RoleScript()
    with FakeModelServer(responder=script) as server:
        base = server.openai_base_url if provider == "openai" else server.anthropic_base_url
        models = ModelSettings(
            provider=provider,
            model="fake-model",
            openai_base_url=base if provider == "openai" else "",
            anthropic_base_url=base if provider == "anthropic" else "",
            openai_api_key="sk-bench-openai",
            anthropic_api_key="sk-bench-anthropic",
            max_retries=0,
        )
        settings = Settings(
            models=models,
            agents=AgentSettings(approval="always", db_path=str(root / "bench.db")),
        )
        jupyter = LocalJupyter(str(root))
        app = CodeAgentApp.build(
            version="bench",
            settings=settings,
            kernel_manager=jupyter.kernel_manager,
            session_manager=jupyter.session_manager,
            contents_manager=jupyter.contents_manager,
            root_dir=str(root),
            live=False,
            probe_model_server=False,
        )
        try:
            session = await app.sessions.create("bench.ipynb")
            queue = session.subscribe()
            for turn in range(turns):
                script_turn(script, turn)
                session.send_message(f"Question {turn}: revenue of region {turn % 3}?")
                while True:
                    event = await queue.get()
                    if event.type == "cell_proposed" and event.data.get("needs_approval"):
                        await session.approve(event.data["cell_id"])
                    elif event.type == "run_finished":
                        break
        finally:
            await app.close()
            await jupyter.close()
        return list(script.seen)  # type: ignore[arg-type]


# --- prefix shares --------------------------------------------------------------------


def units(request: RecordedRequest) -> list[str]:
    """The request as the ordered pieces a prefix cache sees: tools, system, messages."""
    body = request.body
    out = [json.dumps(body.get("tools", []), sort_keys=True)]
    system = body.get("system")
    if system:
        out.append(json.dumps(_unmarked(system), sort_keys=True))
    out.extend(json.dumps(_unmarked(m), sort_keys=True) for m in body.get("messages", []))
    return out


def _unmarked(value: Any) -> Any:
    """Without ``cache_control`` markers (they move; the text under them does not)."""
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value


def prefix_share(previous: list[str], current: list[str]) -> float:
    shared = 0
    for before, now in zip(previous, current, strict=False):
        if before != now:
            break
        shared += len(now)
    return shared / max(1, sum(len(u) for u in current))


def shares(seen: list[tuple[str, RecordedRequest]], role: str) -> list[float]:
    requests = [units(r) for who, r in seen if who == role]
    return [prefix_share(a, b) for a, b in itertools.pairwise(requests)]


# --- Anthropic cost -------------------------------------------------------------------


def breakpoints(request: RecordedRequest) -> list[int]:
    """Unit indexes after which a cache_control breakpoint ends a cacheable prefix."""
    body = request.body
    marks: list[int] = []
    index = 0
    if any("cache_control" in t for t in body.get("tools", [])):
        marks.append(index)
    system = body.get("system") or []
    if system:
        index += 1
        if any(isinstance(b, dict) and "cache_control" in b for b in system):
            marks.append(index)
    for message in body.get("messages", []):
        index += 1
        content = message.get("content")
        if isinstance(content, list) and any("cache_control" in b for b in content):
            marks.append(index)
    return marks


def anthropic_costs(seen: list[tuple[str, RecordedRequest]]) -> tuple[float, float]:
    """(cost with the breakpoints, cost without caching) of the session's input."""
    cached: set[str] = set()
    with_cache = without = 0.0
    for _role, request in seen:
        pieces = units(request)
        tokens = [len(p) // 4 for p in pieces]
        total = sum(tokens)
        prefixes = ["\n".join(pieces[: i + 1]) for i in breakpoints(request)]
        lengths = [sum(tokens[: i + 1]) for i in breakpoints(request)]
        read = max((n for p, n in zip(prefixes, lengths, strict=True) if p in cached), default=0)
        written = max(lengths, default=0) - read if lengths else 0
        cached.update(prefixes)
        usage = Usage(
            input_tokens=total,
            output_tokens=0,
            cache_read_tokens=read,
            cache_write_tokens=max(0, written),
        )
        with_cache += cost_for(PRICED_AS, usage, provider="anthropic") or 0.0
        without += cost_for(PRICED_AS, Usage(input_tokens=total), provider="anthropic") or 0.0
    return with_cache, without


def report(label: str, values: list[float]) -> None:
    if not values:
        print(f"  {label}: no requests")
        return
    print(
        f"  {label}: mean {statistics.mean(values):.3f}, median {statistics.median(values):.3f}, "
        f"min {min(values):.3f} over {len(values)} requests (goal >= 0.9)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        openai_seen = await run_session("openai", args.turns, Path(folder))
        anthropic_seen = await run_session("anthropic", args.turns, Path(folder))
    print(f"Prompt prefix reuse over a {args.turns}-turn session (each request vs the previous")
    print("request of the same role; OpenAI wire format):")
    report("coder", shares(openai_seen, "coder"))
    report("reviewer", shares(openai_seen, "reviewer"))
    print("Anthropic wire format:")
    report("coder", shares(anthropic_seen, "coder"))
    report("reviewer", shares(anthropic_seen, "reviewer"))
    with_cache, without = anthropic_costs(anthropic_seen)
    print(
        f"Anthropic input cost of the session, priced as {PRICED_AS}: ${with_cache:.4f} with "
        f"cache_control breakpoints vs ${without:.4f} without ({with_cache / without:.0%})"
    )


if __name__ == "__main__":
    asyncio.run(main())
