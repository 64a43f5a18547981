"""Review in the notebook: the bar above a proposed cell (risk, Approve / Edit / Reject,
a second look for high risk), and "Fix this error" as an inline diff of the failing
cell that is accepted in place."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from jupyter_codeagent.testing.agent_script import call, finish, plan, propose, review

from .conftest import LabServer
from .review_helpers import fake, lab, new_script, shot
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    card,
    open_notebook,
    open_sidebar,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
BROKEN = "total = 10\ntotal / 0"
FIXED = "total = 10\ntotal / 4"
FIXED_AGAIN = "total = 10\nprint(total / 4)"


def notebook_sources(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        f"{NOTEBOOK} .jp-Cell .jp-InputArea-editor", "nodes => nodes.map(n => n.innerText)"
    )


def test_fix_this_error_is_an_inline_change_accepted_in_place(
    page: Any, lab: LabServer, fake: Any
) -> None:
    path = write_notebook(lab.root, "fix.ipynb", (BROKEN,))
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].id = "broken-cell"
    nb.cells[0].execution_count = 1
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"] * 40,
        )
    ]
    nbformat.write(nb, path)
    script = new_script(fake)
    script.planner(plan("Fix the division"))
    script.coder(
        call(
            "propose_cell",
            code=FIXED,
            explanation="Divide by four, not zero.",
            task_id="t1",
            replaces="broken-cell",
        ),
        finish("Fixed: **2.5**."),
    )
    script.reviewer(review())
    open_notebook(page, lab, "fix.ipynb")
    open_sidebar(page)

    # "Fix This Error" sends at once: no second Send.
    prompt = page.locator(f"{NOTEBOOK} .jp-Cell .jp-InputPrompt").first
    prompt.click()
    prompt.click(button="right")
    page.locator(".lm-Menu .lm-Menu-item:has-text('Fix This Error')").click()
    proposal = wait_card_status(page, 0, "proposed")
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-input").input_value() == ""
    # The request names the cell, and the chat folds the cell and its traceback away.
    assert "broken-cell" in str(script.requests_of("planner")[-1].messages)
    user = page.locator(f"{SIDEBAR} .jp-CodeAgent-message[data-agent='user']").last
    attached = user.locator(".jp-CodeAgent-attached")
    assert "ZeroDivisionError: division by zero" in attached.locator("summary").inner_text()
    assert user.bounding_box()["height"] < 200
    assert "changes a cell" in proposal.inner_text()

    # The change shows as a diff above the failing cell; nothing changed yet.
    inline = page.locator(f"{NOTEBOOK} .jp-CodeAgent-inline")
    inline.wait_for(timeout=TIMEOUT)
    assert "proposes a change to this cell" in inline.inner_text()
    assert (
        inline.locator(".jp-CodeAgent-diff-line.jp-mod-del")
        .inner_text()
        .strip()
        .endswith("total / 0")
    )
    assert (
        inline.locator(".jp-CodeAgent-diff-line.jp-mod-add")
        .inner_text()
        .strip()
        .endswith("total / 4")
    )
    assert notebook_sources(page) == [BROKEN]
    # The sidebar card shows the same change against the cell.
    assert proposal.locator(".jp-CodeAgent-diff-line.jp-mod-add").count() == 1
    shot(page, "inline-diff-of-a-cell")

    inline.locator(".jp-CodeAgent-inline-approve").click()
    wait_card_status(page, 0, "done")
    wait_run_status(page, "done")
    page.wait_for_selector(f"{NOTEBOOK} .jp-CodeAgent-inline", state="detached", timeout=TIMEOUT)
    # Replaced in place: still one cell, the new code, its new output.
    assert notebook_sources(page) == [FIXED]
    output = page.locator(f"{NOTEBOOK} .jp-Cell .jp-OutputArea").first.inner_text()
    assert "2.5" in output and "ZeroDivisionError" not in output
    assert "2.5" in card(page, 0).locator(".jp-CodeAgent-output").inner_text()
    shot(page, "inline-diff-accepted")


def test_inline_approve_with_a_second_look_for_high_risk(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "inline.ipynb")
    script = new_script(fake)
    script.planner(plan("Count", "Touch a file"))
    script.coder(
        propose("n = 21 * 2\nprint(n)", "Count.", "t1"),
        propose("open('touched.txt', 'w').write('x')", "Touch it.", "t2"),
        finish("Counted; nothing touched."),
    )
    script.reviewer(review(), review("approve", "high", "Writes a file: look first."))
    open_notebook(page, lab, "inline.ipynb")
    open_sidebar(page)
    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").fill("count and touch")
    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").press("Enter")

    # A proposed cell carries its risk and the decision buttons in the notebook.
    wait_card_status(page, 0, "proposed")
    inline = page.locator(f"{NOTEBOOK} .jp-CodeAgent-inline")
    inline.wait_for(timeout=TIMEOUT)
    assert "low risk" in inline.inner_text()
    inline.locator(".jp-CodeAgent-inline-approve").click()
    wait_card_status(page, 0, "done")

    # High risk looks different and needs a second click.
    high = wait_card_status(page, 1, "proposed")
    inline = page.locator(f"{NOTEBOOK} .jp-CodeAgent-inline.jp-mod-risk-high")
    inline.wait_for(timeout=TIMEOUT)
    assert page.locator(f"{NOTEBOOK} .jp-Cell[data-codeagent-risk='high']").count() == 1
    assert "high risk" in high.locator(".jp-CodeAgent-risk").inner_text()
    shot(page, "inline-high-risk")
    inline.locator(".jp-CodeAgent-inline-approve").click()
    confirm = inline.locator(".jp-CodeAgent-inline-approve.jp-mod-armed")
    confirm.wait_for(timeout=TIMEOUT)
    assert "Confirm" in confirm.inner_text()
    assert high.get_attribute("data-status") == "proposed"  # nothing ran on the first click
    inline.locator(".jp-CodeAgent-inline-reject").click()
    wait_card_status(page, 1, "rejected")
    wait_run_status(page, "done")
    assert not (lab.root / "touched.txt").exists()
    assert page.locator(f"{NOTEBOOK} .jp-CodeAgent-inline").count() == 0


def test_a_change_edited_in_place_runs_as_edited_and_a_reject_restores_the_cell(
    page: Any, lab: LabServer, fake: Any
) -> None:
    path = write_notebook(lab.root, "edit.ipynb", (BROKEN,))
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].id = "to-edit"
    nbformat.write(nb, path)
    script = new_script(fake)
    script.planner(plan("Fix it"))
    change = {"code": FIXED, "explanation": "Four.", "task_id": "t1", "replaces": "to-edit"}
    # Rejected code is not proposed again unchanged (it would be refused): a second version.
    again = {**change, "code": FIXED_AGAIN}
    script.coder(call("propose_cell", **change), call("propose_cell", **again), finish("ok"))
    script.reviewer(review(), review())
    open_notebook(page, lab, "edit.ipynb")
    open_sidebar(page)
    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").fill("fix the division")
    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").press("Enter")

    # Edit puts the proposed code into the cell; Reject puts the cell's own code back.
    wait_card_status(page, 0, "proposed")
    inline = page.locator(f"{NOTEBOOK} .jp-CodeAgent-inline")
    inline.locator(".jp-CodeAgent-inline-edit").click()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.closest('.jp-Cell')"
    )
    assert notebook_sources(page) == [FIXED]
    assert "as it is now" in inline.inner_text()
    inline.locator(".jp-CodeAgent-inline-reject").click()
    wait_card_status(page, 0, "rejected")
    assert notebook_sources(page) == [BROKEN]

    # Edited, then accepted: the user's version runs, in the same cell.
    wait_card_status(page, 1, "proposed")
    inline.locator(".jp-CodeAgent-inline-edit").click()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.closest('.jp-Cell')"
    )
    page.keyboard.press("Control+End")
    page.keyboard.type("\nprint('mine')")
    inline.locator(".jp-CodeAgent-inline-approve").click()
    ran = wait_card_status(page, 1, "done")
    assert "edited by you" in ran.inner_text()
    assert "mine" in ran.locator(".jp-CodeAgent-output").inner_text()
    wait_run_status(page, "done")
    assert notebook_sources(page) == [FIXED_AGAIN + "\nprint('mine')"]
