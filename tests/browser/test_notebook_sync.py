"""The notebook never disagrees with the agent (without real-time collaboration).

A real `jupyter lab` with jupyter-collaboration turned off, a real kernel, the scripted
fake model and Chromium: agent cells are saved as they change, come back after a
reload, cannot be run from the notebook before approval, follow a rename, and stream
their outputs while they run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nbformat
import pytest

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review, text

from .conftest import LabServer
from .notebook_helpers import (
    NOTEBOOK,
    agent_cells_of,
    file_statuses,
    no_dialog,
    notices,
    notification,
    open_in_workspace,
    poll,
    rename_from_menu,
    run_all_from_menu,
    select_agent_cell,
    wait_for_file,
    wait_page,
    wait_view_statuses,
)
from .review_helpers import fake, lab, new_script
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    agent_cells,
    api,
    card,
    model_env,
    open_notebook,
    open_sidebar,
    send,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]  # fixtures, used by name

LOAD = "import pandas as pd\ndf = pd.read_csv('sales.csv')\nprint('rows', len(df))"
EDITED = "print('EDITED ran')"
CHART = "totals = df.groupby('region')['revenue'].sum()\nprint('chart', totals.to_dict())"


def test_reload_mid_run_then_approve(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "sales_analysis.ipynb", ("# my own cell\n1 + 1",))
    script = new_script(fake)
    script.planner(plan("Load the sales", "Chart by region"))
    script.coder(
        propose(LOAD, "Load the CSV.", "t1"),
        propose(CHART, "Totals by region.", "t2"),
        finish("North sells most."),
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "sales_analysis.ipynb")
    open_sidebar(page)
    send(page, "Which region sells most?")
    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    wait_card_status(page, 1, "proposed")
    # Every agent change is saved as it happens: the file has both cells already.
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "proposed"])
    assert "rows 4" in str(agent_cells_of(nb)[0].outputs)

    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel", timeout=TIMEOUT)
    open_sidebar(page)
    wait_view_statuses(page, ["done", "proposed"])
    assert "rows 4" in agent_cells(page)[0]["outputs"]
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    wait_view_statuses(page, ["done", "done"])
    cells = agent_cells(page)
    assert "chart" in cells[1]["outputs"] and "north" in cells[1]["outputs"]
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "done"])
    ours = agent_cells_of(nb)
    assert len(nb.cells) == 3 and nb.cells[0].source.startswith("# my own cell")
    assert "chart" in str(ours[1].outputs)
    assert len({c.metadata["codeagent"]["cell_id"] for c in ours}) == 2
    assert len(page.locator(f"{SIDEBAR} .jp-CodeAgent-card").all()) == 2
    assert not any("deleted" in text or "removed" in text for text in notices(page))
    assert no_dialog(page)


@pytest.mark.parametrize(
    "mine",
    [("# mine\n1 + 1",), ()],
    ids=["a-cell-of-the-users", "an-empty-notebook"],
)
def test_cells_written_while_the_tab_was_away_come_in_without_a_question(
    page: Any, lab: LabServer, fake: Any, mine: tuple[str, ...]
) -> None:
    # The tab's notebook is "unsaved" from the moment its kernel reports its language
    # (JupyterLab marks it so); the agent then writes a cell to the file while the tab's
    # connection is down. Coming back, the tab must take that cell without JupyterLab's
    # "File Changed" dialog, which would also swallow the user's next key. A notebook
    # without cells gets JupyterLab's blank cell in the tab only: nothing to lose either.
    sockets: list[tuple[Any, Any]] = []  # (the page's end, the server's end or None)
    offline = [False]

    def relay(ws: Any) -> None:
        # Offline, the socket opens but reaches nobody.
        sockets.append((ws, None if offline[0] else ws.connect_to_server()))

    def cut() -> None:
        before = len(sockets)
        for end in sockets[-1]:
            if end is not None:
                end.close(code=1006, reason="network dropped")
        wait_page(page, lambda: len(sockets) > before)  # the sidebar connects again

    page.route_web_socket(re.compile(r".*/codeagent/sessions/[^/]+/events.*"), relay)
    path = write_notebook(lab.root, f"away{len(mine)}.ipynb", mine)
    script = new_script(fake)
    script.planner(text("Hello."), plan("Count"))
    script.coder(propose("n = 41 + 1\nn", "Count.", "t1"), finish("It is 42."))
    script.reviewer(review())
    open_notebook(page, lab, path.name)
    open_sidebar(page)
    send(page, "hello")  # the session and its connection
    wait_run_status(page, "done")
    page.wait_for_selector(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty", timeout=TIMEOUT)
    wait_page(page, lambda: sockets)

    offline[0] = True
    cut()
    send(page, "count to 42")
    wait_page(page, lambda: file_statuses(nbformat.read(path, 4)) == ["proposed"])

    offline[0] = False
    cut()
    wait_view_statuses(page, ["proposed"])
    wait_card_status(page, 0, "proposed")
    page.wait_for_timeout(1000)  # the save that followed the cell's arrival
    assert no_dialog(page)
    page.keyboard.press("Alt+Shift+Enter")  # the approve shortcut reaches its command
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done"])
    assert [c.source for c in nb.cells if "codeagent" not in c.metadata][: len(mine)] == list(mine)
    assert nb.metadata.get("language_info", {}).get("name") == "python"
    assert no_dialog(page)


def test_the_gate_holds_in_the_notebook(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "gate.ipynb", ("mine = 'ran'\nprint(mine)",))
    script = new_script(fake)
    script.planner(plan("Two cells"))
    script.coder(
        propose("print('REJECTED ran')", "First.", "t1"),
        propose("print('PROPOSED ran')", "Second.", "t1"),
        finish("Done."),
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "gate.ipynb")
    open_sidebar(page)
    send(page, "two cells please")
    first = wait_card_status(page, 0, "proposed")
    first.locator(".jp-CodeAgent-reject").click()
    first.locator(".jp-CodeAgent-reject-reason").press("Enter")
    wait_card_status(page, 0, "rejected")
    wait_card_status(page, 1, "proposed")
    wait_view_statuses(page, ["rejected", "proposed"])

    # Shift+Enter on the proposed cell runs nothing, and says how to approve it.
    select_agent_cell(page, 1)
    page.keyboard.press("Shift+Enter")
    toast = notification(page, "waits for your approval")
    # Shift+Enter on the rejected one neither; nor Run All (the user's cell runs).
    select_agent_cell(page, 0)
    page.keyboard.press("Shift+Enter")
    notification(page, "was rejected")
    run_all_from_menu(page)
    page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')"
        ".innerText.includes('ran')",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(1000)
    cells = agent_cells(page)
    assert [c["outputs"].strip() for c in cells] == ["", ""]
    assert all("ran" not in c["outputs"] for c in cells)
    assert wait_card_status(page, 1, "proposed")
    # Restart-and-run-all neither.
    page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:restart-run-all']").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    notification(page, "2 agent cells were not run")
    page.wait_for_selector(
        f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT
    )
    assert [c["outputs"].strip() for c in agent_cells(page)] == ["", ""]

    # The user edits it, then the notification's button approves it: the edited code
    # runs once, through the agent, and the card shows it as edited.
    editor = page.locator(f"{NOTEBOOK} .jp-Cell.jp-CodeAgent-cell").nth(1).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(EDITED)
    page.keyboard.press("Shift+Enter")
    toast = notification(page, "waits for your approval")
    toast.locator("button:has-text('Approve & run')").click()
    done = wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    wait_view_statuses(page, ["rejected", "done"])
    assert agent_cells(page)[1]["outputs"].count("EDITED ran") == 1
    assert "PROPOSED ran" not in agent_cells(page)[1]["outputs"]
    assert done.locator(".jp-mod-edited").inner_text() == "edited by you"
    assert "EDITED" in done.locator(".jp-CodeAgent-card-edited").inner_text()

    # Running it again from the notebook is the user's own run: recorded in the audit.
    select_agent_cell(page, 1)
    page.keyboard.press("Shift+Enter")
    session_id = api(lab, "GET", "sessions")[0]["id"]
    for _ in range(50):
        audit = api(lab, "GET", f"sessions/{session_id}/audit")
        if any(row["outcome"] == "user_run" for row in audit):
            break
        page.wait_for_timeout(200)
    outcomes = [row["outcome"] for row in audit]
    assert outcomes.count("ok") == 1 and outcomes.count("user_run") == 1
    user_run = next(row for row in audit if row["outcome"] == "user_run")
    assert user_run["code"] == EDITED and user_run["detail"] == "ok"
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["rejected", "done"])
    assert not agent_cells_of(nb)[0].outputs
    assert no_dialog(page)


def test_deleted_cell_is_recorded_once_in_plain_words(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "deleted.ipynb")
    script = new_script(fake)
    script.planner(plan("One cell"))
    script.coder(propose("value = 7\nprint(value)", "Seven.", "t1"), finish("Done."))
    script.reviewer(review())
    open_notebook(page, lab, "deleted.ipynb")
    open_sidebar(page)
    send(page, "seven")
    wait_card_status(page, 0, "proposed")
    wait_view_statuses(page, ["proposed"])
    select_agent_cell(page, 0)
    page.keyboard.press("d")
    page.keyboard.press("d")
    wait_view_statuses(page, [])
    page.locator(f"{SIDEBAR} .jp-CodeAgent-notice", has_text="removed").wait_for(timeout=TIMEOUT)
    card(page, 0).locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    page.wait_for_timeout(1000)
    said = [text for text in notices(page) if "removed" in text or "deleted" in text]
    assert said == [
        "You removed the agent's cell `value = 7` from deleted.ipynb. "
        "It stays here; the agents no longer write to it."
    ]
    session = next(s for s in api(lab, "GET", "sessions") if s["notebook_path"] == "deleted.ipynb")
    cell_id = api(lab, "GET", f"sessions/{session['id']}")["cells"][0]["cell_id"]
    assert cell_id not in said[0]
    wait_view_statuses(page, [])
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1000)
    assert agent_cells_of(wait_for_file(path, lambda nb: True)) == []


def test_long_cell_streams_its_output(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "progress.ipynb")
    code = "import time\nfor i in range(8):\n    print(f'step {i}', flush=True)\n    time.sleep(1)"
    script = new_script(fake)
    script.planner(plan("Train"))
    script.coder(propose(code, "A long loop.", "t1"), finish("Trained."))
    script.reviewer(review())
    open_notebook(page, lab, "progress.ipynb")
    open_sidebar(page)
    send(page, "train")
    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    page.wait_for_function(
        "() => { const c = document.querySelector("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeAgent-cell .jp-OutputArea');"
        " return c && c.innerText.includes('step 1'); }",
        timeout=TIMEOUT,
    )
    # Output shows while the cell still runs: in the notebook and on the card.
    assert card(page, 0).get_attribute("data-status") == "running"
    assert "step 7" not in agent_cells(page)[0]["outputs"]
    page.wait_for_function(
        "() => document.querySelector("
        "'#jp-codeagent-sidebar .jp-CodeAgent-card .jp-CodeAgent-output')"
        "?.innerText.includes('step')",
        timeout=TIMEOUT,
    )
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    wait_view_statuses(page, ["done"])
    outputs = agent_cells(page)[0]["outputs"]
    assert outputs.count("step 0") == 1 and "step 7" in outputs


def session_of(lab: LabServer, notebook: str) -> dict[str, Any] | None:
    return next((s for s in api(lab, "GET", "sessions") if s["notebook_path"] == notebook), None)


def test_rename_mid_session_keeps_the_session_and_its_kernel(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "Untitled.ipynb")
    script = new_script(fake)
    script.planner(plan("Remember"))
    script.coder(propose("a = 41\nprint('first', a)", "Set a.", "t1"), finish("Set."))
    script.reviewer(review())
    open_notebook(page, lab, "Untitled.ipynb")
    open_sidebar(page)
    send(page, "set a")
    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    before = session_of(lab, "Untitled.ipynb")
    assert before is not None and before["kernel_id"]

    rename_from_menu(page, "renamed.ipynb")
    moved = poll(lambda: session_of(lab, "renamed.ipynb"))
    assert moved["id"] == before["id"] and moved["kernel_id"] == before["kernel_id"]

    script = new_script(fake)
    script.planner(plan("Use it"))
    script.coder(propose("print('second', a + 1)", "Use a.", "t2"), finish("42."))
    script.reviewer(review())
    send(page, "use a")
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    # The same kernel: `a` from before the rename is still there.
    assert "second 42" in card(page, 1).locator(".jp-CodeAgent-output").inner_text()
    kernels = api(lab, "GET", "sessions")  # the codeagent sessions
    assert session_of(lab, "Untitled.ipynb") is None and len(kernels) >= 1
    wait_view_statuses(page, ["done", "done"])
    nb = wait_for_file(lab.root / "renamed.ipynb", lambda nb: file_statuses(nb) == ["done", "done"])
    assert "second 42" in str(agent_cells_of(nb)[1].outputs)
    assert not (lab.root / "Untitled.ipynb").exists()
    jupyter_sessions = [
        s for s in jupyter_api(lab, "sessions") if s["path"] in ("renamed.ipynb", "Untitled.ipynb")
    ]
    assert [s["kernel"]["id"] for s in jupyter_sessions] == [before["kernel_id"]]


def jupyter_api(lab: LabServer, path: str) -> Any:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{lab.url}api/{path}", headers={"Authorization": f"token {lab.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def test_two_tabs_on_one_notebook(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "shared.ipynb", ("# mine",))
    script = new_script(fake)
    script.planner(plan("Two"))
    script.coder(
        propose("print('one')", "One.", "t1"), propose("print('two')", "Two.", "t1"), finish(".")
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "shared.ipynb")
    open_sidebar(page)
    send(page, "two prints")
    wait_card_status(page, 0, "proposed")
    other = page.context.new_page()
    open_in_workspace(other, lab, "shared.ipynb", "second-tab")
    open_sidebar(other)
    wait_view_statuses(other, ["proposed"])
    wait_card_status(other, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_run_status(page, "done")
    for tab in (page, other):
        wait_view_statuses(tab, ["done", "done"])
        outputs = [c["outputs"] for c in agent_cells(tab)]
        assert "one" in outputs[0] and "two" in outputs[1]
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["done", "done"])
    assert len(nb.cells) == 3
    # Both tabs can save without JupyterLab asking which version to keep.
    page.wait_for_timeout(2500)
    for tab in (page, other):
        tab.locator(f"{SIDEBAR}").click()
        tab.locator(".jp-NotebookPanel .jp-Cell").first.locator(".jp-InputPrompt").click()
        tab.keyboard.press("Control+s")
        tab.wait_for_timeout(1000)
        assert no_dialog(tab)
    assert file_statuses(wait_for_file(path, lambda nb: True)) == ["done", "done"]
    other.close()


def test_server_restart_mid_run(
    page: Any, lab_server_factory: Callable[..., LabServer], fake: Any, tmp_path: Any
) -> None:
    root = tmp_path / "restart-root"
    root.mkdir()
    path = write_notebook(root, "restart.ipynb")
    script = new_script(fake)
    script.planner(plan("Slow"))
    script.coder(propose("import time\nprint('begin', flush=True)\ntime.sleep(120)", "Slow.", "t1"))
    script.reviewer(review())
    first = lab_server_factory(env=model_env(fake), root=root)
    open_notebook(page, first, "restart.ipynb")
    open_sidebar(page)
    send(page, "be slow")
    wait_card_status(page, 0, "proposed").locator(".jp-CodeAgent-approve").click()
    page.wait_for_function(
        "() => { const c = document.querySelector("
        "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeAgent-cell .jp-OutputArea');"
        " return c && c.innerText.includes('begin'); }",
        timeout=TIMEOUT,
    )
    first.process.terminate()
    first.process.wait(timeout=30)

    second = lab_server_factory(env=model_env(fake), root=root)
    open_notebook(page, second, "restart.ipynb")
    open_sidebar(page)
    wait_card_status(page, 0, "stopped")
    wait_view_statuses(page, ["stopped"])
    assert "begin" in agent_cells(page)[0]["outputs"]
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["stopped"])
    assert "begin" in str(agent_cells_of(nb)[0].outputs)

    script = new_script(fake)
    script.planner(plan("Again"))
    script.coder(propose("print('after restart')", "Quick.", "t2"), finish("Back."))
    script.reviewer(review())
    send(page, "again")
    wait_card_status(page, 1, "proposed").locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    wait_view_statuses(page, ["stopped", "done"])
    nb = wait_for_file(path, lambda nb: file_statuses(nb) == ["stopped", "done"])
    assert "after restart" in str(agent_cells_of(nb)[1].outputs)
