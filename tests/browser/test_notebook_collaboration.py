"""The same guarantees with real-time collaboration (jupyter-collaboration) turned on.

The server writes agent cells into the collaboration room's shared document: every tab
sees them at once, the room saves them, and the gate still holds in the notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import RoleScript, finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer

from .conftest import LabServer
from .notebook_helpers import (
    agent_cells_of,
    file_statuses,
    no_dialog,
    notification,
    open_in_workspace,
    select_agent_cell,
    wait_for_file,
    wait_view_statuses,
)
from .sidebar_helpers import (
    TIMEOUT,
    agent_cells,
    model_env,
    open_notebook,
    open_sidebar,
    send,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def lab(module_lab_factory: Callable[..., LabServer], fake: FakeModelServer) -> LabServer:
    return module_lab_factory(env=model_env(fake), rtc=True)


def new_script(fake: FakeModelServer) -> RoleScript:
    script = RoleScript()
    fake.responder = script
    return script


def is_collaborative(lab: LabServer, name: str) -> bool:
    """The notebook is open as a shared document: the server made a room for it."""
    return f"Request for Y document (now indexed) '{name}'" in lab.log()


def test_two_tabs_share_the_agent_cells(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "together.ipynb", ("# ours",))
    code = "import time\nfor i in range(5):\n    print(f'tick {i}', flush=True)\n    time.sleep(1)"
    script = new_script(fake)
    script.planner(plan("Tick", "Tock"))
    script.coder(
        propose(code, "Ticks.", "t1"), propose("print('tock')", "Tock.", "t2"), finish("Done.")
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "together.ipynb")
    assert is_collaborative(lab, "together.ipynb")
    open_sidebar(page)
    other = page.context.new_page()
    open_in_workspace(other, lab, "together.ipynb", "collaborator")
    send(page, "tick")
    wait_card_status(page, 0, "proposed")
    for tab in (page, other):
        wait_view_statuses(tab, ["proposed"])

    # The gate holds in the other tab too.
    select_agent_cell(other, 0)
    other.keyboard.press("Shift+Enter")
    notification(other, "waits for your approval")

    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    # Live outputs reach both tabs while the cell runs.
    for tab in (page, other):
        tab.wait_for_function(
            "() => { const c = document.querySelector("
            "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeAgent-cell .jp-OutputArea');"
            " return c && c.innerText.includes('tick 1'); }",
            timeout=TIMEOUT,
        )
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_run_status(page, "done")
    for tab in (page, other):
        wait_view_statuses(tab, ["done", "done"])
        outputs = [c["outputs"] for c in agent_cells(tab)]
        assert outputs[0].count("tick 0") == 1 and "tick 4" in outputs[0]
        assert "tock" in outputs[1]
        assert no_dialog(tab)
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "done"])
    # (Shift+Enter on the last cell added an empty one below it, as JupyterLab does.)
    assert nb.cells[0].source == "# ours" and "tock" in str(agent_cells_of(nb)[1].outputs)
    other.close()


def test_reload_mid_run_with_collaboration(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "rtc_reload.ipynb")
    script = new_script(fake)
    script.planner(plan("Load", "Use"))
    script.coder(
        propose("x = 20\nprint('x', x)", "Set x.", "t1"),
        propose("print('double', x * 2)", "Use x.", "t2"),
        finish("40."),
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "rtc_reload.ipynb")
    open_sidebar(page)
    send(page, "double x")
    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    wait_card_status(page, 1, "proposed")
    wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "proposed"])

    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel", timeout=TIMEOUT)
    open_sidebar(page)
    wait_view_statuses(page, ["done", "proposed"])
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    wait_view_statuses(page, ["done", "done"])
    assert "double 40" in agent_cells(page)[1]["outputs"]
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "done"])
    assert "double 40" in str(agent_cells_of(nb)[1].outputs)
    assert no_dialog(page)
