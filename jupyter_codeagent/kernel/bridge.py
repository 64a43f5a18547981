"""``KernelBridge``: the one way agents run code in, and look into, a notebook's kernel.

Built once by the extension and kept in the tornado settings. It owns one link and
one lock per kernel (``KernelConnection``): every request of ours on a kernel —
executions *and* inspections — is serialized, so two sessions sharing a kernel take
turns and inspection never interleaves with a running cell's outputs. The link is a
local ZMQ client or a gateway WebSocket, chosen once from the kernel manager's type
(``link.link_factory``); nothing else here depends on where the kernel runs.

Errors: an unknown kernel id raises ``NotFound``. A failed, timed-out or crashed
execution is not an exception but an ``ExecutionResult`` with ``status="error"`` (the
agent must see it). ``inspect_variable`` / ``describe_api`` answer a ``ToolText`` with
``ok=False`` for anything the model can fix or retry; ``list_variables`` raises
``KernelError`` when the kernel cannot answer (busy, dead, not Python).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import KernelError, NotFound
from ..paths import resolve_notebook_path
from . import executor
from .connection import KernelConnection
from .helpers import call_helper
from .link import link_factory
from .locate import running_kernel_of, start_session
from .model_text import render_result, truncate_middle
from .outputs import OutputCallback
from .secrets import collect_secrets, scrub
from .types import (
    ExecutionResult,
    NamespaceDiff,
    ToolText,
    UndoneCell,
    UndoOutcome,
    UndoReadiness,
    VariableSummary,
)

log = logging.getLogger(__name__)

# Inspections are quick by construction; waiting longer means the kernel is busy.
_INSPECT_TIMEOUT = 30.0
# A proposal's undo check is a hint: never worth a wait.
_CHECK_TIMEOUT = 2.0


def _no_secrets() -> Iterable[str]:
    return ()


class KernelBridge:
    """Execute and inspect in notebook kernels through jupyter_server's managers."""

    def __init__(
        self,
        *,
        kernel_manager: Any,
        session_manager: Any,
        contents_manager: Any,
        root_dir: str,
        execution_timeout: float,
        output_limit_chars: int,
        secrets: Callable[[], Iterable[str]] = _no_secrets,
    ) -> None:
        self._km = kernel_manager
        self._sessions = session_manager
        self._contents = contents_manager
        self._root_dir = root_dir
        self.execution_timeout = execution_timeout
        self.output_limit_chars = output_limit_chars
        self._configured_secrets = secrets
        self._new_link = link_factory(kernel_manager)
        self._connections: dict[str, KernelConnection] = {}
        self._path_locks: dict[str, asyncio.Lock] = {}

    # --- kernels ----------------------------------------------------------------

    async def kernel_for_notebook(self, notebook_path: str, kernel_id: str | None = None) -> str:
        """The kernel id to use for ``notebook_path`` (an API path under the root).

        ``kernel_id`` given: it must be running (else ``NotFound``). Otherwise the
        notebook's session kernel, or a new session created like JupyterLab does
        (kernelspec from the notebook metadata, else the server default).
        """
        path = resolve_notebook_path(self._root_dir, notebook_path)
        if kernel_id is not None:
            if kernel_id not in self._km:
                raise NotFound(f"No running kernel with id {kernel_id!r}.")
            return kernel_id
        lock = self._path_locks.setdefault(path, asyncio.Lock())
        async with lock:  # two sessions opening one notebook must not start two kernels
            found = await running_kernel_of(self._sessions, self._km, path)
            if found is not None:
                return found
            kid = await start_session(self._sessions, self._contents, self._km, path)
            log.info("started kernel %s for %s", kid, path)
            return kid

    def _connection(self, kernel_id: str) -> KernelConnection:
        for gone in [k for k in self._connections if k not in self._km]:
            self._connections.pop(gone).disconnect()  # shut down by the user: drop its client
        if kernel_id not in self._km:
            raise NotFound(f"No running kernel with id {kernel_id!r}.")
        conn = self._connections.get(kernel_id)
        if conn is None:
            conn = KernelConnection(kernel_id, self._km, self._new_link)
            self._connections[kernel_id] = conn
        return conn

    async def _is_python(self, conn: KernelConnection) -> bool:
        """Asked of the kernel itself (its kernel_info), so a remote kernel answers too.

        Opens the link if needed; call it during the connection's ``turn``.
        """
        loop = asyncio.get_running_loop()
        await conn.open(loop.time() + max(self._inspect_timeout, executor.CONNECT_TIMEOUT))
        return conn.language.lower() in ("python", "")  # "": the kernel did not say

    # --- execution ----------------------------------------------------------------

    async def execute(
        self,
        kernel_id: str,
        code: str,
        *,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        track_namespace: bool = False,
        undo_key: str | None = None,
    ) -> tuple[ExecutionResult, NamespaceDiff | None]:
        """Run ``code`` as a notebook cell would (history, execution count).

        Waits its turn behind our other requests on the kernel. ``timeout`` (default
        ``execution_timeout``) counts from sending the request, i.e. after our earlier
        requests finished (a cell the user runs meanwhile does count); on expiry the
        kernel is interrupted and a ``TimeoutError`` result returned. ``on_output``
        gets incremental output events (see ``OutputCollector``). With
        ``track_namespace`` the second item is the ``NamespaceDiff`` of the user
        variables (None when it cannot be computed, e.g. the kernel died).
        """
        conn = self._connection(kernel_id)
        limit = self.execution_timeout if timeout is None else timeout
        async with conn.turn():
            token = uuid.uuid4().hex if track_namespace else None
            if token is not None and not await self._helper_quietly(conn, "snapshot", token):
                token = None
            result = await executor.execute(conn, code, timeout=limit, on_output=on_output)
            diff = None
            if token is not None and not result.kernel_died and not result.timed_out:
                raw = await self._helper_quietly(conn, "diff", token)
                if isinstance(raw, dict):
                    diff = NamespaceDiff(
                        created=tuple(raw["created"]),
                        changed=tuple(raw["changed"]),
                        deleted=tuple(raw["deleted"]),
                    )
            if undo_key is not None and not result.kernel_died:
                await self._helper_quietly(conn, "undo_commit", undo_key)
            return result, diff

    # --- undo ---------------------------------------------------------------------

    async def prepare_undo(self, kernel_id: str, key: str, spec: dict[str, Any]) -> UndoReadiness:
        """Keep, in the kernel, what undoing the next cell will need (``_kernel_undo``).

        ``spec``: ``names`` the cell mentions, ``mutates`` (name → the code that may change
        it in place), ``files`` it writes (relative to the kernel's folder), ``file_notes``
        (path → why it cannot be kept), ``copy_limit`` and ``file_limit`` in bytes.
        """
        conn = self._connection(kernel_id)
        async with conn.turn():
            raw = await self._helper_quietly(conn, "undo_prepare", key, json.dumps(spec))
        if not isinstance(raw, dict):
            return UndoReadiness(
                undoable=False, problems=("the kernel could not keep undo data for this cell",)
            )
        problems = tuple(scrub(str(p), self._secrets()) for p in raw.get("problems", ()))
        return UndoReadiness(undoable=bool(raw.get("undoable")), problems=problems)

    async def check_undo(self, kernel_id: str, spec: dict[str, Any]) -> UndoReadiness | None:
        """What ``prepare_undo`` would say for a proposed cell, keeping nothing; None when
        the kernel is busy (with our request or a slow answer): the proposal never waits."""
        conn = self._connection(kernel_id)
        if conn.lock.locked():
            return None
        try:
            async with conn.turn():
                if not await self._is_python(conn):
                    return None
                raw = await call_helper(
                    conn, "undo_check", json.dumps(spec), timeout=_CHECK_TIMEOUT
                )
        except KernelError:
            return None
        problems = tuple(scrub(str(p), self._secrets()) for p in raw.get("problems", ()))
        return UndoReadiness(undoable=bool(raw.get("undoable")), problems=problems)

    async def undo(self, kernel_id: str, keys: list[str]) -> UndoOutcome:
        """Undo the agent cells ``keys`` (newest first), all or nothing.

        Raises ``NotFound`` for a kernel that is gone, ``KernelError`` when it cannot
        answer (busy, dead).
        """
        conn = self._connection(kernel_id)
        async with conn.turn():
            if not await self._is_python(conn):
                return UndoOutcome(ok=False, problems=("undo needs a Python kernel",))
            raw = await call_helper(
                conn, "undo_cells", json.dumps(keys), timeout=self._inspect_timeout
            )
        secrets = self._secrets()

        def names(part: dict[str, Any], field: str) -> tuple[str, ...]:
            return tuple(scrub(str(n), secrets) for n in part.get(field, ()))

        cells = raw.get("cells") or {}
        return UndoOutcome(
            ok=bool(raw.get("ok")),
            restored=names(raw, "restored"),
            removed=names(raw, "removed"),
            files_restored=names(raw, "files_restored"),
            files_removed=names(raw, "files_removed"),
            problems=names(raw, "problems"),
            cells=tuple(
                UndoneCell(
                    cell_id=str(key),
                    restored=names(part, "restored"),
                    removed=names(part, "removed"),
                    files_restored=names(part, "files_restored"),
                    files_removed=names(part, "files_removed"),
                )
                for key, part in cells.items()
            ),
        )

    async def interrupt(self, kernel_id: str, *, force: bool = False) -> None:
        """Interrupt our execution running on the kernel (the "stop" button).

        The running ``execute`` returns with ``interrupted=True``. When none of our
        executions is in flight this does nothing unless ``force``: the kernel may be
        busy with a cell the *user* is running, which stop must not kill.
        """
        conn = self._connection(kernel_id)
        if conn.running_msg_id is None and not force:
            return
        conn.interrupt_requested = conn.running_msg_id is not None
        await conn.interrupt()

    def outputs_for_model(self, result: ExecutionResult, *, limit: int | None = None) -> str:
        """Text of ``result`` for the model: ANSI-free, secret-free, head+tail truncated
        to ``limit`` characters (the run's ``output_limit_chars``)."""
        chars = self.output_limit_chars if limit is None else limit
        return render_result(result, limit=chars, secrets=self._secrets())

    # --- inspection ---------------------------------------------------------------

    async def list_variables(self, kernel_id: str) -> list[VariableSummary]:
        """The user's variables (not modules, imports, IPython internals, our helpers)."""
        conn = self._connection(kernel_id)
        async with conn.turn():
            if not await self._is_python(conn):
                raise KernelError("Variable listing needs a Python kernel.")
            listing = await call_helper(conn, "list_variables", timeout=self._inspect_timeout)
        secrets = self._secrets()
        rows = (line.split("\t", 2) for line in str(listing).splitlines())
        return [
            VariableSummary(name=name, type=type_, summary=scrub(summary, secrets))
            for name, type_, summary in rows
        ]

    async def inspect_variable(
        self, kernel_id: str, name: str, *, limit: int | None = None
    ) -> ToolText:
        """A bounded description of one variable (or attribute path like ``m.coef_``)."""
        return await self._tool_text(kernel_id, "inspect_variable", name, limit)

    async def describe_api(
        self, kernel_id: str, name: str, *, limit: int | None = None
    ) -> ToolText:
        """Signature, docstring and public members of something importable in the kernel."""
        return await self._tool_text(kernel_id, "describe_api", name, limit)

    async def _tool_text(
        self, kernel_id: str, function: str, name: str, limit: int | None
    ) -> ToolText:
        conn = self._connection(kernel_id)
        if not isinstance(name, str) or not name.strip():
            return ToolText(text="A non-empty name is required.", ok=False)
        limit = self.output_limit_chars if limit is None else limit
        try:
            async with conn.turn():
                if not await self._is_python(conn):
                    return ToolText(text="Inspection needs a Python kernel.", ok=False)
                answer = await call_helper(
                    conn, function, name.strip(), limit, timeout=self._inspect_timeout
                )
        except KernelError as exc:  # includes KernelDiedError
            return ToolText(text=exc.message, ok=False)
        text = truncate_middle(scrub(str(answer.get("text", "")), self._secrets()), limit)
        return ToolText(text=text, ok=bool(answer.get("ok")))

    async def _helper_quietly(self, conn: KernelConnection, function: str, *args: str) -> Any:
        """Namespace tracking is best effort: it must never fail the execution."""
        try:
            if not await self._is_python(conn):
                return None
            return await call_helper(conn, function, *args, timeout=self._inspect_timeout)
        except KernelError as exc:
            log.info("namespace %s failed on %s: %s", function, conn.kernel_id, exc.message)
            return None

    @property
    def _inspect_timeout(self) -> float:
        return min(self.execution_timeout, _INSPECT_TIMEOUT)

    def _secrets(self) -> tuple[str, ...]:
        try:
            configured = tuple(self._configured_secrets())
        except Exception:
            log.warning("secrets provider failed", exc_info=True)
            configured = ()
        return collect_secrets(configured)

    # --- lifecycle ----------------------------------------------------------------

    async def close(self) -> None:
        """Stop every link (server shutdown); kernels themselves are the server's."""
        connections, self._connections = list(self._connections.values()), {}
        for conn in connections:
            conn.disconnect()
