"""The person at the terminal: approving cells and answering the agents' questions.

Reading stdin must not block the event loop (the run, the kernel's heartbeat and the
Ctrl-C handler live on it), so each line is read by a short-lived daemon thread. A
daemon thread, because a prompt abandoned by Ctrl-C leaves its thread blocked in
``readline`` and that must not keep the process alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Literal, TextIO

NO_APPROVAL_REASON = "no interactive approval available"
NO_ANSWER = "No answer available (non-interactive run)"
EMPTY_ANSWER = "(The user gave no answer.)"
APPROVAL_PROMPT = "Run this cell? [y]es / [n]o [reason] / [e]dit > "


@dataclass(frozen=True, kw_only=True)
class CellAnswer:
    """What the user said about a proposed cell."""

    action: Literal["approve", "reject"]
    source: str | None = None  # the edited code, when it was edited
    reason: str | None = None


class LineReader:
    """``readline`` for asyncio; a line abandoned by cancellation is kept for the next call."""

    def __init__(self, stream: TextIO, out: TextIO) -> None:
        self._stream = stream
        self._out = out
        self._pending: asyncio.Future[str] | None = None

    async def readline(self, prompt: str) -> str | None:
        """The next line without its newline; None at end of input."""
        self._out.write(prompt)
        self._out.flush()
        if self._pending is None:
            self._pending = self._start_read()
        line = await asyncio.shield(self._pending)
        self._pending = None
        return None if line == "" else line.rstrip("\r\n")

    def _start_read(self) -> asyncio.Future[str]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def deliver(line: str) -> None:
            if not future.done():
                future.set_result(line)

        def read() -> None:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):  # closed or unreadable stdin: end of input
                line = ""
            with contextlib.suppress(RuntimeError):  # the loop is gone: the run ended
                loop.call_soon_threadsafe(deliver, line)

        threading.Thread(target=read, name="codeagent-stdin", daemon=True).start()
        return future


class Terminal:
    """Dialogs on a terminal (or on any stdin the user forced to be interactive)."""

    def __init__(self, reader: LineReader, out: TextIO, *, editor: str | None = None) -> None:
        self._reader = reader
        self._out = out
        self._editor = editor if editor is not None else _editor_from_environment()
        self.closed = False  # stdin reached its end: nobody is left to ask

    def say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def approve_cell(self, source: str, original: str) -> CellAnswer:
        """Ask until the answer is y, n [reason] or (after editing) y; EOF rejects."""
        while True:
            line = await self._reader.readline(APPROVAL_PROMPT)
            if line is None:
                self.closed = True
                self.say("")
                return CellAnswer(action="reject", reason=NO_APPROVAL_REASON)
            word, _, rest = line.strip().partition(" ")
            word = word.rstrip(":,.").lower()
            if word in ("y", "yes"):
                return CellAnswer(action="approve", source=source if source != original else None)
            if word in ("n", "no"):
                return CellAnswer(action="reject", reason=rest.strip(" :,") or None)
            if word in ("e", "edit"):
                edited = await self._edit(source)
                if edited is not None and edited != source:
                    source = edited
                    self.say("The cell now reads:")
                    self.say("\n".join("    " + line for line in source.splitlines()))
                continue
            self.say("Answer y (run it), n [reason] (do not run it) or e (edit it first).")

    async def answer_question(self, text: str) -> str:
        self.say(f"? {text}")
        line = await self._reader.readline("answer> ")
        if line is None:
            self.closed = True
            self.say("")
            return NO_ANSWER
        return line.strip() or EMPTY_ANSWER

    async def _edit(self, source: str) -> str | None:
        """The cell after the user's $EDITOR saved it; None if there is no usable editor."""
        if not self._editor:
            self.say("Set $VISUAL or $EDITOR to edit cells.")
            return None
        fd, path = tempfile.mkstemp(prefix="codeagent-cell-", suffix=".py")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(source if source.endswith("\n") else source + "\n")
            # In a thread: the editor owns the terminal for as long as the user likes,
            # while the event loop keeps the kernel connection alive.
            done = await asyncio.to_thread(_run_editor, self._editor, path)
            if not done:
                self.say(f"The editor ({self._editor}) failed; the cell is unchanged.")
                return None
            with open(path, encoding="utf-8") as handle:
                edited = handle.read().rstrip("\n")
        finally:
            os.unlink(path)
        if not edited.strip():
            self.say("The edited cell is empty; keeping the previous code.")
            return None
        return edited


def _editor_from_environment() -> str:
    return (os.environ.get("VISUAL") or os.environ.get("EDITOR") or "").strip()


def _run_editor(editor: str, path: str) -> bool:
    try:
        return subprocess.run([*shlex.split(editor), path], check=False).returncode == 0
    except (OSError, ValueError):
        return False
