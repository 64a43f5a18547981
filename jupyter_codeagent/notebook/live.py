"""Write agent cells into the notebook browsers have open, falling back to the file.

Without real-time collaboration (see ``shared_doc.py`` for with), a notebook open in
JupyterLab is a document in the browser: writing the file behind its back would make
JupyterLab warn that the file changed on disk, and its next save would drop our cells.
So the operation goes to every browser that has the notebook open (see ``live_hub.py``);
each applies it to its notebook model, and the primary one also saves the notebook at
once (through JupyterLab's own save, so the file and the open document never disagree
and a reload finds every agent cell). Only when no browser has it open, or the primary
does not answer, is the file written here.

Live-channel operations (JSON objects the frontend must implement)
------------------------------------------------------------------
``insert_cell``::

    {"op": "insert_cell", "path": "dir/nb.ipynb", "session_id": "...", "cell_id": "c7",
     "after": "<nbformat id or agent cell_id>" | null, "save"?: true,
     "cell": {"cell_type": "code", "id": "c7", "source": "...", "outputs": [],
              "execution_count": null,
              "metadata": {"codeagent": {"session": "...", "cell_id": "c7",
                                         "status": "proposed"}}}}

Insert ``cell`` after the cell whose nbformat ``id`` or ``metadata.codeagent.cell_id``
equals ``after``; at the end when ``after`` is null or not found. If a cell with the
same agent ``cell_id`` exists, update its source, status and (when the op carries any)
outputs instead. If ``cell.id`` is already taken in the document, give the cell a
fresh id.

``update_cell`` (``cell_id``: an agent cell, else the nbformat id of the cell a proposal
with ``replaces`` changes)::

    {"op": "update_cell", "path": "dir/nb.ipynb", "cell_id": "c7",
     "source"?: "...", "status"?: "approved", "outputs"?: [<nbformat v4 outputs>],
     "execution_count"?: 3, "transient"?: true, "save"?: true}

Only the keys present change (``status`` goes to ``metadata.codeagent.status``).
``save: true`` (sent to the primary browser only) asks it to save the notebook once
the change is applied and to acknowledge after the save; ``transient`` ops (the
outputs of a running cell) are never saved on their own.

Acknowledgement (the value ``request`` returns): ``{"ok": true}`` on success, or
``{"ok": false, "code": "not_found" | "<other>", "message": "..."}``. ``not_found``
for an ``update_cell`` means the user deleted the cell in the open notebook: the
writer raises ``NotFound`` rather than resurrecting it in the file. Any other
failure, a timeout, a tab that goes away before answering (the hub answers ``detached``
for it), or no attached browser makes the writer use the file instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import nbformat

from ..errors import NotFound
from ..paths import resolve_notebook_path
from .cells import AgentCellState, new_agent_cell
from .file_writer import FileNotebookWriter

log = logging.getLogger(__name__)


@runtime_checkable
class LiveNotebookChannel(Protocol):
    """Implemented by the session WebSocket layer: the browsers attached per notebook."""

    def is_attached(self, path: str) -> bool:
        """Whether a browser with the extension has ``path`` (an API path) open."""
        ...

    async def request(self, path: str, op: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``op`` to that browser and return its acknowledgement.

        Raises ``TimeoutError`` when no acknowledgement arrives within ``timeout``.
        """
        ...


class LiveNotebookWriter:
    """``NotebookWriter`` that prefers the open document, else writes the file."""

    def __init__(
        self,
        channel: LiveNotebookChannel,
        fallback: FileNotebookWriter,
        *,
        root_dir: str,
        timeout: float = 15.0,
    ) -> None:
        self._channel = channel
        self._fallback = fallback
        self._root_dir = root_dir
        self._timeout = timeout

    async def insert_cell(
        self,
        path: str,
        *,
        session_id: str,
        cell_id: str,
        source: str,
        status: str,
        after: str | None = None,
        outputs: Sequence[dict[str, Any]] | None = None,
        execution_count: int | None = None,
    ) -> None:
        api_path = resolve_notebook_path(self._root_dir, path)
        cell = new_agent_cell(
            nbformat.v4.new_notebook(),
            session_id=session_id,
            cell_id=cell_id,
            source=source,
            status=status,
            outputs=outputs,
            execution_count=execution_count,
        )
        op = {
            "op": "insert_cell",
            "path": api_path,
            "session_id": session_id,
            "cell_id": cell_id,
            "after": after,
            "cell": dict(cell),
        }
        if not await self._try_live(api_path, op):
            await self._fallback.insert_cell(
                api_path,
                session_id=session_id,
                cell_id=cell_id,
                source=source,
                status=status,
                after=after,
                outputs=outputs,
                execution_count=execution_count,
            )

    async def update_cell(
        self,
        path: str,
        *,
        cell_id: str,
        source: str | None = None,
        status: str | None = None,
        outputs: Sequence[dict[str, Any]] | None = None,
        execution_count: int | None = None,
        transient: bool = False,
    ) -> None:
        api_path = resolve_notebook_path(self._root_dir, path)
        op: dict[str, Any] = {"op": "update_cell", "path": api_path, "cell_id": cell_id}
        if transient:
            op["transient"] = True
        changes = {
            "source": source,
            "status": status,
            "outputs": None if outputs is None else [dict(o) for o in outputs],
            "execution_count": execution_count,
        }
        op.update({key: value for key, value in changes.items() if value is not None})
        if not await self._try_live(api_path, op):
            await self._fallback.update_cell(
                api_path,
                cell_id=cell_id,
                source=source,
                status=status,
                outputs=outputs,
                execution_count=execution_count,
                transient=transient,
            )

    async def agent_cells(self, path: str) -> list[AgentCellState] | None:
        api_path = resolve_notebook_path(self._root_dir, path)
        if self._attached(api_path):
            return None  # the browser's document is the current one: it reports it
        return await self._fallback.agent_cells(api_path)

    def _attached(self, api_path: str) -> bool:
        try:
            return bool(self._channel.is_attached(api_path))
        except Exception:
            log.warning("live channel failed to tell whether %s is open", api_path, exc_info=True)
            return False

    async def _try_live(self, api_path: str, op: dict[str, Any]) -> bool:
        """True when the browser applied ``op``; False means: use the file."""
        if not self._attached(api_path):
            log.debug("%s is not open in a browser: writing the file", api_path)
            return False
        try:
            ack = await self._channel.request(api_path, op, self._timeout)
        except TimeoutError:
            log.warning(
                "browser did not acknowledge %s on %s within %.1f s: writing the file",
                op["op"],
                api_path,
                self._timeout,
            )
            return False
        except Exception as exc:
            log.warning("live %s on %s failed (%s): writing the file", op["op"], api_path, exc)
            return False
        if isinstance(ack, dict) and ack.get("ok"):
            return True
        code = ack.get("code") if isinstance(ack, dict) else None
        if code == "not_found" and op["op"] == "update_cell":
            raise NotFound(f"The cell {op['cell_id']!r} was deleted from {api_path}.")
        if code == "detached":  # the tab reloaded or closed: it reads the file when back
            log.debug("the tab of %s went away during %s: writing the file", api_path, op["op"])
            return False
        log.warning("browser refused %s on %s (%r): writing the file", op["op"], api_path, ack)
        return False
