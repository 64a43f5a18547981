"""Memory growth: input tokens per model call over a long session; knowledge look-up latency.

Run: ``python benchmarks/memory_growth.py [--turns 200] [--topics 10000] [--budget 12000]``.

Part 1 drives a scripted session through the real memory code (``memory_for``,
``SessionMemory.assemble``, ``call_assembled``, the summarizer, the data-object
registry) and the real OpenAI SDK against the fake model server on loopback. Each
turn is a user request, three coder calls (propose a cell, propose another, finish)
with realistic tool results, a new variable, and the final answer. At the reported
turns the same last call is also sent with the *full history* (every earlier turn
with its whole tool-call exchange), as a naive agent would. Input tokens are the
ones the provider reports (the fake counts JSON characters / 4, the same way for both).

Part 2 times ``KnowledgeIndex.lookup`` over a generated knowledge base of 10,000
topics in 200 Markdown files, with the mtime check on every look-up.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_codeagent.agents import prompts
from jupyter_codeagent.agents.coder import CODER
from jupyter_codeagent.agents.loop import call_model
from jupyter_codeagent.agents.orchestrator import memory_sources
from jupyter_codeagent.agents.reviewer import new_reviewer
from jupyter_codeagent.kernel.types import NamespaceDiff, VariableSummary
from jupyter_codeagent.knowledge.index import KnowledgeIndex
from jupyter_codeagent.memory import SessionMemory
from jupyter_codeagent.memory.assembler import CurrentStep
from jupyter_codeagent.models import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from jupyter_codeagent.models.factory import build_chat_model
from jupyter_codeagent.settings import ROLES, AgentSettings, ModelSettings, Settings
from jupyter_codeagent.store import SessionStore
from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import FakeReply, RecordedRequest
from jupyter_codeagent.tools import AppContext, RunContext, UserDecision

CODER_TOOLS = [t.spec for t in CODER.tools]

REPORTED_TURNS = (1, 10, 50, 100, 200)
ROUNDS = 3
RNG = random.Random(7)
# fmt: off
WORDS = [
    "revenue", "region", "churn", "cohort", "monthly", "customer", "forecast", "pipeline",
    "margin", "segment", "quarter", "growth", "retention", "price", "discount", "order",
    "product", "channel", "weekly", "baseline", "outlier", "median", "variance", "model",
    "feature", "target", "accuracy", "holdout", "sample", "trend",
]
# fmt: on


def prose(words: int) -> str:
    return " ".join(RNG.choice(WORDS) for _ in range(words))


# --- the scripted session -------------------------------------------------------------


class Bridge:
    """The kernel's variables, as the memory sees them."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}

    async def list_variables(self, kernel_id: str) -> list[VariableSummary]:
        return [
            VariableSummary(name=n, type=s.split()[0], summary=s)
            for n, s in sorted(self.variables.items())
        ]

    async def inspect_variable(self, kernel_id: str, name: str, *, limit: int = 0) -> Any:
        return None


class RoleModels:
    def __init__(self, models: dict[str, Any]) -> None:
        self.models = models

    def for_role(self, settings: Any, role: str) -> Any:
        return self.models[role]


class NoHuman:
    async def cell_decision(self, cell_id: str) -> UserDecision:
        return UserDecision(action="approve")

    async def ask(self, question: str) -> str:
        return ""


def summarize(request: RecordedRequest) -> FakeReply:
    """A summarizer that obeys its prompt: the summary so far plus one line per turn,
    at most 300 words (the newest kept)."""
    text = request.messages[-1]["content"]
    previous = text.split("Summary so far:\n", 1)[1].split("\n\nOlder turns", 1)[0]
    if previous.startswith("(none yet"):
        previous = ""
    lines = [ln[:160] for ln in text.splitlines() if ln.startswith(("Turn ", "user:"))]
    words = f"{previous} {' '.join(lines)}".split()
    return FakeReply(text=" ".join(words[-300:]))


def responder(request: RecordedRequest) -> FakeReply:
    system = request.messages[0].get("content", "") if request.messages else ""
    if isinstance(system, str) and system.startswith("You condense"):
        return summarize(request)
    return FakeReply(text="ok", output_tokens=50)


