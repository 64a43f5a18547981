"""The sidebar driving real runs: a real `jupyter lab`, real kernel, scripted fake model.

One lab server (and one fake model server) serves the whole module; each test works in
its own notebook, so each has its own session.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_codeagent.testing.agent_script import (
    call,
    finish,
    plan,
    propose,
    review,
    text,
)
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

from .conftest import LabServer
from .review_helpers import fake, lab, new_script
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    agent_cells,
    api,
    card,
    messages,
    open_notebook,
    open_sidebar,
    send,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]  # fixtures, used by name

LOAD = "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf.shape"
TOTALS = "totals = df.groupby('region')['revenue'].sum()\nprint(totals.to_dict())"
EDITED = "totals = df.groupby('region')['revenue'].max()\nprint('edited', totals.to_dict())"
PLOT = "df.plot(kind='bar')"


def test_full_analysis_approve_edit_reject(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "analysis.ipynb", ("# the user's own cell\n1 + 1",))
    script = new_script(fake)
    script.planner(plan("Load sales.csv", "Revenue by region", "Plot it"))
    script.coder(
        propose(LOAD, "Load the CSV.", "t1"),
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t1", "status": "done"}),
                FakeToolCall(
                    "propose_cell", {"code": TOTALS, "explanation": "Sum.", "task_id": "t2"}
                ),
            ]
        ),
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t2", "status": "done"}),
                FakeToolCall(
                    "propose_cell", {"code": PLOT, "explanation": "Bar.", "task_id": "t3"}
                ),
            ]
        ),
        FakeReply(
            tool_calls=[
                FakeToolCall(
                    "update_task", {"task_id": "t3", "status": "skipped", "note": "no plot wanted"}
                ),
                FakeToolCall("finish", {"summary": "North leads with **150**."}),
            ]
        ),
    )
    script.reviewer(review(), review(), review("approve", "medium", "Plots are fine."))

    open_notebook(page, lab, "analysis.ipynb")
    open_sidebar(page)
    send(page, "Which region sells most?")

    # 1. approve as proposed
    first = wait_card_status(page, 0, "proposed")
    assert "read_csv" in first.inner_text()
    assert first.locator(".jp-CodeAgent-risk").inner_text() == "low risk"
    first.locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    assert "(4, 2)" in card(page, 0).locator(".jp-CodeAgent-output").inner_text()

    # 2. edit in the notebook, then approve: the edited code runs
    second = wait_card_status(page, 1, "proposed")
    second.locator(".jp-CodeAgent-edit").click()
    editor = page.locator(".jp-NotebookPanel .jp-Cell.jp-mod-active .cm-content")
    editor.wait_for(timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.closest('.jp-Cell.jp-CodeAgent-cell')"
    )
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(EDITED)
    second.locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    assert "edited" in card(page, 1).locator(".jp-CodeAgent-output").inner_text()

    # 3. reject with a reason
    third = wait_card_status(page, 2, "proposed")
    third.locator(".jp-CodeAgent-reject").click()
    third.locator(".jp-CodeAgent-reject-reason").fill("No plots today.")
    third.locator(".jp-CodeAgent-reject-reason").press("Enter")
    wait_card_status(page, 2, "rejected")
    assert "No plots today." in card(page, 2).inner_text()

    wait_run_status(page, "done")
    summary = page.locator(f"{SIDEBAR} .jp-CodeAgent-message").last
    assert summary.locator("strong").last.inner_text() == "150"
    # The user's edit printed the maxima, not the sums: no cell printed the summary's 150.
    assert "Check these figures: 150 — no cell of this run printed it." in summary.inner_text()

    # The plan shows every task's final status and the note (finished ones folded).
    page.locator(f"{SIDEBAR} .jp-CodeAgent-plan-finished").click()
    tasks = page.locator(f"{SIDEBAR} .jp-CodeAgent-task")
    assert [tasks.nth(i).get_attribute("data-status") for i in range(3)] == [
        "done",
        "done",
        "skipped",
    ]
    assert "no plot wanted" in tasks.nth(2).inner_text()
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-plan-count").first.inner_text() == "3/3"

    # The reviewer's and the user's decisions reached the coder.
    assert "No plots today." in str(script.requests_of("coder")[-1].messages)

    # The cells and outputs landed in the open notebook, live, marked by status.
    cells = agent_cells(page)
    assert [c["status"] for c in cells] == ["done", "done", "rejected"]
    assert "(4, 2)" in cells[0]["outputs"]
    assert "edited" in cells[1]["outputs"] and "max()" in cells[1]["source"]
    assert "file changed" not in page.content().lower()

    # Data objects (folded): clicking one mentions it in the message box.
    page.locator(f"{SIDEBAR} .jp-CodeAgent-data .jp-CodeAgent-section-title").click()
    page.locator(f"{SIDEBAR} .jp-CodeAgent-variable[data-name='df']").click()
    assert "@df" in page.locator(f"{SIDEBAR} .jp-CodeAgent-input").input_value()
    assert "Session:" in page.locator(f"{SIDEBAR} .jp-CodeAgent-usage").inner_text()

    # Saving writes what the user sees: the agent cells with their outputs.
    page.keyboard.press("Control+s")
    nb = wait_for_file(lab.root / "analysis.ipynb", lambda nb: len(agent_cells_of(nb)) == 3)
    ours = agent_cells_of(nb)
    assert [c.metadata["codeagent"]["status"] for c in ours] == ["done", "done", "rejected"]
    assert ours[1].source == EDITED
    assert nb.cells[0].source.startswith("# the user's own cell")


def agent_cells_of(nb: Any) -> list[Any]:
    return [c for c in nb.cells if "codeagent" in c.metadata]


def wait_for_file(path: Path, check: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    """The notebook file once it parses and passes ``check`` (a save may be in flight)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            nb = nbformat.read(path, as_version=4)
            if check(nb):
                return nb
        except (ValueError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not reach the expected state:\n{path.read_text()}")
        time.sleep(0.2)


def test_question_then_markdown_reply_cannot_run_script(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "xss.ipynb")
    script = new_script(fake)
    script.planner(
        call("ask_user", question="Which **currency**?"),
        text(
            "Here is **bold** text.\n\n"
            '<img src=x onerror="window.__codeagentXSS = 1">\n\n'
            "<script>window.__codeagentXSS = 2</script>\n\n"
            '<a href="javascript:window.__codeagentXSS = 3">link</a>'
        ),
    )
    open_notebook(page, lab, "xss.ipynb")
    open_sidebar(page)
    send(page, "say something")

    # ask_user: an inline question with an answer box.
    question = page.locator(f"{SIDEBAR} .jp-CodeAgent-question.jp-mod-open")
    question.wait_for(timeout=TIMEOUT)
    assert question.locator("strong").inner_text() == "currency"
    wait_run_status(page, "waiting")
    question.locator(".jp-CodeAgent-answer-input").fill("EUR")
    question.locator(".jp-CodeAgent-answer-input").press("Enter")
    answered = page.locator(f"{SIDEBAR} .jp-CodeAgent-question .jp-CodeAgent-answered")
    answered.wait_for(timeout=TIMEOUT)
    assert "EUR" in answered.inner_text()

    wait_run_status(page, "done")
    assert "EUR" in str(script.requests_of("planner")[-1].messages)
    reply = page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='planner']").last
    reply.locator("strong").wait_for(timeout=TIMEOUT)
    assert reply.locator("strong").inner_text() == "bold"
    html = reply.inner_html()
    assert "onerror" not in html
    assert "<script" not in html
    assert "javascript:" not in html
    page.locator(f"{SIDEBAR} a:has-text('link')").click(force=True)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__codeagentXSS") is None


