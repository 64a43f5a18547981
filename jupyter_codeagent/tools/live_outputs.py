"""Live outputs: a running cell's outputs, shown while it runs.

``KernelBridge.execute(on_output=...)`` reports each output as it arrives (stream
chunks, new displays, ``clear_output``, display updates; see ``kernel/outputs.py``).
``OutputMirror`` folds them into the nbformat outputs the cell has so far, by the same
rules as the bridge's own collector (consecutive stream chunks merge, carriage returns
overwrite), so a progress bar shows in the notebook as one updating line.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..kernel.outputs import apply_overwrites

if TYPE_CHECKING:
    from .cell_log import CellLog

log = logging.getLogger(__name__)


class OutputMirror:
    """The current outputs of one execution; ``version`` counts the changes."""

    def __init__(self) -> None:
        self._outputs: list[dict[str, Any]] = []
        self.version = 0

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("output_type")
        if kind == "clear_output":
            self._outputs.clear()
        elif kind == "update_display_data":
            for index in event.get("indices") or ():
                if isinstance(index, int) and 0 <= index < len(self._outputs):
                    self._outputs[index]["data"] = event.get("data", {})
                    self._outputs[index]["metadata"] = event.get("metadata", {})
        elif kind == "stream":
            last = self._outputs[-1] if self._outputs else None
            text = str(event.get("text", ""))
            if (
                last is not None
                and last["output_type"] == "stream"
                and last["name"] == event.get("name")
            ):
                last["text"] = apply_overwrites(last["text"] + text)
            else:
                self._outputs.append(
                    {"output_type": "stream", "name": event.get("name"), "text": text}
                )
        elif isinstance(kind, str):
            self._outputs.append(copy.deepcopy(event))
        else:
            return
        self.version += 1

    def outputs(self) -> list[dict[str, Any]]:
        """A copy of the outputs so far (nbformat v4 dicts)."""
        return copy.deepcopy(self._outputs)


#: Seconds between two updates of a running cell's outputs (the first is sent at once).
OUTPUT_INTERVAL = 0.5


class LiveOutputs:
    """Streams one execution's outputs through ``CellLog.outputs``, throttled.

    The kernel bridge calls ``on_output`` for every output message; a small task sends
    the outputs so far at once, then at most every ``interval`` seconds while more
    arrive. Leaving the ``async with`` stops it: the caller records the final outputs
    (``CellLog.executed``), which supersede the streamed ones.
    """

    def __init__(self, cells: CellLog, cell_id: str, *, interval: float = OUTPUT_INTERVAL):
        self._cells = cells
        self._cell_id = cell_id
        self._interval = interval
        self._mirror = OutputMirror()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def on_output(self, event: dict[str, Any]) -> None:
        self._mirror.apply(event)
        self._changed.set()

    async def __aenter__(self) -> Callable[[dict[str, Any]], None]:
        self._task = asyncio.create_task(self._pump(), name=f"codeagent-outputs-{self._cell_id}")
        return self.on_output

    async def __aexit__(self, *exc_info: object) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        # The flag, not the cancellation alone, ends the pump: Python 3.11's wait_for
        # drops a cancellation that meets a result (the browser's acknowledgement of the
        # outputs) in one loop turn, and the pump would then wait for outputs forever.
        self._closed = True
        self._changed.set()
        task.cancel()
        await asyncio.wait({task})  # the caller's own cancellation still goes through

    async def _pump(self) -> None:
        sent = -1
        while not self._closed:
            await self._changed.wait()
            self._changed.clear()
            if self._closed or self._mirror.version == sent:
                continue
            sent = self._mirror.version
            try:
                await self._cells.outputs(self._cell_id, self._mirror.outputs())
            except Exception:  # showing progress must never break the execution
                log.warning("live outputs of %s failed", self._cell_id, exc_info=True)
            if not self._closed:
                await asyncio.sleep(self._interval)
