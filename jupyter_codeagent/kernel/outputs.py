"""Turn IOPub messages of one execution into nbformat v4 outputs.

The rules follow what JupyterLab's output area does, so the cell the agent writes
looks like the one a user would have produced by running the code themselves:
consecutive stream chunks of the same name merge (with ``\\r`` / ``\\b`` overwrites
applied), ``clear_output(wait=True)`` clears on the next output, and
``update_display_data`` rewrites earlier outputs carrying the same display id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

OutputCallback = Callable[[dict[str, Any]], None]


def apply_overwrites(text: str) -> str:
    """Apply carriage returns and backspaces the way a terminal would.

    A trailing ``\\r`` is kept so that the next chunk of the stream (progress bars
    print ``"\\r 42%"`` repeatedly) still overwrites the line once merged.
    """
    if "\r" not in text and "\b" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    fixed = []
    for line in lines:
        while "\b" in line:
            i = line.index("\b")
            line = line[: max(i - 1, 0)] + line[i + 1 :]
        pending = line.endswith("\r")
        current = ""
        for segment in line.split("\r"):
            current = segment + current[len(segment) :]
        fixed.append(current + ("\r" if pending else ""))
    return "\n".join(fixed)


class OutputCollector:
    """Accumulates the outputs of one execution request.

    ``on_output`` sees incremental events in iopub order, each a dict with an
    ``output_type``: new outputs as nbformat dicts (stream outputs as *chunks*; a
    consumer merges consecutive ones like JupyterLab does), plus two pseudo types:
    ``{"output_type": "clear_output"}`` and ``{"output_type": "update_display_data",
    "display_id", "data", "metadata", "indices"}`` (the positions of the outputs it
    rewrites). A failing callback is logged, never raised.
    """

    def __init__(self, on_output: OutputCallback | None = None) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.execution_count: int | None = None
        self._on_output = on_output
        self._clear_pending = False
        self._display_index: dict[str, list[int]] = {}

    def handle(self, msg: dict[str, Any]) -> bool:
        """Apply one IOPub message (already filtered by parent id); True once idle."""
        msg_type = msg["header"]["msg_type"]
        content = msg.get("content", {})
        if msg_type == "status":
            return bool(content.get("execution_state") == "idle")
        if msg_type == "execute_input":
            self.execution_count = content.get("execution_count")
        elif msg_type == "stream":
            self._add_stream(content.get("name", "stdout"), content.get("text", ""))
        elif msg_type in ("display_data", "execute_result"):
            self._add_display(msg_type, content)
        elif msg_type == "update_display_data":
            self._update_display(content)
        elif msg_type == "error":
            self._add(
                {
                    "output_type": "error",
                    "ename": content.get("ename", ""),
                    "evalue": content.get("evalue", ""),
                    "traceback": list(content.get("traceback", [])),
                }
            )
        elif msg_type == "clear_output":
            if content.get("wait"):
                self._clear_pending = True
            else:
                self._clear()
        return False

    # --- internals -------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        if self._on_output is None:
            return
        try:
            self._on_output(event)
        except Exception:  # a consumer's bug must not break the execution
            log.exception("on_output callback failed")

    def _clear(self) -> None:
        self._clear_pending = False
        self.outputs.clear()
        self._display_index.clear()
        self._emit({"output_type": "clear_output"})

    def _add(self, output: dict[str, Any], display_id: str | None = None) -> None:
        if self._clear_pending:
            self._clear()
        if display_id:
            self._display_index.setdefault(display_id, []).append(len(self.outputs))
        self.outputs.append(output)
        self._emit(dict(output))

    def _add_stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if (
            not self._clear_pending
            and last is not None
            and last["output_type"] == "stream"
            and last["name"] == name
        ):
            last["text"] = apply_overwrites(last["text"] + text)
            self._emit({"output_type": "stream", "name": name, "text": text})
            return
        self._add({"output_type": "stream", "name": name, "text": apply_overwrites(text)})

    def _add_display(self, msg_type: str, content: dict[str, Any]) -> None:
        output: dict[str, Any] = {
            "output_type": msg_type,
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
        if msg_type == "execute_result":
            output["execution_count"] = content.get("execution_count")
        display_id = (content.get("transient") or {}).get("display_id")
        self._add(output, display_id)

    def _update_display(self, content: dict[str, Any]) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        if not display_id:
            return
        for index in self._display_index.get(display_id, ()):
            self.outputs[index]["data"] = content.get("data", {})
            self.outputs[index]["metadata"] = content.get("metadata", {})
        self._emit(
            {
                "output_type": "update_display_data",
                "display_id": display_id,
                "data": content.get("data", {}),
                "metadata": content.get("metadata", {}),
                # Positions in the outputs so far, so a consumer can mirror the update.
                "indices": list(self._display_index.get(display_id, ())),
            }
        )