def test_stop_mid_run(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "stop.ipynb")
    script = new_script(fake)
    words = " ".join(f"word{i}" for i in range(400))
    script.planner(FakeReply(text=words, chunk_delay=0.05))
    open_notebook(page, lab, "stop.ipynb")
    open_sidebar(page)
    send(page, "write a lot")
    streaming = page.locator(f"{SIDEBAR} .jp-CodeAgent-message.jp-mod-streaming")
    streaming.wait_for(timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.querySelector('#jp-codeagent-sidebar .jp-mod-streaming')"
        ".innerText.includes('word5')"
    )
    page.locator(f"{SIDEBAR} .jp-CodeAgent-stop").click()
    wait_run_status(page, "stopped")
    notice = page.locator(f"{SIDEBAR} .jp-CodeAgent-notice").last
    assert "Stopped" in notice.inner_text()
    cut = page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='planner']").last
    assert "(interrupted)" in cut.inner_text()
    assert "word399" not in cut.inner_text()
    # The composer is usable again.
    assert page.is_visible(f"{SIDEBAR} .jp-CodeAgent-send")


def test_reload_mid_run_resumes_without_loss_or_duplicates(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "reload.ipynb")
    script = new_script(fake)
    intro = " ".join(f"step{i}" for i in range(120))
    script.planner(
        FakeReply(
            text=intro,
            tool_calls=[
                FakeToolCall("create_plan", {"tasks": [{"title": "Count", "description": ""}]})
            ],
            chunk_delay=0.03,
        )
    )
    script.coder(propose("n = 41 + 1\nn", "Count.", "t1"), finish("The answer is 42."))
    script.reviewer(review())
    open_notebook(page, lab, "reload.ipynb")
    open_sidebar(page)
    send(page, "count to 42")
    page.wait_for_function(
        "() => { const s = document.querySelector('#jp-codeagent-sidebar .jp-mod-streaming');"
        " return s && s.innerText.includes('step20'); }",
        timeout=TIMEOUT,
    )
    assert "step119" not in page.locator(f"{SIDEBAR} .jp-mod-streaming").inner_text()

    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel", timeout=TIMEOUT)
    open_sidebar(page)
    pending = wait_card_status(page, 0, "proposed")
    found = messages(page)
    assert [m["agent"] for m in found] == ["user", "planner"]
    assert found[1]["text"] == intro  # every delta once: none lost, none repeated
    assert pending.locator(".jp-CodeAgent-approve").is_visible()
    page.keyboard.press("Alt+Shift+Enter")  # the approve shortcut
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    found = messages(page)
    assert [m["agent"] for m in found] == ["user", "planner", "coder"]
    assert found[2]["text"] == "The answer is 42."
    assert len(page.locator(f"{SIDEBAR} .jp-CodeAgent-card").all()) == 1
    cells = agent_cells(page)
    assert [c["status"] for c in cells] == ["done"]
    assert "42" in cells[0]["outputs"]


