"""Every function a model can call, grouped by what it acts on.

- ``cells``: ``propose_cell`` (analyzer → reviewer → approval → notebook → kernel)
- ``plan``: ``create_plan``, ``update_task``, ``finish``
- ``data``: ``list_variables``, ``inspect_variable`` (the kernel's data objects)
- ``files``: ``list_files``, ``preview_file`` (the server root, read-only)
- ``knowledge``: ``lookup_context``, ``describe_api``
- ``human``: ``ask_user``
- ``review``: ``submit_review`` (the reviewer's verdict)

Each tool is a typed async function (``base.tool``); a role is given a tuple of them.
"""

from .base import Tool, tool
from .cells import propose_cell
from .context import AppContext, RunContext, UserDecision
from .data import inspect_variable, list_variables
from .files import list_files, preview_file
from .human import ask_user
from .knowledge import describe_api, lookup_context
from .plan import Plan, Task, create_plan, finish, update_task
from .review import CellReview, ReviewRequest, submit_review

#: The look-ups every working role may make, and its questions to the user.
READ_TOOLS: tuple[Tool, ...] = (
    list_variables,
    inspect_variable,
    list_files,
    preview_file,
    lookup_context,
    describe_api,
    ask_user,
)

__all__ = [
    "READ_TOOLS",
    "AppContext",
    "CellReview",
    "Plan",
    "ReviewRequest",
    "RunContext",
    "Task",
    "Tool",
    "UserDecision",
    "ask_user",
    "create_plan",
    "describe_api",
    "finish",
    "inspect_variable",
    "list_files",
    "list_variables",
    "lookup_context",
    "preview_file",
    "propose_cell",
    "submit_review",
    "tool",
    "update_task",
]
