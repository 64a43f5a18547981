"""``jupyter codeagent run``: one request to the agents on a notebook file, in a terminal.

The same services as the server (``CodeAgentServices.build``) on standalone Jupyter
managers, a file notebook writer, and a ``Session`` driven by its own event stream:
each event is printed, approvals and questions are answered from the terminal (or
refused when nobody is there), and the run's final status becomes the exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import nbformat

from .. import __version__
from ..app import CodeAgentApp
from ..errors import CodeAgentError
from ..models.factory import check_configuration
from ..sandbox import uninstall_sandbox
from ..sessions import Session
from ..store import EventRecord
from .local_jupyter import LocalJupyter
from .render import EventPrinter
from .settings import headless_settings, install_cli_sandbox
from .terminal import NO_ANSWER, NO_APPROVAL_REASON, LineReader, Terminal

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_STOPPED = 2
#: Done, but no code ran for a request that needed it: nothing was computed.
EXIT_NOTHING_COMPUTED = 3
_EXIT_CODES = {
    "done": EXIT_DONE,
    "stopped": EXIT_STOPPED,
    "failed": EXIT_FAILED,
    "done_without_code": EXIT_NOTHING_COMPUTED,
}
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    notebook: str
    task: str
    approval: str | None = None
    provider: str | None = None
    model: str | None = None
    yes: bool = False  # approve every cell that needs approval (blocked ones still never run)
    interactive: bool | None = None  # None: prompt only when stdin is a terminal
    db_path: str | None = None  # None: a temporary database, gone after the run
    verbose: bool = False


def run_notebook(
    options: RunOptions, *, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """Run the request to the end; the exit code says done (0), failed (1) or stopped (2)."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    logging.basicConfig(
        level=logging.INFO if options.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_run(options, stdin, out, sys.stderr))
    except KeyboardInterrupt:  # before our handler was installed, or after it was removed
        return EXIT_STOPPED
    except Exception as error:  # e.g. no kernelspec: one line for the user, not a traceback
        logging.getLogger(__name__).info("run failed", exc_info=True)  # shown by --verbose
        sys.stderr.write(f"error: {error}\n")
        return EXIT_FAILED


