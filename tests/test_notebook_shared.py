"""With jupyter-collaboration's server extension on, agent cells are written through the
collaboration room's shared document: real server, real kernel, fake model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import Api, model_config, new_script

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

pytest.importorskip("jupyter_server_ydoc")


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], fake: Any, tmp_path: Path) -> dict[str, Any]:
    extensions = jp_server_config["ServerApp"]["jpserver_extensions"]
    extensions.update({"jupyter_server_ydoc": True, "jupyter_server_fileid": True})
    jp_server_config["YDocExtension"] = {"document_save_delay": 0.2}
    jp_server_config["SQLiteYStore"] = {"db_path": str(tmp_path / "ystore.db")}
    jp_server_config["CodeAgentExtension"] = model_config(fake, "openai", "always")
    return jp_server_config


def agent_ids(cells: list[dict[str, Any]]) -> list[str]:
    return [c["metadata"]["codeagent"]["cell_id"] for c in cells if "codeagent" in c["metadata"]]


async def test_cells_go_through_the_open_room(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    jp_root_dir: Path,
    fake: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A room's update store is a file in the current directory (whatever the config).
    monkeypatch.chdir(tmp_path)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# mine")])
    nbformat.write(nb, jp_root_dir / "rtc.ipynb")
    (ydoc,) = jp_serverapp.extension_manager.extension_apps["jupyter_server_ydoc"]
    # A collaborator has the notebook open: its room holds the shared document.
    room_doc = await ydoc.get_document(
        path="rtc.ipynb", content_type="notebook", file_format="json", copy=False, create=True
    )
    api = Api(jp_fetch, jp_ws_fetch)
    sid = (await api.create_session("rtc.ipynb"))["id"]
    script = new_script(fake)
    script.planner(plan("Print"))
    script.coder(propose("print('shared')", "Print."), finish("Done."))
    script.reviewer(review())
    events = await api.events(sid)
    await api.send(sid, "go")
    proposed = await events.until_type("cell_proposed")
    # In the shared document the moment the event is out (not after a file poll).
    assert agent_ids(room_doc.get()["cells"]) == [proposed["cell_id"]]
    await api.approve(sid, proposed["cell_id"])
    await events.until_type("run_finished")
    cell = room_doc.get()["cells"][1]
    assert cell["metadata"]["codeagent"]["status"] == "done"
    assert cell["outputs"][0]["text"] == "shared\n"
    # The room saves the file.
    for _ in range(100):
        try:
            saved = nbformat.read(jp_root_dir / "rtc.ipynb", as_version=4)
        except ValueError:  # caught mid-save
            saved = nbformat.v4.new_notebook()
        if [c.metadata.get("codeagent", {}).get("status") for c in saved.cells] == [None, "done"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the room did not save the agent's cell")
    assert saved.cells[0].source == "# mine"
    assert saved.cells[1].outputs[0]["text"] == "shared\n"
