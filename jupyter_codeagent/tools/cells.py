"""``propose_cell``: analyzer → reviewer → approval gate → notebook → kernel → observation.

Every cell the coder proposes walks this path; nothing reaches the kernel around it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ..errors import ToolError
from ..events import MessagePosted, Variable, VariablesChanged
from ..kernel import NamespaceDiff
from ..safety import RiskReport, decide
from ..safety.audit import AuditLog, AuditSubject
from ..sandbox import sandbox_status
from .base import ToolReply, as_json, tool
from .cell_checks import analyze, block_only_for_danger, data_objects, learn, review_card
from .cell_log import CellLog
from .context import CellResult, Revision, new_id
from .images import output_images
from .plan import task_for_cell
from .review import CellReview, ReviewRequest
from .undo import predict_undo, prepare_undo

if TYPE_CHECKING:
    from .context import RunContext, UserDecision

MAX_CELL_CHARS = 50_000


@tool
async def propose_cell(
    run: RunContext,
    code: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_CELL_CHARS,
            description="The cell's Python code. It runs at the top level of the notebook: "
            "to show a value, print it or end the cell with it.",
        ),
    ],
    explanation: Annotated[
        str, Field(description="One or two sentences for the user: what the cell does and why.")
    ] = "",
    task_id: Annotated[str, Field(description="The plan task this cell works on.")] = "",
    replaces: Annotated[
        str,
        Field(
            max_length=64,
            description="To change an existing cell instead of adding one (fixing the error "
            "of a cell the user attached, for instance): that cell's id. The user sees the "
            "change as a diff; on approval the new code replaces the cell's and runs there.",
        ),
    ] = "",
) -> str | ToolReply:
    """Propose one Python code cell for the user's notebook. It is checked by a static
    analyzer and a reviewer, then shown to the user, who may approve, edit or reject it.
    The reply tells you the review, the user's decision and, if the cell ran, its
    outputs or its error."""
    task = task_for_cell(run, task_id.strip())
    explanation = explanation.strip()
    replaces = replaces.strip()
    run.open_revision = None  # the coder answered the reviewer, whatever its code
    declined = run.declined.get(_normalised(code))
    if declined is not None:
        why, revision = declined
        if revision is None:  # blocked, or the user said no: not again
            raise ToolError(
                f"This exact code was already turned down in this run ({why}). Change "
                "it, or mark the task 'failed' with update_task and tell the user why."
            )
        # The coder stands by code the reviewer wanted changed: the user settles it
        # (an unresolved revision waits for the user under every policy).
        run.review_rounds = 0
        report = await analyze(run, code)
        return await _gate(
            run, code, explanation, task.id if task else None, report, revision, replaces or None
        )
    report = await analyze(run, code)
    if report.blocking:
        review = CellReview(
            verdict="block", risk="high", comments="Blocked by the static analysis before review."
        )
    else:
        request = ReviewRequest(
            code=code,
            explanation=explanation,
            task_title=task.title if task else "",
            report=report,
        )
        review = block_only_for_danger(await run.review(run, request), report)
    if review.verdict in ("revise", "block"):
        why = f"the reviewer: {review.comments or review.verdict}"
        run.declined[_normalised(code)] = (why, review if review.verdict == "revise" else None)
    if review.verdict == "revise" and run.review_rounds < run.settings.agents.max_review_rounds:
        run.review_rounds += 1
        run.progress += 1  # the same code proposed again is an answer, not a repeat
        run.open_revision = Revision(
            code=code,
            explanation=explanation,
            task_id=task.id if task else None,
            replaces=replaces or None,
            review=review,
        )
        run.emit(
            MessagePosted(
                role="assistant", agent="reviewer", text=review.comments, reviewed_code=code
            )
        )
        return as_json(
            {
                "decision": "revise",
                "review": review.comments,
                "next": "Address every comment and call propose_cell again with the new code.",
            }
        )
    run.review_rounds = 0
    if task is not None:
        run.tried.add(task.id)
    return await _gate(
        run, code, explanation, task.id if task else None, report, review, replaces or None
    )


async def settle_revision(run: RunContext) -> str | ToolReply | None:
    """The coder gave up on a cell the reviewer sent back (it stopped, went round in
    circles or ran out of steps) without proposing again: the user sees the cell with
    the reviewer's comments and decides, under every approval policy, instead of the
    work being lost. Returns what ``propose_cell`` would have (None: no such cell)."""
    revision = run.open_revision
    if revision is None:
        return None
    run.open_revision = None
    if revision.task_id is not None:
        run.tried.add(revision.task_id)
    report = await analyze(run, revision.code)
    return await _gate(
        run,
        revision.code,
        revision.explanation,
        revision.task_id,
        report,
        revision.review,
        revision.replaces,
    )


async def _gate(
    run: RunContext,
    code: str,
    explanation: str,
    task_id: str | None,
    report: RiskReport,
    review: CellReview,
    replaces: str | None = None,
) -> str | ToolReply:
    cells = CellLog(run)
    cell_id = new_id("c")
    card = review_card(report, review)
    subject = AuditSubject(
        session_id=run.session_id,
        cell_id=cell_id,
        code=run.redact.text(code),
        policy=run.settings.agents.approval,
        report=report,
        verdict=review.verdict,
        reviewer_risk=review.risk,
    )
    audit = AuditLog(run.app.store)
    sandboxed, why_not = await _isolated(run)
    gate = decide(
        run.settings.agents.approval,
        report,
        review.verdict,
        review.risk,
        sandboxed=sandboxed,
        unsandboxed_reason=why_not,
    )
    if gate.action == "block":
        cells.blocked(
            cell_id=cell_id,
            source=code,
            explanation=explanation,
            review=card,
            task_id=task_id,
            reason=gate.reason,
            replaces=replaces,
        )
        audit.decided(subject, outcome="blocked", detail=gate.reason, approved_by=None)
        return as_json(
            {
                "cell_id": cell_id,
                "decision": "blocked",
                "reason": gate.reason,
                "review": review.comments,
                "findings": [f.message for f in report.findings],
                "next": "This cell will never run. Find a safe way, or tell the user why not.",
            }
        )
    needs_approval = gate.action == "ask"
    await cells.proposed(
        cell_id=cell_id,
        source=code,
        explanation=explanation,
        review=card,
        task_id=task_id,
        needs_approval=needs_approval,
        approval_reason=gate.reason,
        replaces=replaces,
        undo=await predict_undo(run, code),  # the user knows before approving
    )
    if not needs_approval:
        return await _execute(run, cells, audit, subject, code, approved_by=gate.approved_by)
    try:
        decision: UserDecision = await run.human.cell_decision(cell_id)
    except asyncio.CancelledError:
        await cells.stopped(cell_id)
        audit.decided(subject, outcome="stopped", approved_by=None)
        raise
    if decision.action == "reject":
        run.declined[_normalised(code)] = (f"the user: {decision.reason or 'rejected'}", None)
        await cells.rejected(cell_id, decision.reason)
        audit.decided(
            subject, outcome="rejected", detail=decision.reason or "", approved_by=decision.user
        )
        return as_json(
            {
                "cell_id": cell_id,
                "decision": "rejected",
                "reason": decision.reason or "(no reason given)",
                "next": "Respect the user's reason: change the approach or ask the user.",
            }
        )
    source = decision.source if decision.source is not None else code
    if source != code:  # the audit records the findings of the code that runs
        subject = replace(subject, code=run.redact.text(source), report=await analyze(run, source))
    return await _execute(
        run, cells, audit, subject, source, approved_by=decision.user or "user", by_user=True
    )


async def _execute(
    run: RunContext,
    cells: CellLog,
    audit: AuditLog,
    subject: AuditSubject,
    source: str,
    *,
    approved_by: str | None,
    by_user: bool = False,
) -> str | ToolReply:
    cell_id = subject.cell_id
    proposed = cells.record(cell_id).source
    # Before the audit starts: a stop while the kernel is busy leaves a cell that never ran.
    undo = await prepare_undo(run, cell_id, source)  # the card says if undo will work
    audit_id = audit.starting(subject, approved_by=approved_by)
    try:
        await cells.executing(cell_id, source=source, approved_by=approved_by, undo=undo)
        kernel_id = await run.kernel_id()
        run.executing_kernel = kernel_id
        async with cells.live_outputs(cell_id) as on_output:
            result, diff = await run.app.bridge.execute(
                kernel_id,
                source,
                timeout=run.settings.agents.execution_timeout,
                on_output=on_output,
                track_namespace=True,
                undo_key=cell_id,
            )
    except asyncio.CancelledError:
        await cells.stopped(cell_id)
        audit.finished(audit_id, outcome="stopped")
        raise
    finally:
        run.executing_kernel = None
    await cells.executed(cell_id, result)
    if result.status == "ok":
        learn(run, source)
    detail = f"{result.error_name}: {result.error_value}" if result.status == "error" else ""
    detail = run.redact.text(detail)
    audit.finished(audit_id, outcome="ok" if result.status == "ok" else "error", detail=detail)
    output = run.app.bridge.outputs_for_model(result, limit=run.settings.agents.output_limit_chars)
    images = await asyncio.to_thread(output_images, result.outputs, run.settings.models)
    task_id = cells.record(cell_id).task_id
    run.results.append(
        CellResult(
            cell_id=cell_id,
            task_id=task_id,
            ok=result.status == "ok",
            output=output,
            images=images,
            source=source,
        )
    )
    if result.status == "ok" and task_id is not None:
        _started(run, task_id)
    changes = await _variables_changed(run, kernel_id, diff, cell_id)
    body: dict[str, Any] = {
        "cell_id": cell_id,
        "decision": "approved by the user" if by_user else "ran automatically",
        "status": result.status,
        "output": output,
    }
    if source != proposed:
        body["note"] = "The user edited the cell before running it; the code that ran:\n" + source
    if changes:
        body["variables_changed"] = changes
    # Said in every result: small models otherwise keep proposing cells and never finish.
    body["next"] = (
        "If this output answers the task, mark it done with update_task; once every task "
        "is done, call finish with the answer and its figures. Else propose the next cell."
        if result.status == "ok"
        else "Fix the error and propose the corrected cell, or mark the task failed."
    )
    if result.status == "error" and result.error_name == "NameError":
        # Small models go on using a name they imagined; the real ones, next to the
        # error, are what lets them correct it.
        body["names_in_the_kernel"] = _kernel_names(run)
        body["next"] = (
            "The cell used a name the kernel does not have. Use one of names_in_the_kernel, "
            "or define the name in the corrected cell (for example load the file again)."
        )
    if images:
        body["images"] = f"{len(images)} image(s) of the outputs attached: look at them"
        return ToolReply(text=as_json(body), images=images)
    return as_json(body)


def _kernel_names(run: RunContext) -> list[str] | str:
    """The session's data objects by name, at most 40."""
    names = data_objects(run).names()
    if not names:
        return "none yet: every name the cell uses must be defined in it"
    return names[:40]


