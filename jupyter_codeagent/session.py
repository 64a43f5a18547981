"""A session: one notebook's conversation with the agents, its event log and its run.

A run is one asyncio task owned by the session. Everything it does is an event,
appended to the store (so a reconnecting client replays it) and fanned out to
live subscribers. Approvals and answers are futures the run awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from .agents.orchestrator import run_request
from .agents.runtime import RunContext, StepLimitReached, UserDecision, new_id
from .agents.state import Plan
from .config import AgentSettings
from .errors import BadRequest, CodeAgentError, Conflict, NotFound
from .models import ChatModel
from .safety.risk import analyze_code
from .store import EventRecord, SessionRecord, SessionStore

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000
STOP_GRACE_SECONDS = 10.0
VARIABLES_TIMEOUT = 5.0


class Session:
    def __init__(
        self,
        record: SessionRecord,
        *,
        store: SessionStore,
        bridge: Any,
        writer: Any,
        models: Callable[[str], ChatModel],
        settings: AgentSettings,
        root_dir: str,
        knowledge: Any = None,
        live_hub: Any = None,
    ) -> None:
        self.id = record.id
        self.live_hub = live_hub
        self.notebook_path = record.notebook_path
        self._kernel_id = record.kernel_id
        self.store = store
        self.bridge = bridge
        self.writer = writer
        self.models = models
        self.settings = settings
        self.root_dir = root_dir
        self.knowledge = knowledge
        self.status = record.status
        self._task: asyncio.Task[None] | None = None
        self._ctx: RunContext | None = None
        self._subscribers: set[asyncio.Queue[EventRecord]] = set()
        self._pending_cells: dict[str, asyncio.Future[UserDecision]] = {}
        self._pending_questions: dict[str, tuple[str, asyncio.Future[str]]] = {}
        self._last_variables: list[dict[str, Any]] = []

    # --- events -------------------------------------------------------------------

    def emit(self, type: str, data: dict[str, Any]) -> EventRecord:
        record = self.store.append_event(self.id, type, data)
        if type == "variables":
            self._last_variables = list(data.get("variables", []))
        for queue in list(self._subscribers):
            queue.put_nowait(record)
        return record

    def subscribe(self) -> asyncio.Queue[EventRecord]:
        queue: asyncio.Queue[EventRecord] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[EventRecord]) -> None:
        self._subscribers.discard(queue)

    # --- kernel ---------------------------------------------------------------------

    async def kernel_id(self) -> str:
        """The notebook's kernel; found again if it was shut down and replaced."""
        if self._kernel_id:
            try:
                return str(
                    await self.bridge.kernel_for_notebook(self.notebook_path, self._kernel_id)
                )
            except NotFound:
                log.info(
                    "kernel %s of session %s is gone; finding the notebook's",
                    self._kernel_id,
                    self.id,
                )
        self._kernel_id = str(await self.bridge.kernel_for_notebook(self.notebook_path))
        self.store.update_session(self.id, kernel_id=self._kernel_id)
        return self._kernel_id

    # --- runs -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def send_message(self, text: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("'text' must be a non-empty string.")
        if len(text) > MAX_MESSAGE_CHARS:
            raise BadRequest(f"'text' is longer than {MAX_MESSAGE_CHARS} characters.")
        if self.running:
            raise Conflict("A run is in progress in this session; wait for it or stop it.")
        self.models("planner")  # raises ConfigurationError (503) before anything starts
        turn = sum(1 for m in self.store.messages(self.id) if m.role == "user")
        self.store.add_message(self.id, turn=turn, role="user", text=text)
        if not self.store.get_session(self.id).title:
            self.store.update_session(self.id, title=_title_from(text))
        self._set_status("running")
        self.emit("message", {"role": "user", "text": text})
        self._task = asyncio.create_task(self._run(text, turn), name=f"codeagent-run-{self.id}")

    async def _run(self, text: str, turn: int) -> None:
        ctx = RunContext(
            session_id=self.id,
            notebook_path=self.notebook_path,
            root_dir=self.root_dir,
            settings=self.settings,
            models=self.models,
            bridge=self.bridge,
            writer=self.writer,
            store=self.store,
            emit=self.emit,
            human=self,
            kernel_id=self.kernel_id,
            knowledge=self.knowledge,
            turn=turn,
            request=text,
            plan=Plan.from_json(self.store.get_plan(self.id)),
        )
        self._ctx = ctx
        self.emit("run_started", {"turn": turn})
        status, summary = "failed", None
        try:
            summary = await run_request(ctx)
            status = "done"
        except asyncio.CancelledError:
            status, summary = "stopped", "Stopped by the user."
        except StepLimitReached as error:
            status, summary = "stopped", error.message
            self.emit("error", {"code": error.code, "message": error.message})
        except CodeAgentError as error:
            summary = error.message
            self.emit("error", {"code": error.code, "message": error.message})
        except Exception:  # our bug: keep the session usable, tell the user, log the trace
            log.exception("run of session %s failed", self.id)
            summary = "The run failed because of an internal error; see the server log."
            self.emit("error", {"code": "internal_error", "message": summary})
        finally:
            self._cancel_pending()
            self._ctx = None
        if summary:
            self.store.add_message(
                self.id, turn=turn, role="assistant", agent="coder", text=summary
            )
        finished: dict[str, Any] = {"status": status}
        if summary:
            finished["summary"] = summary
        self._set_status(status)
        self.emit("run_finished", finished)

    async def stop(self) -> None:
        task = self._task
        if task is None or task.done():
            return
        ctx = self._ctx
        if ctx is not None and ctx.executing_kernel:
            with contextlib.suppress(Exception):
                await self.bridge.interrupt(ctx.executing_kernel)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)

    def _set_status(self, status: str) -> None:
        self.status = status
        self.store.update_session(self.id, status=status)

    def _cancel_pending(self) -> None:
        for future in self._pending_cells.values():
            future.cancel()
        for _, question in self._pending_questions.values():
            question.cancel()
        self._pending_cells.clear()
        self._pending_questions.clear()

    # --- the human channel (the run awaits these) ------------------------------------------

    async def cell_decision(self, cell_id: str) -> UserDecision:
        future: asyncio.Future[UserDecision] = asyncio.get_running_loop().create_future()
        self._pending_cells[cell_id] = future
        self._set_status("waiting")
        try:
            return await future
        finally:
            self._pending_cells.pop(cell_id, None)
            if self.running:
                self._set_status("running")

    async def ask(self, question: str) -> str:
        question_id = new_id("q")
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending_questions[question_id] = (question, future)
        self._set_status("waiting")
        self.emit("question", {"question_id": question_id, "text": question})
        try:
            return await future
        finally:
            self._pending_questions.pop(question_id, None)
            if self.running:
                self._set_status("running")

    def approve(self, cell_id: str, source: Any = None) -> None:
        future = self._waiting_cell(cell_id)
        if source is not None:
            if not isinstance(source, str) or not source.strip():
                raise BadRequest("'source' must be a non-empty string when given.")
            report = analyze_code(source, root_dir=self.root_dir)
            if report.blocking:
                reasons = "; ".join(f.message for f in report.findings if f.severity == "block")
                raise Conflict(f"The edited cell cannot run: {reasons}")
        future.set_result(UserDecision(action="approve", source=source))

    def reject(self, cell_id: str, reason: Any = None) -> None:
        if reason is not None and not isinstance(reason, str):
            raise BadRequest("'reason' must be a string when given.")
        future = self._waiting_cell(cell_id)
        future.set_result(UserDecision(action="reject", reason=(reason or "").strip() or None))

    def answer(self, question_id: Any, text: Any) -> None:
        if not isinstance(question_id, str) or not isinstance(text, str) or not text.strip():
            raise BadRequest("'question_id' and a non-empty 'text' are required.")
        pending = self._pending_questions.get(question_id)
        if pending is None or pending[1].done():
            raise NotFound(f"No open question '{question_id}' in this session.")
        pending[1].set_result(text.strip())
        # The answer is part of the conversation: a client replaying events sees it.
        self.emit("message", {"role": "user", "text": text.strip(), "question_id": question_id})

    def _waiting_cell(self, cell_id: str) -> asyncio.Future[UserDecision]:
        cell = self.store.get_cell(self.id, cell_id)  # NotFound for unknown ids
        future = self._pending_cells.get(cell_id)
        if future is None or future.done():
            raise Conflict(f"Cell '{cell_id}' is {cell.status}, not waiting for approval.")
        return future

    # --- views ----------------------------------------------------------------------------

    async def live_snapshot(self) -> dict[str, Any]:
        """The snapshot with the kernel's variables as they are now (if it answers)."""
        if not self.running and self._kernel_id:
            with contextlib.suppress(Exception):
                variables = await asyncio.wait_for(
                    self.bridge.list_variables(self._kernel_id), VARIABLES_TIMEOUT
                )
                self._last_variables = [
                    {"name": v.name, "type": v.type, "summary": v.summary} for v in variables
                ]
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        record = self.store.get_session(self.id)
        body = record.to_json()
        body.update(
            {
                "status": self.status,
                "messages": [m.to_json() for m in self.store.messages(self.id)],
                "plan": {"tasks": self.store.get_plan(self.id)},
                "cells": [c.to_json() for c in self.store.list_cells(self.id)],
                "variables": self._last_variables,
                "usage": self.store.usage_totals(self.id),
                "audit": [a.to_json() for a in self.store.audit(self.id)],
                "pending": {
                    "cells": sorted(self._pending_cells),
                    "questions": [
                        {"question_id": qid, "text": text}
                        for qid, (text, _) in self._pending_questions.items()
                    ],
                },
                "last_seq": self.store.last_seq(self.id),
            }
        )
        return body


def _title_from(text: str) -> str:
    line = text.strip().splitlines()[0]
    return line if len(line) <= 80 else line[:77] + "..."
