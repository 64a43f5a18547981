"""The one notebook writer's parts: the shared document (jupyter_ydoc over pycrdt, as
jupyter-collaboration's rooms hold it), the live channel to browsers, reconcile, and
the live outputs of a running cell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupyter_ydoc import YNotebook
from traitlets.config import Config

from jupyter_codeagent.errors import NotFound
from jupyter_codeagent.notebook.cells import AgentCellState, reported_cells
from jupyter_codeagent.notebook.file_writer import FileNotebookWriter
from jupyter_codeagent.notebook.live import LiveNotebookWriter
from jupyter_codeagent.notebook.live_hub import LiveNotebookHub
from jupyter_codeagent.notebook.reconcile import RecordedCell, reconcile, refreshed
from jupyter_codeagent.notebook.shared_doc import SharedNotebookWriter
from jupyter_codeagent.tools.live_outputs import LiveOutputs, OutputMirror

OUT = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def file_writer(root: Path, tmp_path: Path) -> FileNotebookWriter:
    config = Config()
    (tmp_path / "notary").mkdir()
    config.NotebookNotary.data_dir = str(tmp_path / "notary")
    return FileNotebookWriter(
        AsyncLargeFileManager(root_dir=str(root), config=config), root_dir=str(root)
    )


def shared_notebook(*sources: str) -> YNotebook:
    doc = YNotebook()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    doc.set(nb)
    return doc


# --- the shared document (real-time collaboration) -------------------------------------


async def test_shared_writer_changes_the_room_document(file_writer: Any, root: Path) -> None:
    doc = shared_notebook("# the user's cell")
    user_id = doc.get_cell(0)["id"]

    async def find(path: str) -> Any:
        return doc if path == "nb.ipynb" else None

    writer = SharedNotebookWriter(find, file_writer, root_dir=str(root))
    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="c1", source="a = 1", status="proposed"
    )
    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="c2", source="b = 2", status="proposed", after=user_id
    )
    await writer.insert_cell(  # retried: no duplicate
        "nb.ipynb", session_id="s", cell_id="c1", source="a = 1", status="proposed"
    )
    await writer.update_cell("nb.ipynb", cell_id="c1", status="running")
    await writer.update_cell("nb.ipynb", cell_id="c1", outputs=OUT, transient=True)
    await writer.update_cell(
        "nb.ipynb", cell_id="c1", status="done", outputs=OUT * 2, execution_count=3
    )
    await writer.update_cell("nb.ipynb", cell_id="c2", source="b = 20")

    nb = nbformat.from_dict(doc.get())
    nbformat.validate(nb)
    assert [c.get("metadata", {}).get("codeagent", {}).get("cell_id") for c in nb.cells] == [
        None,
        "c2",
        "c1",
    ]
    c1 = nb.cells[2]
    assert c1.metadata["codeagent"] == {"session": "s", "cell_id": "c1", "status": "done"}
    assert c1.execution_count == 3 and [o["text"] for o in c1.outputs] == ["hello\n"] * 2
    assert nb.cells[1].source == "b = 20"
    states = await writer.agent_cells("nb.ipynb")
    assert states == [
        AgentCellState(
            cell_id="c2",
            session_id="s",
            status="proposed",
            source="b = 20",
            outputs=0,
            execution_count=None,
        ),
        AgentCellState(
            cell_id="c1",
            session_id="s",
            status="done",
            source="a = 1",
            outputs=2,
            execution_count=3,
        ),
    ]
    with pytest.raises(NotFound):
        await writer.update_cell("nb.ipynb", cell_id="gone", status="done")
    assert not (root / "nb.ipynb").exists()  # the room saves the file, not us


async def test_shared_writer_without_a_room_writes_the_file(file_writer: Any, root: Path) -> None:
    async def no_room(path: str) -> Any:
        return None

    async def broken(path: str) -> Any:
        raise RuntimeError("the collaboration extension failed")

    for find in (no_room, broken):
        writer = SharedNotebookWriter(find, file_writer, root_dir=str(root))
        await writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
        await writer.update_cell("nb.ipynb", cell_id="c1", outputs=OUT, execution_count=1)
    nb = nbformat.read(root / "nb.ipynb", as_version=4)
    assert [c.metadata["codeagent"]["cell_id"] for c in nb.cells] == ["c1"]
    assert nb.cells[0].outputs[0]["text"] == "hello\n"
    states = await SharedNotebookWriter(no_room, file_writer, root_dir=str(root)).agent_cells(
        "nb.ipynb"
    )
    assert [(s.cell_id, s.outputs, s.execution_count) for s in states or []] == [("c1", 1, 1)]


async def test_file_writer_skips_transient_outputs(file_writer: Any, root: Path) -> None:
    await file_writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
    before = (root / "nb.ipynb").stat().st_mtime_ns
    await file_writer.update_cell("nb.ipynb", cell_id="c1", outputs=OUT, transient=True)
    assert (root / "nb.ipynb").stat().st_mtime_ns == before
    assert await file_writer.agent_cells("missing.ipynb") == []


# --- the live channel: every tab shows it, the primary one saves -------------------------


async def test_hub_sends_to_every_tab_and_the_primary_saves() -> None:
    hub = LiveNotebookHub()
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    hub.attach("nb.ipynb", first.append)
    hub.attach("nb.ipynb", second.append)
    op = {"op": "update_cell", "path": "nb.ipynb", "cell_id": "c1", "status": "done"}
    request = asyncio.ensure_future(hub.request("nb.ipynb", op, timeout=5))
    await asyncio.sleep(0)
    assert first[0]["op"] == op and "save" not in first[0]["op"]
    assert second[0]["op"] == {**op, "save": True}
    hub.acknowledge({"request_id": first[0]["request_id"], "ok": False})  # not awaited
    assert not request.done()
    hub.acknowledge({"request_id": second[0]["request_id"], "ok": True})
    assert (await request)["ok"] is True

    transient = {**op, "transient": True}
    request = asyncio.ensure_future(hub.request("nb.ipynb", transient, timeout=5))
    await asyncio.sleep(0)
    assert second[1]["op"] == transient  # never saved on its own
    hub.acknowledge({"request_id": second[1]["request_id"], "ok": True})
    await request

    hub.attach("nb.ipynb", first.append)  # attaching again makes it the primary
    hub.moved("nb.ipynb", "dir/renamed.ipynb")
    assert not hub.is_attached("nb.ipynb") and hub.is_attached("dir/renamed.ipynb")
    request = asyncio.ensure_future(hub.request("dir/renamed.ipynb", op, timeout=5))
    await asyncio.sleep(0)
    assert first[-1]["op"].get("save") is True and "save" not in second[-1]["op"]
    hub.acknowledge({"request_id": first[-1]["request_id"], "ok": True})
    await request


async def test_a_tab_that_goes_away_is_not_waited_for(
    file_writer: FileNotebookWriter, root: Path
) -> None:
    # A reload mid-run closes the tab's socket while an operation awaits its answer:
    # the cell goes to the file at once instead of the run stalling for the timeout.
    hub = LiveNotebookHub()
    sent: list[dict[str, Any]] = []
    hub.attach("nb.ipynb", sent.append)
    nbformat.write(nbformat.v4.new_notebook(), root / "nb.ipynb")
    writer = LiveNotebookWriter(hub, file_writer, root_dir=str(root), timeout=60)
    inserting = asyncio.ensure_future(
        writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
    )
    while not sent:
        await asyncio.sleep(0)
    hub.detach("nb.ipynb", sent.append)
    await asyncio.wait({inserting}, timeout=5)
    assert inserting.done(), "the writer waits for a tab that is gone"
    inserting.result()
    cells = nbformat.read(root / "nb.ipynb", as_version=4).cells
    assert [c.metadata["codeagent"]["status"] for c in cells] == ["p"]


def test_reported_cells_are_checked() -> None:
    assert reported_cells("nope") is None
    cells = reported_cells(
        [
            {"cell_id": "c1", "session": "s", "status": "done", "outputs": 2, "execution_count": 4},
            {"cell_id": 7},
            "junk",
            {"cell_id": "c2", "outputs": -1, "execution_count": "x", "source": None},
        ]
    )
    assert cells == [
        AgentCellState(
            cell_id="c1", session_id="s", status="done", source="", outputs=2, execution_count=4
        ),
        AgentCellState(
            cell_id="c2", session_id=None, status=None, source="", outputs=0, execution_count=None
        ),
    ]


# --- reconcile -----------------------------------------------------------------------


def state(cell_id: str, status: str, source: str = "x", outputs: int = 0) -> AgentCellState:
    return AgentCellState(
        cell_id=cell_id,
        session_id="s",
        status=status,
        source=source,
        outputs=outputs,
        execution_count=None,
    )


def test_reconcile_brings_back_missing_cells_and_corrects_statuses() -> None:
    recorded = [
        RecordedCell(cell_id="c1", source="load()", status="done", outputs=OUT, execution_count=1),
        RecordedCell(cell_id="c2", source="bad()", status="blocked"),
        RecordedCell(cell_id="c3", source="chart()", status="done", outputs=OUT, execution_count=2),
        RecordedCell(cell_id="c4", source="gone()", status="rejected"),
        RecordedCell(cell_id="c5", source="edited()", status="error", outputs=OUT),
        RecordedCell(cell_id="c6", source="next()", status="proposed"),
    ]
    document = [
        state("c1", "proposed", "load()"),  # lost its result (reloaded before a save)
        state("c5", "running", "proposed()"),  # ran edited code; the document lags
        state("c6", "proposed", "next(); mine = 1"),  # the user is editing it
    ]
    fixes = reconcile(recorded, document, deleted={"c4"})
    assert [(f.action, f.cell_id, f.status) for f in fixes] == [
        ("update", "c1", "done"),
        ("insert", "c3", "done"),
        ("update", "c5", "error"),
    ]
    assert fixes[0].outputs == OUT and fixes[0].execution_count == 1 and fixes[0].source is None
    assert fixes[1].after == "c1" and fixes[1].source == "chart()" and fixes[1].outputs == OUT
    assert fixes[2].source == "edited()"  # the document shows the code that ran
    # Applied, nothing more is needed: nothing is ever added twice.
    after = [state("c1", "done", "load()", 1), state("c3", "done", "chart()", 1)]
    after += [state("c5", "error", "edited()", 1), state("c6", "proposed")]
    assert reconcile(recorded, after, deleted={"c4"}) == []


def test_a_fix_is_refreshed_with_the_cells_state_when_it_is_written() -> None:
    proposed = RecordedCell(cell_id="c1", source="load()", status="proposed")
    [insert] = reconcile([proposed], [])
    running = RecordedCell(cell_id="c1", source="load()", status="running", outputs=OUT)
    now = refreshed(insert, running)
    assert now is not None and (now.action, now.status, now.outputs) == ("insert", "running", OUT)
    assert now.after == insert.after and now.source == "load()"
    [update] = reconcile([running], [state("c1", "proposed", "load()")])
    done = RecordedCell(
        cell_id="c1", source="load()", status="done", outputs=OUT, execution_count=3
    )
    now = refreshed(update, done)
    assert now is not None and (now.status, now.execution_count, now.source) == ("done", 3, None)
    # A cell the notebook no longer shows is left alone.
    assert refreshed(update, RecordedCell(cell_id="c1", source="x", status="blocked")) is None


# --- live outputs ----------------------------------------------------------------------


def test_output_mirror_folds_the_bridge_events_like_jupyterlab() -> None:
    mirror = OutputMirror()
    for event in (
        {"output_type": "stream", "name": "stdout", "text": "10%\r"},
        {"output_type": "stream", "name": "stdout", "text": "50%\r"},
        {"output_type": "stream", "name": "stdout", "text": "100%\n"},
        {"output_type": "display_data", "data": {"text/plain": "v1"}, "metadata": {}},
        {
            "output_type": "update_display_data",
            "display_id": "d",
            "data": {"text/plain": "v2"},
            "metadata": {},
            "indices": [1],
        },
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
    ):
        mirror.apply(event)
    assert mirror.outputs() == [
        {"output_type": "stream", "name": "stdout", "text": "100%\n"},
        {"output_type": "display_data", "data": {"text/plain": "v2"}, "metadata": {}},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
    ]
    version = mirror.version
    mirror.apply({"output_type": "clear_output"})
    mirror.apply({"nonsense": True})
    assert mirror.outputs() == [] and mirror.version == version + 1


async def test_a_cell_ends_even_when_its_last_output_is_acknowledged_at_that_moment() -> None:
    # Python 3.11's wait_for returns the result instead of raising when a cancellation
    # meets a result (a browser's acknowledgement of the outputs) in one loop turn. The
    # pump then lived on, and leaving the live outputs waited for it forever: the cell's
    # card stayed "Running…" although the kernel had answered.
    hub = LiveNotebookHub()
    sent: list[dict[str, Any]] = []
    hub.attach("nb.ipynb", sent.append)

    class Cells:
        async def outputs(self, cell_id: str, outputs: list[dict[str, Any]]) -> None:
            op = {"op": "update_cell", "cell_id": cell_id, "outputs": outputs, "transient": True}
            await hub.request("nb.ipynb", op, timeout=30)

    live = LiveOutputs(Cells(), "c1", interval=0.01)  # type: ignore[arg-type]
    on_output = await live.__aenter__()
    on_output({"output_type": "stream", "name": "stdout", "text": "after restart\n"})
    while not sent:
        await asyncio.sleep(0)
    hub.acknowledge({"request_id": sent[0]["request_id"], "ok": True})
    ending = asyncio.ensure_future(live.__aexit__(None, None, None))  # in the same turn
    await asyncio.wait({ending}, timeout=5)
    assert ending.done(), "leaving the live outputs waits for a pump that lives on"
