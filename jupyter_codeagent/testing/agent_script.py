"""Script the fake model server per agent role (planner, coder, reviewer, summarizer).

Each role's requests are recognised by its system prompt, and answered from that
role's own queue, so a test can write the planner's, the coder's and the reviewer's
parts of a run side by side::

    script = RoleScript()
    script.planner(FakeReply(tool_calls=[FakeToolCall("create_plan", {...})]))
    script.coder(FakeReply(tool_calls=[FakeToolCall("propose_cell", {...})]), ...)
    script.reviewer(review("approve"))
    server.responder = script
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .fake_script import FakeReply, FakeToolCall, RecordedRequest

ROLE_MARKERS = {
    "planner": "You are the planner",
    "coder": "You are the coder",
    "reviewer": "You are the code reviewer",
    "summarizer": "You condense the older part",
}


def system_prompt_of(request: RecordedRequest) -> str:
    """The system prompt, wherever the provider puts it."""
    system = request.body.get("system")
    if isinstance(system, str):
        return system
    if isinstance(system, list):  # Anthropic content blocks
        return "".join(b.get("text", "") for b in system if isinstance(b, dict))
    for message in request.messages:
        if isinstance(message, dict) and message.get("role") in ("system", "developer"):
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def context_of(request: RecordedRequest) -> str:
    """The system prompt and the session context message that follows it (the agents
    send the context in its own message, after the static role prompt)."""
    parts = [system_prompt_of(request)]
    for message in request.messages:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        texts = (
            [content]
            if isinstance(content, str)
            else [b.get("text", "") for b in content or () if isinstance(b, dict)]
        )
        parts.extend(t for t in texts if t.startswith("# Session context"))
    return "\n\n".join(parts)


def role_of(request: RecordedRequest) -> str | None:
    prompt = system_prompt_of(request)
    for role, marker in ROLE_MARKERS.items():
        if prompt.startswith(marker):
            return role
    return None


class RoleScript:
    """A responder with one reply queue (or fallback function) per role."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[FakeReply]] = {role: deque() for role in ROLE_MARKERS}
        self._fallbacks: dict[str, Callable[[RecordedRequest], FakeReply]] = {}
        self.seen: list[tuple[str | None, RecordedRequest]] = []

    def add(self, role: str, *replies: FakeReply) -> RoleScript:
        with self._lock:
            self._queues[role].extend(replies)
        return self

    def planner(self, *replies: FakeReply) -> RoleScript:
        return self.add("planner", *replies)

    def coder(self, *replies: FakeReply) -> RoleScript:
        return self.add("coder", *replies)

    def reviewer(self, *replies: FakeReply) -> RoleScript:
        return self.add("reviewer", *replies)

    def summarizer(self, *replies: FakeReply) -> RoleScript:
        return self.add("summarizer", *replies)

    def otherwise(self, role: str, reply: Callable[[RecordedRequest], FakeReply]) -> RoleScript:
        """Answer ``role`` with ``reply(request)`` once its queue is empty."""
        self._fallbacks[role] = reply
        return self

    def pending(self, role: str) -> int:
        with self._lock:
            return len(self._queues[role])

    def requests_of(self, role: str) -> list[RecordedRequest]:
        with self._lock:
            return [request for r, request in self.seen if r == role]

    def __call__(self, request: RecordedRequest) -> FakeReply:
        role = role_of(request)
        with self._lock:
            self.seen.append((role, request))
            queue = self._queues.get(role or "")
            if queue:
                return queue.popleft()
        fallback = self._fallbacks.get(role or "")
        if fallback is not None:
            return fallback(request)
        return FakeReply.error(
            400, f"the fake model's script for role {role!r} ran out", error_type="script_exhausted"
        )


# --- shorthands for scripts ----------------------------------------------------------


def call(name: str, **arguments: Any) -> FakeReply:
    """A reply that makes one tool call."""
    return FakeReply(tool_calls=[FakeToolCall(name, arguments)])


def plan(*titles: str) -> FakeReply:
    return call("create_plan", tasks=[{"title": t, "description": ""} for t in titles])


def propose(code: str, explanation: str = "A cell.", task_id: str | None = None) -> FakeReply:
    args: dict[str, Any] = {"code": code, "explanation": explanation}
    if task_id:
        args["task_id"] = task_id
    return call("propose_cell", **args)


def review(
    verdict: str = "approve", risk: str = "low", comments: str = "Looks right."
) -> FakeReply:
    return call("submit_review", verdict=verdict, risk=risk, comments=comments)


def finish(summary: str) -> FakeReply:
    return call("finish", summary=summary)


def text(content: str) -> FakeReply:
    return FakeReply(text=content)