def test_fix_this_error_attaches_the_cell(page: Any, lab: LabServer, fake: Any) -> None:
    path = write_notebook(lab.root, "broken.ipynb", ("1 / 0",))
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
        )
    ]
    nbformat.write(nb, path)
    script = new_script(fake)
    script.planner(text("Do not divide by zero."))
    open_notebook(page, lab, "broken.ipynb")
    page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").first.click()
    # The notebook's context menu offers the agent commands on the cell.
    page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").first.click(button="right")
    menu = page.locator(".lm-Menu")
    menu.wait_for(timeout=TIMEOUT)
    assert menu.locator(".lm-Menu-item:has-text('Explain This Cell')").is_visible()
    assert menu.locator(".lm-Menu-item:has-text('Ask the Agent About This Cell')").is_visible()
    menu.locator(".lm-Menu-item:has-text('Fix This Error')").click()
    # Sent at once, the cell and its error folded under the request.
    wait_run_status(page, "done")
    user = page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='user']").last
    assert user.locator(".jp-CodeAgent-message-text").inner_text().startswith("Fix this error")
    assert "ZeroDivisionError" in user.locator(".jp-CodeAgent-attached summary").inner_text()
    user.locator(".jp-CodeAgent-attached summary").click()
    assert "1 / 0" in user.inner_text()
    request = str(script.requests_of("planner")[-1].messages)
    assert "ZeroDivisionError" in request


