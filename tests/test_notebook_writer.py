"""The notebook writers: file (contents manager, nbformat-validated) and live (browser)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from traitlets.config import Config

from jupyter_codeagent.errors import BadRequest, NotebookError, NotFound, PathOutsideRoot
from jupyter_codeagent.notebook import (
    FileNotebookWriter,
    LiveNotebookWriter,
    NotebookWriter,
    resolve_notebook_path,
)

OUTPUTS: list[dict[str, Any]] = [
    {"output_type": "stream", "name": "stdout", "text": "hello\n"},
    {
        "output_type": "display_data",
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<F>"},
        "metadata": {},
    },
    {
        "output_type": "execute_result",
        "execution_count": 3,
        "data": {"text/html": "<b>x</b>"},
        "metadata": {},
    },
    {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["tb"]},
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def writer(root: Path, tmp_path: Path) -> FileNotebookWriter:
    config = Config()
    (tmp_path / "notary").mkdir()
    config.NotebookNotary.data_dir = str(tmp_path / "notary")  # keep signing out of $HOME
    contents = AsyncLargeFileManager(root_dir=str(root), config=config)
    return FileNotebookWriter(contents, root_dir=str(root))


def read(root: Path, name: str) -> Any:
    nb = nbformat.read(root / name, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    return nb


def agent_ids(nb: Any) -> list[str | None]:
    return [c.metadata.get("codeagent", {}).get("cell_id") for c in nb.cells]


async def test_file_writer_round_trip(writer: FileNotebookWriter, root: Path) -> None:
    assert isinstance(writer, NotebookWriter)
    await writer.insert_cell(
        "nb.ipynb", session_id="s1", cell_id="c1", source="a = 1", status="proposed"
    )
    await writer.insert_cell(
        "nb.ipynb", session_id="s1", cell_id="c2", source="b = 2", status="proposed", after="c1"
    )
    await writer.update_cell(
        "nb.ipynb", cell_id="c1", status="executed", outputs=OUTPUTS, execution_count=3
    )
    nb = read(root, "nb.ipynb")
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    assert agent_ids(nb) == ["c1", "c2"]
    first = nb.cells[0]
    assert first.id == "c1" and first.source == "a = 1" and first.execution_count == 3
    assert first.metadata["codeagent"] == {"session": "s1", "cell_id": "c1", "status": "executed"}
    assert [o["output_type"] for o in first.outputs] == [o["output_type"] for o in OUTPUTS]
    assert first.outputs[1]["data"]["image/png"] == "iVBORw0KGgo="
    assert "trusted" not in first.metadata  # the contents manager strips it after signing
    await writer.update_cell("nb.ipynb", cell_id="c2", source="b = 3")
    nb = read(root, "nb.ipynb")
    assert (
        nb.cells[1].source == "b = 3" and nb.cells[1].metadata["codeagent"]["status"] == "proposed"
    )


async def test_file_writer_keeps_cells_the_user_added(
    writer: FileNotebookWriter, root: Path
) -> None:
    await writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
    # Meanwhile the user edits the file: a markdown cell on top, a cell after ours.
    nb = read(root, "nb.ipynb")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Title", id="intro"))
    nb.cells.append(nbformat.v4.new_code_cell("user_code()", id="mine"))
    nbformat.write(nb, root / "nb.ipynb")

    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="c2", source="y", status="p", after="c1"
    )
    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="c3", source="z", status="p", after="mine"
    )  # an nbformat id works as an anchor too
    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="c4", source="w", status="p", after="deleted-by-user"
    )  # gone anchor: append
    await writer.update_cell("nb.ipynb", cell_id="c1", outputs=OUTPUTS[:1], execution_count=1)
    nb = read(root, "nb.ipynb")
    assert [c.id for c in nb.cells] == ["intro", "c1", "c2", "mine", "c3", "c4"]
    assert nb.cells[0].source == "# Title" and nb.cells[3].source == "user_code()"


async def test_retried_insert_does_not_duplicate(writer: FileNotebookWriter, root: Path) -> None:
    for source in ("v1", "v2"):
        await writer.insert_cell(
            "nb.ipynb", session_id="s", cell_id="c1", source=source, status="proposed"
        )
    nb = read(root, "nb.ipynb")
    assert agent_ids(nb) == ["c1"] and nb.cells[0].source == "v2"


async def test_concurrent_inserts_all_land(writer: FileNotebookWriter, root: Path) -> None:
    await asyncio.gather(
        *(
            writer.insert_cell(
                "nb.ipynb", session_id="s", cell_id=f"c{i}", source=str(i), status="p"
            )
            for i in range(8)
        )
    )
    ids = agent_ids(read(root, "nb.ipynb"))
    assert len(ids) == 8 and set(ids) == {f"c{i}" for i in range(8)}


async def test_cell_ids_that_are_taken_or_invalid_get_fresh_nbformat_ids(
    writer: FileNotebookWriter, root: Path
) -> None:
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("u", id="c1")]), root / "nb.ipynb"
    )
    await writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="a", status="p")
    await writer.insert_cell(
        "nb.ipynb", session_id="s", cell_id="has space/slash", source="b", status="p"
    )
    nb = read(root, "nb.ipynb")
    assert agent_ids(nb) == [None, "c1", "has space/slash"]
    assert len({c.id for c in nb.cells}) == 3


async def test_old_notebook_is_upgraded_to_cell_ids(writer: FileNotebookWriter, root: Path) -> None:
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("old")])
    old.nbformat_minor = 4
    del old.cells[0]["id"]
    nbformat.validate(old)
    nbformat.write(old, root / "old.ipynb")
    await writer.insert_cell("old.ipynb", session_id="s", cell_id="c1", source="new", status="p")
    nb = read(root, "old.ipynb")
    assert nb.nbformat_minor == 5 and all(c.get("id") for c in nb.cells)


async def test_file_writer_errors(writer: FileNotebookWriter, root: Path) -> None:
    with pytest.raises(NotFound):
        await writer.update_cell("missing.ipynb", cell_id="c1", source="x")
    await writer.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
    with pytest.raises(NotFound):
        await writer.update_cell("nb.ipynb", cell_id="nope", source="x")
    before = (root / "nb.ipynb").read_text()
    with pytest.raises(NotebookError):
        await writer.update_cell(
            "nb.ipynb", cell_id="c1", outputs=[{"output_type": "stream", "name": "stdout"}]
        )
    assert (root / "nb.ipynb").read_text() == before
    (root / "broken.ipynb").write_text("{not json")
    with pytest.raises(NotebookError):
        await writer.insert_cell("broken.ipynb", session_id="s", cell_id="c", source="", status="p")


async def test_paths_outside_the_root_are_refused(
    writer: FileNotebookWriter, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "escape")
    for path in ("../x.ipynb", "/tmp/x.ipynb", "escape/x.ipynb", "a/../../x.ipynb"):
        with pytest.raises(PathOutsideRoot):
            await writer.insert_cell(path, session_id="s", cell_id="c", source="", status="p")
    assert list(outside.iterdir()) == []


def test_resolve_notebook_path(root: Path, tmp_path: Path) -> None:
    (root / "inside").mkdir()
    os.symlink(root / "inside", root / "alias")  # a symlink that stays inside is fine
    assert resolve_notebook_path(str(root), "nb.ipynb") == "nb.ipynb"
    assert resolve_notebook_path(str(root), "./a//b/../c.ipynb") == "a/c.ipynb"
    assert resolve_notebook_path(str(root), "a\\c.ipynb") == "a/c.ipynb"
    assert resolve_notebook_path(str(root), "alias/n.ipynb") == "alias/n.ipynb"
    for bad in ("..", "../nb.ipynb", "/abs.ipynb", "C:/x.ipynb", "\\\\server\\x.ipynb"):
        with pytest.raises(PathOutsideRoot):
            resolve_notebook_path(str(root), bad)
    for empty in ("", "  ", ".", "a/.."):
        with pytest.raises(BadRequest):
            resolve_notebook_path(str(root), empty)


class FakeChannel:
    """Stands in for the session WebSocket layer."""

    def __init__(self, *, attached: bool = True, ack: Any = None, error: Exception | None = None):
        self.attached = attached
        self.ack: dict[str, Any] = {"ok": True} if ack is None else ack
        self.error = error
        self.ops: list[dict[str, Any]] = []

    def is_attached(self, path: str) -> bool:
        return self.attached

    async def request(self, path: str, op: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.ops.append(op)
        if self.error is not None:
            raise self.error
        return self.ack


async def test_live_writer_sends_ops_to_the_browser(writer: FileNotebookWriter, root: Path) -> None:
    channel = FakeChannel()
    live = LiveNotebookWriter(channel, writer, root_dir=str(root), timeout=0.5)
    await live.insert_cell(
        "dir/../nb.ipynb",
        session_id="s1",
        cell_id="c1",
        source="a = 1",
        status="proposed",
        after="x9",
    )
    await live.update_cell(
        "nb.ipynb", cell_id="c1", status="executed", outputs=OUTPUTS[:1], execution_count=2
    )
    await live.update_cell("nb.ipynb", cell_id="c1", source="a = 2")
    assert not (root / "nb.ipynb").exists()  # nothing went to the file
    insert, update, edit = channel.ops
    assert insert == {
        "op": "insert_cell",
        "path": "nb.ipynb",
        "session_id": "s1",
        "cell_id": "c1",
        "after": "x9",
        "cell": {
            "cell_type": "code",
            "id": "c1",
            "source": "a = 1",
            "outputs": [],
            "execution_count": None,
            "metadata": {"codeagent": {"session": "s1", "cell_id": "c1", "status": "proposed"}},
        },
    }
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.from_dict(insert["cell"])]))
    assert update == {
        "op": "update_cell",
        "path": "nb.ipynb",
        "cell_id": "c1",
        "status": "executed",
        "outputs": OUTPUTS[:1],
        "execution_count": 2,
    }
    assert edit == {"op": "update_cell", "path": "nb.ipynb", "cell_id": "c1", "source": "a = 2"}


@pytest.mark.parametrize(
    "channel",
    [
        FakeChannel(attached=False),
        FakeChannel(error=TimeoutError()),
        FakeChannel(error=ConnectionError("socket closed")),
        FakeChannel(ack={"ok": False, "code": "busy", "message": "dialog open"}),
    ],
    ids=["not-attached", "timeout", "error", "refused"],
)
async def test_live_writer_falls_back_to_the_file(
    writer: FileNotebookWriter, root: Path, channel: FakeChannel, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveNotebookWriter(channel, writer, root_dir=str(root), timeout=0.1)
    with caplog.at_level(logging.DEBUG, logger="jupyter_codeagent.notebook"):
        await live.insert_cell("nb.ipynb", session_id="s", cell_id="c1", source="x", status="p")
        await live.update_cell("nb.ipynb", cell_id="c1", outputs=OUTPUTS[:1], execution_count=1)
    nb = read(root, "nb.ipynb")
    assert agent_ids(nb) == ["c1"] and nb.cells[0].execution_count == 1
    assert "writing the file" in caplog.text


async def test_live_writer_cell_deleted_in_the_browser(
    writer: FileNotebookWriter, root: Path
) -> None:
    channel = FakeChannel(ack={"ok": False, "code": "not_found", "message": "no such cell"})
    live = LiveNotebookWriter(channel, writer, root_dir=str(root))
    with pytest.raises(NotFound):
        await live.update_cell("nb.ipynb", cell_id="c1", source="x")
    assert not (root / "nb.ipynb").exists()
