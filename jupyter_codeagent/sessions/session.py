"""A session: one notebook's conversation with the agents, its event log and its run.

A run is one asyncio task owned by the session. Everything it does is an event,
appended to the store (so a reconnecting client replays it) and fanned out to
live subscribers (``EventLog``). Approvals and answers are futures the run awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

from ..agents import new_reviewer, run_request
from ..errors import (
    BadRequest,
    BudgetExceeded,
    CodeAgentError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    StepLimitReached,
)
from ..events import (
    AgentRole,
    ErrorReported,
    Event,
    MessagePosted,
    QuestionAsked,
    RunFinished,
    RunStarted,
    RunStatus,
    TextDelta,
)
from ..kernel.secrets import collect_secrets
from ..safety import MAX_SOURCE_CHARS, analyze_code_async
from ..safety.audit import AuditLog, AuditSubject
from ..settings import Settings, parse_choices
from ..store import EventRecord, SessionRecord
from ..tools import AppContext, Plan, RunContext, UserDecision
from ..tools.cell_log import CellLog, SessionCells
from ..tools.context import Redactor, SessionFactsLog, new_id
from ..tools.undo import undo_cells
from .event_log import EventLog
from .undo import cell_ids_to_undo, undo_context
from .views import PendingChoices, session_history, session_snapshot

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000
MAX_CELL_SOURCE = 200_000
STOP_GRACE_SECONDS = 10.0
VARIABLES_TIMEOUT = 5.0


class Session:
    def __init__(
        self, record: SessionRecord, *, app: AppContext, defaults: Callable[[], Settings]
    ) -> None:
        self.id = record.id
        self.app = app
        self.store = app.store
        self.notebook_path = record.notebook_path
        self.status = record.status
        self._defaults = defaults
        self._kernel_id = record.kernel_id
        self._task: asyncio.Task[None] | None = None
        self._run: RunContext | None = None
        self.events = EventLog(app.store, record.id)
        self._pending_cells: dict[str, asyncio.Future[UserDecision]] = {}
        self._pending_questions: dict[str, tuple[str, asyncio.Future[str]]] = {}
        self._last_variables: list[dict[str, Any]] = []
        # Text streamed by each agent since its last message: what a stop would cut off.
        self._drafts: dict[str, str] = {}
        # What this session's cells read, wrote and created (the analyzer's facts).
        self._facts = SessionFactsLog()
        self._redactor: Redactor | None = None
        # One reviewer conversation for the whole session (see agents/reviewer.py).
        self._reviewer = new_reviewer()
        # Why the run was stopped when it was not the user (the notebook was deleted).
        self._stop_reason: str | None = None
        self._undoing = asyncio.Lock()

    # --- events -------------------------------------------------------------------

    def emit(self, event: Event) -> EventRecord:
        event = self.redactor.event(event)
        body = event.to_json()
        del body["type"]
        streamed = isinstance(event, TextDelta)
        record = self.events.append(event.type, body, batched=streamed)
        if isinstance(event, TextDelta):
            self._drafts[event.agent] = self._drafts.get(event.agent, "") + event.text
        elif isinstance(event, MessagePosted) and event.agent is not None:
            self._drafts.pop(event.agent, None)
        elif event.type == "variables":
            self._last_variables = list(body.get("variables", []))
        return record

    def subscribe(self) -> asyncio.Queue[EventRecord]:
        """Live events from now on; the stored log (``events_after``) has all before."""
        return self.events.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[EventRecord]) -> None:
        self.events.unsubscribe(queue)

    @property
    def redactor(self) -> Redactor:
        """The configured keys and the server's credential variables, taken out of all
        that is stored or sent (cached: they change only with a restart)."""
        if self._redactor is None:
            self._redactor = Redactor(collect_secrets(self._defaults().models.secrets()))
        return self._redactor

    # --- kernel ---------------------------------------------------------------------

    async def kernel_id(self) -> str:
        """The notebook's kernel; found again if it was shut down and replaced."""
        bridge = self.app.bridge
        if self._kernel_id:
            try:
                return str(await bridge.kernel_for_notebook(self.notebook_path, self._kernel_id))
            except NotFound:
                log.info("kernel %s of session %s is gone", self._kernel_id, self.id)
        self._kernel_id = str(await bridge.kernel_for_notebook(self.notebook_path))
        self.store.update_session(self.id, kernel_id=self._kernel_id)
        return self._kernel_id

    # --- runs -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def send_message(self, text: Any, *, choices: Any = None, user: str | None = None) -> None:
        """Start a run for ``text`` with the server's settings and the user's ``choices``."""
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("'text' must be a non-empty string.")
        if len(text) > MAX_MESSAGE_CHARS:
            raise BadRequest(f"'text' is longer than {MAX_MESSAGE_CHARS} characters.")
        if self.running:
            raise Conflict("A run is in progress in this session; wait for it or stop it.")
        if self._undoing.locked():
            raise Conflict("An undo is in progress in this session; wait for it.")
        # A user's choices may lower the server's budgets, never raise them.
        settings = self._defaults().with_user_choices(parse_choices(choices))
        # ConfigurationError (503) before anything starts.
        self.app.models.for_role(settings.models, "planner")
        turn = self.store.next_turn(self.id)
        text = self.redactor.text(text)
        self.store.add_message(self.id, turn=turn, role="user", text=text)
        if not self.store.get_session(self.id).title:
            self.store.update_session(self.id, title=_title_from(text))
        self._set_status("running")
        # The turn starts here: readers page the timeline by ``run_started``.
        started = self.emit(RunStarted(turn=turn))
        self.emit(MessagePosted(role="user", text=text))
        run = RunContext(
            app=self.app,
            settings=settings,
            session_id=self.id,
            notebook_path=self.notebook_path,
            emit=self.emit,
            human=self,
            kernel_id=self.kernel_id,
            review=self._reviewer,
            user=user,
            turn=turn,
            request=text,
            plan=Plan.from_json(self.store.get_plan(self.id)),
            facts=self._facts,
            redact=self.redactor,
        )
        self._drafts.clear()
        self._task = asyncio.create_task(
            self._drive(run, started.seq), name=f"codeagent-run-{self.id}"
        )

    async def _drive(self, run: RunContext, started_seq: int) -> None:
        self._run = run
        status: RunStatus = "failed"
        summary: str | None = None
        agent: AgentRole = "coder"
        explained = False  # an ``error`` event already says why the run ended
        no_code_ran: bool | None = None
        try:
            # The notebook may lag behind the session (a reload, a restart): catch up.
            await CellLog(run).sync_notebook()
            outcome = await run_request(run)
            summary, agent, status = outcome.honest_summary(), outcome.agent, "done"
            no_code_ran = True if outcome.computed is False else None
        except asyncio.CancelledError:
            status, summary = "stopped", self._stop_reason or "Stopped by the user."
        except CodeAgentError as error:
            # Limits the user set or can raise stop a run; anything else failed it.
            limited = isinstance(error, (StepLimitReached, BudgetExceeded))
            status = "stopped" if limited else "failed"
            summary, explained = error.message, True
            budget = error.budget if isinstance(error, BudgetExceeded) else None
            self.emit(ErrorReported(code=error.code, message=error.message, budget=budget))
        except Exception:  # our bug: keep the session usable, tell the user, log the trace
            log.exception("run of session %s failed", self.id)
            summary = "The run failed because of an internal error; see the server log."
            explained = True
            self.emit(ErrorReported(code="internal_error", message=summary))
        finally:
            self._cancel_pending()
            self._run = None
            # Streamed text now lives on in a message or the summary: no need to store it.
            self.events.drop_unstored()
        if summary:  # the conversation's memory keeps how the turn ended
            summary = self.redactor.text(summary)
            self.store.add_message(
                self.id, turn=run.turn, role="assistant", agent=agent, text=summary
            )
        self._keep_cut_off_text(closing=agent if status == "done" else None)
        self._set_status(status)
        self.emit(
            RunFinished(
                status=status,
                summary=None if explained else summary,
                agent=agent,
                no_code_ran=no_code_ran,
            )
        )
        # Every streamed text now lives on in a message or the summary.
        self.store.fold_deltas(self.id, started_seq)

    def _keep_cut_off_text(self, closing: AgentRole | None) -> None:
        """Text that was streaming when the run ended becomes an interrupted message (the
        closing agent's text is the summary itself)."""
        for name, text in list(self._drafts.items()):
            if name != closing and text.strip():
                self.emit(
                    MessagePosted(
                        role="assistant",
                        agent=name,  # type: ignore[arg-type]
                        text=text,
                        interrupted=True,
                    )
                )
        self._drafts.clear()

    async def stop(self, *, reason: str | None = None) -> None:
        task = self._task
        if task is None or task.done():
            return
        self._stop_reason = reason
        run = self._run
        if run is not None and run.executing_kernel:
            with contextlib.suppress(Exception):
                await self.app.bridge.interrupt(run.executing_kernel)
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
        self.emit(QuestionAsked(question_id=question_id, text=question))
        try:
            return await future
        finally:
            self._pending_questions.pop(question_id, None)
            if self.running:
                self._set_status("running")

    async def approve(self, cell_id: str, source: Any = None, *, user: str | None = None) -> None:
        self._waiting_cell(cell_id)
        if source is not None:
            if not isinstance(source, str) or not source.strip():
                raise BadRequest("'source' must be a non-empty string when given.")
            if len(source) > MAX_SOURCE_CHARS:
                raise PayloadTooLarge(
                    f"The edited cell has {len(source):,} characters; cells are limited to "
                    f"{MAX_SOURCE_CHARS:,}."
                )
            report = await analyze_code_async(
                source,
                root_dir=self.app.root_dir,
                cwd=os.path.join(self.app.root_dir, os.path.dirname(self.notebook_path)),
            )
            if report.blocking:
                reasons = "; ".join(f.message for f in report.findings if f.severity == "block")
                raise Conflict(f"The edited cell cannot run: {reasons}")
        # Looked up again: the analysis awaited, and the run may have ended meanwhile.
        self._waiting_cell(cell_id).set_result(
            UserDecision(action="approve", source=source, user=user)
        )

    def reject(self, cell_id: str, reason: Any = None, *, user: str | None = None) -> None:
        if reason is not None and not isinstance(reason, str):
            raise BadRequest("'reason' must be a string when given.")
        future = self._waiting_cell(cell_id)
        text = (reason or "").strip() or None
        future.set_result(UserDecision(action="reject", reason=text, user=user))

    def answer(self, question_id: Any, text: Any) -> None:
        if not isinstance(question_id, str) or not isinstance(text, str) or not text.strip():
            raise BadRequest("'question_id' and a non-empty 'text' are required.")
        pending = self._pending_questions.get(question_id)
        if pending is None or pending[1].done():
            raise NotFound(f"No open question '{question_id}' in this session.")
        pending[1].set_result(text.strip())
        # The answer is part of the conversation: a client replaying events sees it.
        self.emit(MessagePosted(role="user", text=text.strip(), question_id=question_id))

    def _waiting_cell(self, cell_id: str) -> asyncio.Future[UserDecision]:
        cell = self.store.get_cell(self.id, cell_id)  # NotFound for unknown ids
        future = self._pending_cells.get(cell_id)
        if future is None or future.done():
            raise Conflict(f"Cell '{cell_id}' is {cell.status}, not waiting for approval.")
        return future

    # --- the notebook ------------------------------------------------------------------

    def cells(self) -> CellLog:
        """The session's cells (the run's while one runs, so it keeps its place)."""
        owner = self._run or SessionCells(
            app=self.app,
            session_id=self.id,
            notebook_path=self.notebook_path,
            emit=self.emit,
            redact=self.redactor,
        )
        return CellLog(owner)

    def moved(self, notebook_path: str) -> None:
        """The notebook was renamed or moved: the session, its run and kernel follow."""
        self.notebook_path = notebook_path
        self.store.move_session(self.id, notebook_path)
        if self._run is not None:
            self._run.notebook_path = notebook_path

    async def notebook_deleted(self) -> None:
        """The notebook is gone: stop the run and say so (the history stays)."""
        name = self.notebook_path.rsplit("/", 1)[-1]
        reason = f"{name} was deleted, so this session's run was stopped."
        if self.running:
            await self.stop(reason=reason)
        self.emit(ErrorReported(code="notebook_deleted", message=reason))

    async def user_ran(self, cell_id: str, body: dict[str, Any], *, user: str | None) -> None:
        """The user ran the agent cell ``cell_id`` themselves: the audit records it."""
        source, status, detail = body.get("source"), body.get("status"), body.get("detail", "")
        if not isinstance(source, str) or len(source) > MAX_CELL_SOURCE:
            raise BadRequest(f"'source' must be the code that ran (at most {MAX_CELL_SOURCE}).")
        if status not in ("ok", "error") or not isinstance(detail, str):
            raise BadRequest("'status' must be 'ok' or 'error'; 'detail' a string when given.")
        cell = self.store.get_cell(self.id, cell_id)  # NotFound for unknown ids
        if cell.status in ("proposed", "rejected", "blocked"):
            detail = f"{detail} (the cell was {cell.status}: it ran outside the gate)".strip()
        subject = AuditSubject(
            session_id=self.id,
            cell_id=cell_id,
            code=self.redactor.text(source),
            policy="user",
            report=await analyze_code_async(source, root_dir=self.app.root_dir),
            verdict=None,
            reviewer_risk=None,
        )
        AuditLog(self.store).user_ran(subject, user=user, status=status, detail=detail[:500])

    # --- undo (sessions/undo.py) ---------------------------------------------------------

    async def undo_cell(self, cell_id: str) -> dict[str, Any]:
        """Undo one agent cell that ran (the most recent one not undone yet)."""
        self.store.get_cell(self.id, cell_id)  # NotFound for an unknown id
        return await self._undo(lambda: cell_ids_to_undo(self.store, self.id, cell_id))

    async def revert(self) -> dict[str, Any]:
        """Undo the cells of the last run that ran, newest first, all or nothing."""
        return await self._undo(lambda: cell_ids_to_undo(self.store, self.id, None))

    async def _undo(self, to_undo: Callable[[], list[str]]) -> dict[str, Any]:
        if self.running:
            raise Conflict("A run is in progress in this session; stop it before undoing.")
        # One undo at a time. Another one (Revert clicked while the last Undo still
        # writes the notebook) waits its turn, then undoes what is left.
        async with self._undoing:
            cell_ids = to_undo()
            context = undo_context(self, self._defaults(), self._reviewer, self._kernel_id)
            result = await undo_cells(context, cell_ids)
        return result.to_json()

    # --- views ----------------------------------------------------------------------------

    async def live_snapshot(self, *, turns: int | None = None) -> dict[str, Any]:
        """The snapshot with the kernel's variables as they are now (if it answers)."""
        if not self.running and self._kernel_id:
            with contextlib.suppress(Exception):
                variables = await asyncio.wait_for(
                    self.app.bridge.list_variables(self._kernel_id), VARIABLES_TIMEOUT
                )
                self._last_variables = [
                    {"name": v.name, "type": v.type, "summary": v.summary} for v in variables
                ]
        return self.snapshot(turns=turns)

    def snapshot(self, *, turns: int | None = None) -> dict[str, Any]:
        """The session's state; with ``turns``, bounded to its last turns (see ``views``)."""
        self.events.flush()  # the stored log has everything sent
        pending = PendingChoices(
            cells=sorted(self._pending_cells),
            questions=[(qid, text) for qid, (text, _) in self._pending_questions.items()],
        )
        return session_snapshot(
            self.store,
            self.id,
            status=self.status,
            variables=self._last_variables,
            pending=pending,
            with_deltas=self.running,
            turns=turns,
        )

    def history(self, before_seq: int, turns: int) -> dict[str, Any]:
        """Timeline events of the ``turns`` turns before ``before_seq`` ("Show earlier")."""
        self.events.flush()
        return session_history(self.store, self.id, before_seq, turns)


def _title_from(text: str) -> str:
    line = text.strip().splitlines()[0]
    return line if len(line) <= 80 else line[:77] + "..."