def test_blocked_cell_and_a_changed_proposal(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "changes.ipynb")
    (lab.root / "data").mkdir(exist_ok=True)
    script = new_script(fake)
    script.planner(plan("Print x"))
    script.coder(
        propose("import shutil\nshutil.rmtree('data')", "Clean up first.", "t1"),
        propose("x = 1\nprint('x is', x)", "Print it.", "t1"),
        propose("x = 2\nprint('x is', x)", "Print two.", "t1"),
        finish("Printed."),
    )
    script.reviewer(review(), review())
    open_notebook(page, lab, "changes.ipynb")
    open_sidebar(page)
    send(page, "print x")

    blocked = wait_card_status(page, 0, "blocked")
    assert "will not run" in blocked.inner_text()
    assert blocked.locator(".jp-CodeAgent-approve").count() == 0
    assert "Blocked by the static analysis: " in blocked.inner_text()  # with the finding

    first = wait_card_status(page, 1, "proposed")
    first.locator(".jp-CodeAgent-reject").click()
    first.locator(".jp-CodeAgent-reject-confirm").click()
    second = wait_card_status(page, 2, "proposed")
    # A re-proposal for the same task opens on its diff against the previous one.
    added = second.locator(".jp-CodeAgent-diff-line.jp-mod-add")
    deleted = second.locator(".jp-CodeAgent-diff-line.jp-mod-del")
    assert added.first.inner_text().strip().endswith("x = 2")
    assert deleted.first.inner_text().strip().endswith("x = 1")
    assert second.locator(".jp-CodeAgent-diff-line.jp-mod-same").count() == 1
    second.locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 2, "done")
    assert "x is 2" in card(page, 2).locator(".jp-CodeAgent-output").inner_text()
    wait_run_status(page, "done")
    assert (lab.root / "data").is_dir()


def test_settings_are_the_users_own_and_travel_with_the_request(
    page: Any, lab: LabServer, fake: Any
) -> None:
    """The settings editor's approval 'never' applies to this user's next request (the
    cell runs without a click) and leaves the server's settings as they were."""
    write_notebook(lab.root, "settings.ipynb")
    assert api(lab, "GET", "settings")["approval"] == "always"
    open_notebook(page, lab, "settings.ipynb")
    open_sidebar(page)
    page.keyboard.press("Control+,")
    page.locator(".jp-PluginList-entry:has-text('Code Agent')").first.click()
    approval = page.locator("select[id$='jupyter-codeagent:plugin_approval']")
    approval.wait_for(timeout=TIMEOUT)
    approval.select_option("never")
    page.wait_for_timeout(500)  # the registry saves and signals the change
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('settings.ipynb')").click()

    script = new_script(fake)
    script.planner(plan("Add"))
    script.coder(propose("20 + 22", "Add.", "t1"), finish("42."))
    script.reviewer(review())
    send(page, "add")
    wait_card_status(page, 0, "done")  # no approval was asked for
    wait_run_status(page, "done")
    assert api(lab, "GET", "settings")["approval"] == "always"
    # The module's later tests open new pages of this lab: they must not inherit "never".
    for saved in (lab.root.parent / "settings" / "jupyter-codeagent").glob("*.jupyterlab-settings"):
        saved.unlink()


