"""Helpers for end-to-end agent tests: a real server, real kernel, fake model per role."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from jupyter_codeagent.testing.agent_script import RoleScript

EVENT_TIMEOUT = 60.0


class EventReader:
    """Reads a session's events WebSocket and keeps everything it has seen."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.other: list[dict[str, Any]] = []

    async def next(self, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.ws.read_message(), timeout)
            if raw is None:
                raise ConnectionError("the events WebSocket closed")
            body = json.loads(raw)
            if "seq" in body:
                self.events.append(body)
                return body
            self.other.append(body)

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = EVENT_TIMEOUT
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                event = await self.next(max(0.1, deadline - loop.time()))
            except TimeoutError:
                seen = "\n".join(json.dumps(e)[:300] for e in self.events)
                raise TimeoutError(f"no matching event within {timeout}s; seen:\n{seen}") from None
            if predicate(event):
                return event

    async def until_type(self, type_: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        return await self.until(lambda e: e["type"] == type_, timeout)

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    def close(self) -> None:
        self.ws.close()


class Api:
    """Thin client of the codeagent routes over ``jp_fetch``."""

    def __init__(self, jp_fetch: Any, jp_ws_fetch: Any) -> None:
        self.fetch = jp_fetch
        self.ws_fetch = jp_ws_fetch

    async def call(self, method: str, *path: str, body: Any = None, **kwargs: Any) -> Any:
        args: dict[str, Any] = {"method": method, **kwargs}
        if body is not None:
            args["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method == "POST":
            args["body"] = "{}"
        response = await self.fetch("codeagent", *path, **args)
        return json.loads(response.body) if response.body else None

    async def create_session(self, notebook_path: str = "analysis.ipynb") -> dict[str, Any]:
        return await self.call("POST", "sessions", body={"notebook_path": notebook_path})

    async def send(self, session_id: str, text: str) -> Any:
        return await self.call("POST", "sessions", session_id, "messages", body={"text": text})

    async def approve(self, session_id: str, cell_id: str, source: str | None = None) -> Any:
        body = {} if source is None else {"source": source}
        return await self.call(
            "POST", "sessions", session_id, "cells", cell_id, "approve", body=body
        )

    async def reject(self, session_id: str, cell_id: str, reason: str | None = None) -> Any:
        body = {} if reason is None else {"reason": reason}
        return await self.call(
            "POST", "sessions", session_id, "cells", cell_id, "reject", body=body
        )

    async def get(self, session_id: str) -> dict[str, Any]:
        return await self.call("GET", "sessions", session_id)

    async def events(self, session_id: str, after: int = 0) -> EventReader:
        ws = await self.ws_fetch(
            "codeagent", "sessions", session_id, "events", params={"after": str(after)}
        )
        return EventReader(ws)


def model_config(
    server: Any, provider: str = "openai", approval: str = "always", **extra: Any
) -> dict[str, Any]:
    """CodeAgentExtension config pointing at the fake model server."""
    config: dict[str, Any] = {
        "provider": provider,
        "model": "fake-model",
        "approval": approval,
        "max_retries": 0,
        "execution_timeout": 30.0,
        "probe_model_server": False,
    }
    if provider == "openai":
        config.update(openai_base_url=server.openai_base_url, openai_api_key="sk-fake")
    else:
        config.update(anthropic_base_url=server.anthropic_base_url, anthropic_api_key="sk-fake")
    config.update(extra)
    return config


def new_script(server: Any) -> RoleScript:
    server.clear()
    script = RoleScript()
    server.responder = script
    return script


def tool_results_text(request: Any) -> str:
    """Every tool result the model was shown in this request, as one string (both APIs)."""
    parts: list[str] = []
    for message in request.messages:
        if message.get("role") == "tool":
            parts.append(str(message.get("content")))
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    parts.append(inner if isinstance(inner, str) else json.dumps(inner))
    return "\n".join(parts)


async def next_notebook_op(ws: Any) -> dict[str, Any]:
    """The next notebook op the server sends a tab that attached (other events skipped)."""
    while True:
        body = json.loads(await asyncio.wait_for(ws.read_message(), 30))
        if body.get("type") == "notebook_op":
            return body


async def ack_notebook_op(ws: Any, message: dict[str, Any]) -> None:
    """Answer as a tab that applied the op."""
    ack = {"type": "notebook_ack", "request_id": message["request_id"], "ok": True}
    await ws.write_message(json.dumps(ack))
