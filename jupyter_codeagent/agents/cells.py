"""propose_cell: analyzer → reviewer → approval gate → notebook → kernel → observation.

Every cell the coder proposes walks this path; nothing reaches the kernel around it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any

from jupyter_codeagent.errors import CodeAgentError
from jupyter_codeagent.safety.policy import decide
from jupyter_codeagent.safety.risk import analyze_code
from jupyter_codeagent.store import CellRecord

from .reviewer import Review, review_cell
from .runtime import RunContext, new_id
from .tool_runner import ToolFailure, as_json

log = logging.getLogger(__name__)


class CellPipeline:
    """The state the pipeline keeps across proposals of one run (review rounds)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.revisions = 0

    async def propose(self, args: dict[str, Any]) -> str:
        ctx = self.ctx
        code: str = args["code"]
        explanation: str = args.get("explanation", "").strip()
        task_id: str | None = args.get("task_id") or None
        task = ctx.plan.find(task_id) if task_id else None
        if task_id and task is None:
            known = ", ".join(t.id for t in ctx.plan.tasks) or "none"
            raise ToolFailure(f"Unknown task_id '{task_id}'. Plan tasks: {known}.")

        report = analyze_code(code, root_dir=ctx.root_dir)
        analyzer = report.to_json()
        if analyzer["blocking"]:
            review = Review(
                verdict="block",
                risk="high",
                comments="Blocked by the static analysis before review.",
            )
        else:
            review = await review_cell(
                ctx,
                code=code,
                explanation=explanation,
                task_title=task.title if task else "",
                analyzer=analyzer,
            )
        if review.verdict == "revise" and self.revisions < ctx.settings.max_review_rounds:
            self.revisions += 1
            ctx.emit("message", {"role": "assistant", "agent": "reviewer", "text": review.comments})
            return as_json(
                {
                    "decision": "revise",
                    "review": review.comments,
                    "next": "Address every comment and call propose_cell again with the new code.",
                }
            )
        self.revisions = 0
        cell = CellRecord(
            cell_id=new_id("c"),
            task_id=task_id,
            source=code,
            explanation=explanation,
            review=review.to_json(analyzer),
            status="proposed",
            outputs=[],
            execution_count=None,
            created=time.time(),
            updated=time.time(),
        )
        gate = decide(
            ctx.settings.approval,
            report,
            review.verdict,
            review.risk,
        )
        if gate.action == "block":
            return self._blocked(cell, gate.reason, analyzer, review)
        needs_approval = gate.action == "ask"
        await self._insert(cell)
        self._emit_proposed(cell, needs_approval=needs_approval)
        if not needs_approval:
            return await self._execute(cell, code, gate.approved_by, analyzer, review, edited=False)
        try:
            decision = await ctx.human.cell_decision(cell.cell_id)
        except asyncio.CancelledError:
            await self._stopped(cell, cell.source, None, analyzer, review, time.time())
            raise
        if decision.action == "reject":
            return await self._rejected(cell, decision.reason, analyzer, review)
        source = decision.source if decision.source is not None else code
        edited = source != code
        return await self._execute(cell, source, "user", analyzer, review, edited=edited)

    # --- outcomes -------------------------------------------------------------------

    def _blocked(
        self, cell: CellRecord, reason: str, analyzer: dict[str, Any], review: Review
    ) -> str:
        ctx = self.ctx
        cell = replace(cell, status="blocked", updated=time.time())
        ctx.store.save_cell(ctx.session_id, cell)
        self._emit_proposed(cell, needs_approval=False)
        ctx.emit("cell_blocked", {"cell_id": cell.cell_id, "reason": reason})
        self._audit(cell, cell.source, None, analyzer, review, "blocked", reason, time.time())
        return as_json(
            {
                "cell_id": cell.cell_id,
                "decision": "blocked",
                "reason": reason,
                "review": review.comments,
                "findings": [f["message"] for f in analyzer["findings"]],
                "next": "This cell will never run. Find a safe way, or tell the user why not.",
            }
        )

    async def _rejected(
        self, cell: CellRecord, reason: str | None, analyzer: dict[str, Any], review: Review
    ) -> str:
        ctx = self.ctx
        cell = replace(cell, status="rejected", updated=time.time())
        ctx.store.save_cell(ctx.session_id, cell)
        await self._write(cell.cell_id, status="rejected")
        ctx.emit("cell_rejected", {"cell_id": cell.cell_id, "reason": reason})
        self._audit(
            cell, cell.source, None, analyzer, review, "rejected", reason or "", time.time()
        )
        return as_json(
            {
                "cell_id": cell.cell_id,
                "decision": "rejected",
                "reason": reason or "(no reason given)",
                "next": "Respect the user's reason: change the approach or ask the user.",
            }
        )

    async def _execute(
        self,
        cell: CellRecord,
        source: str,
        approved_by: str | None,
        analyzer: dict[str, Any],
        review: Review,
        *,
        edited: bool,
    ) -> str:
        ctx = self.ctx
        started = time.time()
        cell = replace(cell, source=source, status="running", updated=started)
        ctx.store.save_cell(ctx.session_id, cell)
        await self._write(cell.cell_id, source=source if edited else None, status="running")
        ctx.emit("cell_executing", {"cell_id": cell.cell_id})
        kernel_id = await ctx.kernel_id()
        ctx.executing_kernel = kernel_id
        try:
            result, diff = await ctx.bridge.execute(
                kernel_id, source, timeout=ctx.settings.execution_timeout, track_namespace=True
            )
        except asyncio.CancelledError:
            await self._stopped(cell, source, approved_by, analyzer, review, started)
            raise
        finally:
            ctx.executing_kernel = None
        outputs = [dict(o) for o in result.outputs]
        status = "done" if result.status == "ok" else "error"
        cell = replace(
            cell,
            status=status,
            outputs=outputs,
            execution_count=result.execution_count,
            updated=time.time(),
        )
        ctx.store.save_cell(ctx.session_id, cell)
        await self._write(
            cell.cell_id, status=status, outputs=outputs, execution_count=result.execution_count
        )
        ctx.last_cell_id = cell.cell_id
        ctx.emit(
            "cell_executed",
            {
                "cell_id": cell.cell_id,
                "status": result.status,
                "execution_count": result.execution_count,
                "outputs": outputs,
            },
        )
        detail = f"{result.error_name}: {result.error_value}" if result.status == "error" else ""
        outcome = "ok" if result.status == "ok" else "error"
        self._audit(cell, source, approved_by, analyzer, review, outcome, detail, started)
        changes = await self._variables_changed(kernel_id, diff, cell.cell_id)
        body: dict[str, Any] = {
            "cell_id": cell.cell_id,
            "decision": "approved by the user" if approved_by == "user" else "ran automatically",
            "status": result.status,
            "output": ctx.bridge.outputs_for_model(result),
        }
        if edited:
            body["note"] = (
                "The user edited the cell before running it; the code that ran:\n" + source
            )
        if changes:
            body["variables_changed"] = changes
        return as_json(body)

    async def _stopped(
        self,
        cell: CellRecord,
        source: str,
        approved_by: str | None,
        analyzer: dict[str, Any],
        review: Review,
        started: float,
    ) -> None:
        """The run was stopped while this cell waited or ran: record it as stopped."""
        cell = replace(cell, status="stopped", updated=time.time())
        self.ctx.store.save_cell(self.ctx.session_id, cell)
        self._audit(cell, source, approved_by, analyzer, review, "stopped", "", started)
        await self._write(cell.cell_id, status="stopped")

    # --- helpers --------------------------------------------------------------------

    def _emit_proposed(self, cell: CellRecord, *, needs_approval: bool) -> None:
        self.ctx.emit(
            "cell_proposed",
            {
                "cell_id": cell.cell_id,
                "task_id": cell.task_id,
                "source": cell.source,
                "explanation": cell.explanation,
                "review": cell.review,
                "needs_approval": needs_approval,
            },
        )

    async def _insert(self, cell: CellRecord) -> None:
        ctx = self.ctx
        ctx.store.save_cell(ctx.session_id, cell)
        try:
            await ctx.writer.insert_cell(
                ctx.notebook_path,
                session_id=ctx.session_id,
                cell_id=cell.cell_id,
                source=cell.source,
                status="proposed",
                after=ctx.last_cell_id,
            )
        except CodeAgentError as error:
            self._notebook_failed(error)
        ctx.last_cell_id = cell.cell_id

    async def _write(self, cell_id: str, **changes: Any) -> None:
        try:
            await self.ctx.writer.update_cell(self.ctx.notebook_path, cell_id=cell_id, **changes)
        except CodeAgentError as error:
            self._notebook_failed(error)

    def _notebook_failed(self, error: CodeAgentError) -> None:
        # The run goes on (the kernel is what matters); the user is told the notebook lags.
        log.warning("notebook update failed: %s", error.message)
        self.ctx.emit("error", {"code": error.code, "message": error.message})

    async def _variables_changed(
        self, kernel_id: str, diff: Any, cell_id: str
    ) -> dict[str, list[str]]:
        ctx = self.ctx
        variables = await ctx.bridge.list_variables(kernel_id)
        if ctx.memory is not None:  # the data-object registry of the memory tiers
            ctx.memory.record_execution(cell_id=cell_id, diff=diff, variables=variables)
        ctx.emit(
            "variables",
            {
                "variables": [
                    {"name": v.name, "type": v.type, "summary": v.summary} for v in variables
                ]
            },
        )
        if diff is None or diff.empty:
            return {}
        return {
            key: list(names)
            for key, names in (
                ("created", diff.created),
                ("changed", diff.changed),
                ("deleted", diff.deleted),
            )
            if names
        }

    def _audit(
        self,
        cell: CellRecord,
        code: str,
        approved_by: str | None,
        analyzer: dict[str, Any],
        review: Review,
        outcome: str,
        detail: str,
        started: float,
    ) -> None:
        ctx = self.ctx
        ctx.store.add_audit(
            ctx.session_id,
            cell_id=cell.cell_id,
            code=code,
            approved_by=approved_by,
            policy=ctx.settings.approval,
            findings=analyzer["findings"],
            verdict=review.verdict,
            reviewer_risk=review.risk,
            outcome=outcome,
            detail=detail,
            started=started,
            finished=time.time(),
        )
