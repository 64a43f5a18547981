"""The plan: its tasks (immutable values replaced as the run progresses) and the tools
that create it, track it and close the run: ``create_plan``, ``update_task``, ``finish``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ToolError
from .base import tool

if TYPE_CHECKING:
    from .context import RunContext

TaskStatus = Literal["pending", "in_progress", "done", "failed", "skipped"]
TASK_STATUSES: tuple[str, ...] = ("pending", "in_progress", "done", "failed", "skipped")
OPEN_STATUSES: tuple[str, ...] = ("pending", "in_progress")


@dataclass(frozen=True, kw_only=True)
class Task:
    id: str
    title: str
    description: str = ""
    status: TaskStatus = "pending"
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
        }
        if self.note:
            body["note"] = self.note
        return body

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        status = data.get("status", "pending")
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            description=str(data.get("description", "")),
            status=status if status in TASK_STATUSES else "pending",
            note=data.get("note") or None,
        )


@dataclass(frozen=True, kw_only=True)
class Plan:
    tasks: tuple[Task, ...] = ()

    def to_json(self) -> list[dict[str, Any]]:
        return [task.to_json() for task in self.tasks]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> Plan:
        return cls(tasks=tuple(Task.from_json(item) for item in data))

    def find(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)

    def with_status(self, task_id: str, status: TaskStatus, note: str | None = None) -> Plan:
        tasks = tuple(
            replace(task, status=status, note=note if note is not None else task.note)
            if task.id == task_id
            else task
            for task in self.tasks
        )
        return Plan(tasks=tasks)

    def replaced_open_tasks(self, new: list[tuple[str, str]]) -> Plan:
        """A revised plan: finished tasks stay as history, open ones give way to `new`."""
        kept = tuple(task for task in self.tasks if task.status not in OPEN_STATUSES)
        start = self._next_number()
        added = tuple(
            Task(id=f"t{start + i}", title=title, description=description)
            for i, (title, description) in enumerate(new)
        )
        return Plan(tasks=kept + added)

    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.status in OPEN_STATUSES)

    def _next_number(self) -> int:
        numbers = [int(t.id[1:]) for t in self.tasks if t.id[1:].isdigit()]
        return max(numbers, default=0) + 1

    def render(self) -> str:
        """The plan as the models read it."""
        if not self.tasks:
            return "(no plan yet)"
        lines = []
        for task in self.tasks:
            line = f"- [{task.status}] {task.id}: {task.title}"
            if task.description:
                line += f" — {task.description}"
            if task.note:
                line += f" (note: {task.note})"
            lines.append(line)
        return "\n".join(lines)


# --- the tools ------------------------------------------------------------------------------


class TaskDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""


@tool
async def create_plan(
    run: RunContext,
    tasks: Annotated[list[TaskDraft], Field(min_length=1, max_length=20)],
) -> str:
    """Create (or revise) the plan: an ordered list of small tasks, each one or two notebook
    cells of work. Replaces the tasks that are not finished yet."""
    drafts = [(t.title.strip(), t.description.strip()) for t in tasks]
    run.set_plan(run.plan.replaced_open_tasks(drafts))
    return f"Plan saved with {len(drafts)} tasks:\n{run.plan.render()}"


@tool
async def update_task(
    run: RunContext,
    task_id: str,
    status: Literal["in_progress", "done", "failed", "skipped"],
    note: Annotated[str, Field(max_length=1000)] = "",
) -> str:
    """Set the status of a plan task, with an optional short note (why it failed...). A task
    is done only once one of its cells ran successfully."""
    task = find_task(run, task_id)
    text = note.strip() or None
    if status == "done" and not run.ran_ok(task.id):
        raise ToolError(
            f"Task {task.id} cannot be done yet: none of its cells ran successfully in this "
            f"run. Propose its cell with propose_cell(code, explanation, task_id='{task.id}'); "
            "if it cannot be done, mark it 'failed' or 'skipped' with a note."
        )
    run.set_plan(run.plan.with_status(task.id, status, text), progress=status != task.status)
    if status == "failed":
        run.failed_tasks.append(f"task {task.id} ({task.title}) failed: {text or 'no note'}")
    return f"Task {task.id} is now {status}."


@tool
async def finish(run: RunContext, summary: Annotated[str, Field(min_length=1)]) -> str:
    """End the run with a short summary of the findings for the user (Markdown), once every
    task is done, failed or skipped."""
    plan = run.plan
    for task in plan.open_tasks():  # the bookkeeping follows from the cells where it can
        if run.ran_ok(task.id):
            plan = plan.with_status(task.id, "done")
        elif task.id in run.tried:
            note = task.note or "none of its cells ran (blocked, rejected or failed)"
            plan = plan.with_status(task.id, "failed", note)
    if plan is not run.plan:
        run.set_plan(plan)
    still_open = run.plan.open_tasks()
    if still_open:
        listed = ", ".join(f"{t.id} ({t.title})" for t in still_open)
        raise ToolError(
            f"Not finished: {listed} still open and none of their cells ran. Propose their "
            "cells with propose_cell, or mark them 'failed' or 'skipped' with a note "
            "(update_task), then call finish."
        )
    run.summary = summary.strip()
    run.finished = True
    return "The run is finished."


def current_task(run: RunContext) -> Task | None:
    """The task a cell without a ``task_id`` works on: the one in progress, else the next."""
    open_tasks = run.plan.open_tasks()
    started = [t for t in open_tasks if t.status == "in_progress"]
    candidates = started or list(open_tasks)
    return candidates[0] if candidates else None


def task_for_cell(run: RunContext, task_id: str) -> Task | None:
    """The task a proposed cell works on. An id that is no plan task's (a small model
    names the task itself: ``load_data``) files the cell under the current task: the
    code is what matters, and refusing it over a label threw working cells away."""
    return (run.plan.find(task_id) if task_id else None) or current_task(run)


def find_task(run: RunContext, task_id: str) -> Task:
    task = run.plan.find(task_id)
    if task is None:  # small models pass the id of the cell that ran: its task is meant
        ran = next((r for r in run.results if r.cell_id == task_id.strip()), None)
        task = run.plan.find(ran.task_id) if ran is not None and ran.task_id else None
    if task is None:
        known = ", ".join(t.id for t in run.plan.tasks) or "none"
        raise ToolError(f"Unknown task_id '{task_id}'. Plan tasks: {known}.")
    return task
