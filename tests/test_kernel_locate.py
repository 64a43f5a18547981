"""kernel_for_notebook through a real Jupyter server's session / kernel / contents managers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_codeagent.errors import NotFound, PathOutsideRoot
from jupyter_codeagent.kernel import KernelBridge


def _bridge(app: Any) -> KernelBridge:
    return KernelBridge(
        kernel_manager=app.kernel_manager,
        session_manager=app.session_manager,
        contents_manager=app.contents_manager,
        root_dir=app.root_dir,
        execution_timeout=30.0,
        output_limit_chars=2000,
    )


def _write_notebook(app: Any, path: str, kernel_name: str) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": kernel_name, "display_name": kernel_name}}
    )
    Path(app.root_dir, path).write_text(nbformat.writes(nb))


async def test_kernel_for_notebook_reuses_the_session_or_creates_one(jp_serverapp: Any) -> None:
    app = jp_serverapp
    bridge = _bridge(app)
    _write_notebook(app, "shared.ipynb", "python3")
    _write_notebook(app, "exotic.ipynb", "a-kernel-nobody-installed")
    # JupyterLab opened "shared.ipynb" before the agent came along.
    lab_session = await app.session_manager.create_session(
        path="shared.ipynb", name="shared.ipynb", type="notebook", kernel_name="python3"
    )
    try:
        shared = await bridge.kernel_for_notebook("shared.ipynb")
        assert shared == lab_session["kernel"]["id"]
        assert await bridge.kernel_for_notebook("./sub/../shared.ipynb") == shared

        created = await bridge.kernel_for_notebook("exotic.ipynb")
        assert created != shared
        sessions = {s["path"]: s for s in await app.session_manager.list_sessions()}
        assert sessions["exotic.ipynb"]["type"] == "notebook"
        assert sessions["exotic.ipynb"]["kernel"]["id"] == created
        assert sessions["exotic.ipynb"]["kernel"]["name"] == "python3"  # the default
        assert await bridge.kernel_for_notebook("exotic.ipynb") == created

        assert await bridge.kernel_for_notebook("other.ipynb", kernel_id=shared) == shared
        with pytest.raises(NotFound):
            await bridge.kernel_for_notebook("shared.ipynb", kernel_id="not-a-kernel")

        result, _ = await bridge.execute(created, "import os; os.getcwd()")
        assert result.status == "ok"
    finally:
        await bridge.close()


@pytest.mark.parametrize("path", ["../outside.ipynb", "/etc/passwd", "a/../../x.ipynb"])
async def test_kernel_for_notebook_refuses_paths_outside_the_root(
    jp_serverapp: Any, path: str
) -> None:
    with pytest.raises(PathOutsideRoot):
        await _bridge(jp_serverapp).kernel_for_notebook(path)