def test_dropped_websocket_resumes_from_the_last_event(
    page: Any, lab: LabServer, fake: Any
) -> None:
    # Every events socket goes through this route, so the test can cut one mid-stream.
    sockets: list[Any] = []

    def relay(ws: Any) -> None:
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/codeagent/sessions/[^/]+/events.*"), relay)
    write_notebook(lab.root, "dropped.ipynb")
    script = new_script(fake)
    intro = " ".join(f"word{i}" for i in range(120))
    script.planner(
        FakeReply(
            text=intro,
            tool_calls=[FakeToolCall("create_plan", {"tasks": [{"title": "Add"}]})],
            chunk_delay=0.03,
        )
    )
    script.coder(propose("6 * 7", "Multiply.", "t1"), finish("It is 42."))
    script.reviewer(review())
    open_notebook(page, lab, "dropped.ipynb")
    open_sidebar(page)
    send(page, "multiply")
    page.wait_for_function(
        "() => { const s = document.querySelector('#jp-codeagent-sidebar .jp-mod-streaming');"
        " return s && s.innerText.includes('word20'); }",
        timeout=TIMEOUT,
    )
    before = len(sockets)
    sockets[-1].close(code=1006, reason="network dropped")  # the connection dies
    deadline = time.monotonic() + 30
    while len(sockets) == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(sockets) > before, "the sidebar did not reconnect"
    after = int(re.search(r"after=(\d+)", sockets[-1].url).group(1))  # type: ignore[union-attr]
    assert after > 0  # it resumed from the last event it had, not from the start

    pending = wait_card_status(page, 0, "proposed")
    found = messages(page)
    assert [m["agent"] for m in found] == ["user", "planner"]
    assert found[1]["text"] == intro  # nothing lost, nothing repeated across the drop
    pending.locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    assert [m["agent"] for m in messages(page)] == ["user", "planner", "coder"]
    assert len(page.locator(f"{SIDEBAR} .jp-CodeAgent-card").all()) == 1


def test_switching_notebooks_switches_sessions_and_old_ones_reopen(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "first.ipynb")
    write_notebook(lab.root, "second.ipynb")
    script = new_script(fake)
    script.planner(text("Answer for first."), text("Answer for second."))
    open_notebook(page, lab, "first.ipynb")
    open_sidebar(page)
    send(page, "hello first")
    wait_run_status(page, "done")
    first_chat = [(m["agent"], m["text"]) for m in messages(page)]
    assert first_chat == [("user", "hello first"), ("planner", "Answer for first.")]

    # Opening another notebook binds the chat to it: a fresh conversation.
    page.locator(".jp-DirListing-itemText", has_text="second.ipynb").dblclick()
    page.wait_for_function(
        "() => document.querySelector('.lm-TabBar-tab.jp-mod-current')?.innerText"
        ".includes('second.ipynb')",
        timeout=TIMEOUT,
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-message')"
        ".length === 0",
        timeout=TIMEOUT,
    )
    send(page, "hello second")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-message')]"
        ".some(n => n.innerText.includes('Answer for second.'))",
        timeout=TIMEOUT,
    )

    # Back to the first notebook: its own conversation is back.
    page.locator(".lm-TabBar-tab", has_text="first.ipynb").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-message')]"
        ".some(n => n.innerText.includes('Answer for first.'))",
        timeout=TIMEOUT,
    )
    assert [(m["agent"], m["text"]) for m in messages(page)] == first_chat

    # "New" starts over; the session list reopens the earlier conversation.
    page.locator(f"{SIDEBAR} .jp-CodeAgent-new-session").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-message')"
        ".length === 0",
        timeout=TIMEOUT,
    )
    sessions = api(lab, "GET", "sessions")
    first_id = next(s["id"] for s in sessions if s["title"] == "hello first")
    page.locator(f"{SIDEBAR} .jp-CodeAgent-sessions-toggle").click()
    page.locator(f"{SIDEBAR} [data-session-id='{first_id}'] .jp-CodeAgent-session-open").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-message')]"
        ".some(n => n.innerText.includes('Answer for first.'))",
        timeout=TIMEOUT,
    )
    assert [(m["agent"], m["text"]) for m in messages(page)] == first_chat