async def _run(options: RunOptions, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    printer = EventPrinter(out, err, verbose=options.verbose)
    notebook = os.path.abspath(os.path.expanduser(options.notebook))
    problem = _notebook_problem(notebook)
    if problem:
        printer.warn(problem)
        return EXIT_FAILED
    root_dir, name = os.path.split(notebook)
    with _database(options.db_path) as db_path, StopSignal() as stop:
        settings = headless_settings(
            root_dir=root_dir,
            db_path=db_path,
            provider=options.provider,
            model=options.model,
            approval=options.approval,
        )
        readiness = check_configuration(settings.models)
        if not readiness.ready:
            printer.warn(f"not ready: {readiness.reason}")
            return EXIT_FAILED
        interactive = stdin.isatty() if options.interactive is None else options.interactive
        printer.line(
            f"jupyter-codeagent {__version__}: {readiness.provider} / {readiness.model}, "
            f"approval {settings.agents.approval}"
            + (", --yes" if options.yes else "")
            + ("" if interactive or options.yes else ", non-interactive")
        )
        printer.line(f"notebook: {notebook}")
        if not os.path.exists(notebook):  # a new notebook, so the run has a file from the start
            nbformat.write(nbformat.v4.new_notebook(), notebook)
        install_cli_sandbox(db_path)
        jupyter = LocalJupyter(root_dir)
        app: CodeAgentApp | None = None
        try:
            app = CodeAgentApp.build(
                version=__version__,
                settings=settings,
                kernel_manager=jupyter.kernel_manager,
                session_manager=jupyter.session_manager,
                contents_manager=jupyter.contents_manager,
                root_dir=root_dir,
                live=False,
                probe_model_server=False,
            )
            session = await app.sessions.create(name)
            if stop.requested:
                return EXIT_STOPPED
            terminal = Terminal(LineReader(stdin, out), out) if interactive else None
            driver = RunDriver(session, printer, terminal, approve_all=options.yes, stop=stop)
            status = await driver.run(options.task)
            if options.db_path:
                printer.line(f"session {session.id} kept in {db_path}")
            return _EXIT_CODES.get(status, EXIT_FAILED)
        except CodeAgentError as error:
            printer.warn(f"error ({error.code}): {error.message}")
            return EXIT_STOPPED if stop.requested else EXIT_FAILED
        finally:
            # The kernel is ours (started for this run): never leave it behind.
            if app is not None:
                await app.close()
            uninstall_sandbox()
            await jupyter.close()


class RunDriver:
    """Follows one run's events; answers for the user where the run waits on them."""

    def __init__(
        self,
        session: Session,
        printer: EventPrinter,
        terminal: Terminal | None,
        *,
        approve_all: bool,
        stop: StopSignal,
    ) -> None:
        self.session = session
        self.printer = printer
        self.terminal = terminal
        self.approve_all = approve_all
        self.stop = stop

    async def run(self, task: str) -> str:
        """The run's final status: done, stopped or failed."""
        queue = self.session.subscribe()
        try:
            self.session.send_message(task)
            try:
                with self.stop.cancels_current_task():
                    return await self._follow(queue)
            except asyncio.CancelledError:
                if not self.stop.requested:
                    raise
                _uncancel()
            self.printer.line("Stopping: interrupting the kernel and ending the run ...")
            await self.session.stop()
            await self._settle_kernel()
            return self._drain(queue)
        finally:
            self.session.unsubscribe(queue)

    async def _settle_kernel(self) -> None:
        """Wait until the interrupted kernel answers again before it is shut down.

        A kernel told to shut down while still replying to the interrupted cell prints
        a traceback as its sockets close; any request queued behind that reply (here the
        variable listing) returns only once the reply is out.
        """
        kernel_id = self.session.store.get_session(self.session.id).kernel_id
        if kernel_id:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.session.app.bridge.list_variables(kernel_id), 5.0)

    async def _follow(self, queue: asyncio.Queue[EventRecord]) -> str:
        while True:
            event = await queue.get()
            self.printer.show(event)
            if event.type == "cell_proposed" and event.data.get("needs_approval"):
                await self._decide(event.data)
            elif event.type == "question":
                await self._answer(event.data)
            elif event.type == "run_finished":
                status = str(event.data.get("status", "failed"))
                if status == "done" and event.data.get("no_code_ran"):
                    return "done_without_code"
                return status

    def _drain(self, queue: asyncio.Queue[EventRecord]) -> str:
        """Print what the stopped run said last; it is stopped whatever it reports."""
        status = "stopped"
        while not queue.empty():
            event = queue.get_nowait()
            self.printer.show(event)
            if event.type == "run_finished":
                status = str(event.data.get("status", status))
        return status

    async def _decide(self, data: dict[str, Any]) -> None:
        cell_id = str(data["cell_id"])
        original = str(data.get("source", ""))
        if self.approve_all:
            self.printer.line("  approved (--yes)")
            await self._apply(cell_id, "approve")
            return
        if self.terminal is None or self.terminal.closed:
            self.printer.line(
                f"  not run: {NO_APPROVAL_REASON} (stdin is not a terminal; "
                "pass --yes to approve cells, or --interactive to answer on stdin)"
            )
            await self._apply(cell_id, "reject", reason=NO_APPROVAL_REASON)
            return
        source = original
        while True:
            answer = await self.terminal.approve_cell(source, original)
            error = await self._apply(
                cell_id, answer.action, source=answer.source, reason=answer.reason
            )
            if error is None or answer.action != "approve":
                return
            # An edit the analyzer blocks: say why and let the user decide again.
            self.terminal.say(error)
            source = answer.source or source

    async def _apply(
        self, cell_id: str, action: str, *, source: str | None = None, reason: str | None = None
    ) -> str | None:
        try:
            if action == "approve":
                await self.session.approve(cell_id, source)
            else:
                self.session.reject(cell_id, reason)
        except CodeAgentError as error:
            return error.message
        return None

    async def _answer(self, data: dict[str, Any]) -> None:
        question_id = str(data["question_id"])
        text = str(data.get("text", ""))
        if self.terminal is None or self.terminal.closed:
            self.printer.line(f"? {text}\n  (not interactive: answering {NO_ANSWER!r})")
            answer = NO_ANSWER
        else:
            answer = await self.terminal.answer_question(text)
        try:
            self.session.answer(question_id, answer)
        except CodeAgentError as error:  # the run ended meanwhile
            self.printer.warn(error.message)


class StopSignal:
    """Ctrl-C (or SIGTERM) asks the run to stop cleanly instead of killing the process.

    While a run is followed, the signal cancels the following task, which then stops the
    session (interrupting the kernel); at other times it is only recorded and checked.
    """

    def __init__(self) -> None:
        self.requested = False
        self._target: asyncio.Task[Any] | None = None
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> StopSignal:
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows
                loop.add_signal_handler(signum, self._fire)
                self._installed.append(signum)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._installed:
            loop.remove_signal_handler(signum)
        self._installed.clear()

    def _fire(self) -> None:
        if self.requested:
            sys.stderr.write("\n(already stopping; please wait)\n")
            return
        self.requested = True
        sys.stderr.write("\n(stopping ...)\n")
        if self._target is not None and not self._target.done():
            self._target.cancel()

    @contextlib.contextmanager
    def cancels_current_task(self) -> Iterator[None]:
        self._target = asyncio.current_task()
        try:
            if self.requested and self._target is not None:
                self._target.cancel()  # the signal came before we started following
            yield
        finally:
            self._target = None


def _uncancel() -> None:
    """Take back the stop's cancellation so the clean-up's own timeouts work normally."""
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):  # Python 3.11+
        task.uncancel()


def _notebook_problem(path: str) -> str | None:
    if not path.endswith(".ipynb"):
        return f"{path}: the notebook must be a .ipynb file."
    if not os.path.isdir(os.path.dirname(path)):
        return f"{os.path.dirname(path)}: no such folder."
    if os.path.isdir(path):
        return f"{path} is a folder, not a notebook."
    return None


@contextlib.contextmanager
def _database(path: str | None) -> Iterator[str]:
    """``--db PATH`` keeps the session; by default it lives in a temporary folder."""
    if path:
        full = os.path.abspath(os.path.expanduser(path))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        yield full
        return
    with tempfile.TemporaryDirectory(prefix="codeagent-run-") as folder:
        yield os.path.join(folder, "codeagent.db")