async def _isolated(run: RunContext) -> tuple[bool, str | None]:
    """Whether the run's kernel is sandboxed, and if not, why (for the user)."""
    if run.app.remote_kernels:
        if run.app.remote_kernels_isolated:
            return True, None  # the gateway's kernel container is the boundary
        return False, (
            "kernels run on a Kernel Gateway; if its kernel containers isolate them, set "
            "CODEAGENT_REMOTE_KERNELS_ISOLATED=1"
        )
    isolation = run.app.kernel_isolation(await run.kernel_id())
    if isolation.sandboxed:
        return True, None
    status = sandbox_status()
    return False, status.reason or "the sandbox is off (CODEAGENT_SANDBOX=off)"


def _started(run: RunContext, task_id: str) -> None:
    """A task whose cell ran is at least in progress: bookkeeping follows the cells."""
    task = run.plan.find(task_id)
    if task is not None and task.status == "pending":
        run.set_plan(run.plan.with_status(task_id, "in_progress"))


async def _variables_changed(
    run: RunContext, kernel_id: str, diff: NamespaceDiff | None, cell_id: str
) -> dict[str, list[str]]:
    variables = await run.app.bridge.list_variables(kernel_id)
    if run.memory is not None:  # the data-object registry of the memory tiers
        run.memory.record_execution(cell_id=cell_id, diff=diff, variables=variables, turn=run.turn)
    run.emit(
        VariablesChanged(
            variables=tuple(
                Variable(name=v.name, type=v.type, summary=v.summary) for v in variables
            )
        )
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


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())