def tool_round(turn: int, index: int) -> tuple[AssistantMessage, ToolResultMessage]:
    """One coder round: a propose_cell (or finish) call and its result."""
    call_id = f"call_{turn}_{index}"
    if index == ROUNDS - 1:
        args = f'{{"summary": "{prose(60)}"}}'
        call = ToolCall(id=call_id, name="finish", arguments={}, raw_arguments=args)
        result = "The run is finished."
    else:
        code = "\n".join(f"v{turn}_{i} = df.groupby('{RNG.choice(WORDS)}').sum()" for i in range(8))
        args = f'{{"code": "{code}", "explanation": "{prose(25)}"}}'
        call = ToolCall(id=call_id, name="propose_cell", arguments={}, raw_arguments=args)
        rows = "\\n".join(f"{RNG.choice(WORDS)}  {RNG.random() * 1000:.2f}" for _ in range(40))
        result = f'{{"cell_id": "c{turn}_{index}", "status": "ok", "output": "{rows}"}}'
    return (
        AssistantMessage(content=prose(15), tool_calls=(call,)),
        ToolResultMessage(tool_call_id=call_id, name=call.name, content=result),
    )


async def run_session(turns: int, budget: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with FakeModelServer(responder=responder) as server:
        model_settings = ModelSettings(
            provider="openai",
            model="fake-model",
            openai_base_url=server.openai_base_url,
            openai_api_key="sk-fake",
            max_retries=0,
        )
        models = {role: build_chat_model(model_settings, role) for role in ROLES}
        store = SessionStore(":memory:")
        sid = store.create_session(notebook_path="long.ipynb", kernel_id="k").id
        bridge = Bridge()
        settings = Settings(agents=AgentSettings(history_turns=6, prompt_token_budget=budget))
        app = AppContext(
            store=store,
            bridge=bridge,  # type: ignore[arg-type]
            writer=None,  # type: ignore[arg-type]
            models=RoleModels(models),  # type: ignore[arg-type]
            knowledge=None,
            root_dir=".",
        )
        history: list[Message] = []  # what a full-history agent would resend

        async def kernel_id() -> str:
            return "k"

        for turn in range(turns):
            request = f"Request {turn + 1}: {prose(RNG.randint(25, 70))}?"
            store.add_message(sid, turn=turn, role="user", text=request)
            ctx = RunContext(
                app=app,
                settings=settings,
                session_id=sid,
                notebook_path="long.ipynb",
                emit=lambda event: None,
                human=NoHuman(),
                kernel_id=kernel_id,
                review=new_reviewer(),
                turn=turn,
                request=request,
            )
            memory = ctx.memory = await SessionMemory.prepare(memory_sources(ctx))
            exchange: list[Message] = []
            calls: list[tuple[int, int, tuple[str, ...]]] = []
            for index in range(ROUNDS):
                step = CurrentStep(request=request, details="The plan: 2 tasks", exchange=exchange)
                prompt = memory.assemble(
                    system=prompts.CODER,
                    step=step,
                    tools=CODER_TOOLS,
                    budget=budget,
                    model_key="openai:fake-model",
                )
                response = await call_model(ctx, CODER, prompt)
                reported = response.usage.input_tokens
                calls.append((prompt.tokens, reported, prompt.cuts))
                exchange.extend(tool_round(turn, index))
                if index == 0:  # the cell made a new variable
                    name = f"result_{turn}"
                    bridge.variables[name] = f"DataFrame {RNG.randint(10, 9999):,} x 4"
                    memory.record_execution(
                        cell_id=f"c{turn}_0",
                        diff=NamespaceDiff(created=(name,), changed=(), deleted=()),
                        variables=await bridge.list_variables("k"),
                        turn=turn,
                    )
            row: dict[str, Any] = {"turn": turn + 1, "calls": calls}
            if turn + 1 in REPORTED_TURNS:
                full = [
                    SystemMessage(content=f"{prompts.CODER}\n\nNotebook: long.ipynb"),
                    *history,
                    UserMessage(content=f"{request}\n\nThe plan: 2 tasks"),
                    *exchange[:-2],
                ]
                response = await models["coder"].complete(full, CODER_TOOLS)
                row["full_history"] = response.usage.input_tokens
                rows.append(row)
            answer = f"Answer {turn + 1}: {prose(RNG.randint(60, 140))}."
            store.add_message(sid, turn=turn, role="assistant", agent="coder", text=answer)
            history.extend(
                [UserMessage(content=request), *exchange, AssistantMessage(content=answer)]
            )
        for model in models.values():
            await model.aclose()
        store.close()
    return rows


def report_session(rows: list[dict[str, Any]], budget: int) -> None:
    turns = rows[-1]["turn"]
    print(f"Memory tiers over a {turns}-turn session (history_turns=6, budget {budget:,})")
    print("input tokens per model call, as the provider reports them")
    header = f"{'turn':>5}  {'coder calls of the turn':>26}  {'largest':>8}  {'full history':>13}"
    print(header + "  cuts")
    for row in rows:
        reported = [r for _, r, _ in row["calls"]]
        cuts = sorted({c for _, _, cs in row["calls"] for c in cs}) or ["-"]
        print(
            f"{row['turn']:>5}  {' / '.join(f'{r:,}' for r in reported):>26}  "
            f"{max(reported):>8,}  {row['full_history']:>13,}  {', '.join(cuts)}"
        )
    by_turn = {row["turn"]: max(r for _, r, _ in row["calls"]) for row in rows}
    if 10 in by_turn:
        last = max(by_turn)
        ratio = by_turn[last] / by_turn[10]
        verdict = "ok" if ratio <= 1.5 and by_turn[last] <= budget else "MISSED"
        print(
            f"turn {last} / turn 10 = {ratio:.2f} (target <= 1.5), turn {last} = "
            f"{by_turn[last]:,} tokens (budget {budget:,}): {verdict}"
        )


# --- knowledge look-up latency ---------------------------------------------------------


def make_knowledge(folder: Path, topics: int, files: int) -> list[str]:
    """Generated Markdown: a Zipf-like vocabulary, so some words are common, most rare."""
    rng = random.Random(11)
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "or", "an", "qui", "pe", "dra"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(8000)})
    rng.shuffle(vocab)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    per_file = max(1, topics // files)
    for f in range(files):
        sections = [f"# Handbook {f}\n"]
        for t in range(per_file):
            title = " ".join(rng.choices(vocab[:3000], k=2)).capitalize()
            body = " ".join(rng.choices(vocab, weights=weights, k=70))
            sections.append(f"## {title} {f}-{t}\n{body}\n")
        (folder / f"handbook_{f:03d}.md").write_text("\n".join(sections))
    return vocab


def knowledge_benchmark(topics: int, files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        vocab = make_knowledge(folder, topics, files)
        index = KnowledgeIndex([tmp], check_interval=0.0)
        started = time.perf_counter()
        index.refresh(force=True)
        build = time.perf_counter() - started
        rng = random.Random(3)
        queries = [" ".join(rng.sample(vocab[:4000], rng.randint(1, 4))) for _ in range(300)]
        index.lookup(queries[0])  # warm the page cache
        latencies = []
        for query in queries:
            t0 = time.perf_counter()
            answer = index.lookup(query)
            latencies.append((time.perf_counter() - t0) * 1000)
            assert answer
        latencies.sort()
        median = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95)]
        print(
            f"\nKnowledge look-up over {index.topic_count():,} topics in {files} files "
            f"(index built in {build:.2f} s; catalog {len(index.catalog()):,} chars)"
        )
        print(
            f"lookup_context with the mtime check of {files} files every time: "
            f"median {median:.1f} ms, p95 {p95:.1f} ms over {len(queries)} queries "
            f"(target median < 20 ms): {'ok' if median < 20 else 'MISSED'}"
        )
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--budget", type=int, default=12_000)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    rows = asyncio.run(run_session(args.turns, args.budget))
    report_session(rows, args.budget)
    knowledge_benchmark(args.topics, args.files)


if __name__ == "__main__":
    main()
