"""Keyboard-first review: three cells decided without the mouse (Alt+Shift+A, the
focused card, a / r / e, j / k), cards named in words, focus moving on by itself."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review

from .conftest import LabServer
from .review_helpers import active_element, fake, lab, new_script, shot, wait_focus_on_card
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    agent_cells,
    card,
    open_notebook,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]

ONE = "a = 1\nprint('one', a)"
TWO = "print('two')"
THREE = "c = 3\nprint('three', c)"


def test_three_cells_reviewed_with_the_keyboard_only(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "keys.ipynb")
    script = new_script(fake)
    script.planner(plan("Load the numbers", "Say two", "Sum them"))
    script.coder(
        propose(ONE, "First.", "t1"),
        propose(TWO, "Second.", "t2"),
        propose(THREE, "Third.", "t3"),
        finish("Done with **three** cells."),
    )
    script.reviewer(review(), review(), review())
    open_notebook(page, lab, "keys.ipynb")

    # Alt+Shift+A opens the panel with the cursor in the message box.
    page.keyboard.press("Alt+Shift+A")
    page.wait_for_selector(f"{SIDEBAR} .jp-CodeAgent-health-ready", timeout=TIMEOUT)
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.matches('.jp-CodeAgent-input')",
        timeout=TIMEOUT,
    )
    page.keyboard.type("Count to three")
    page.keyboard.press("Enter")

    # 1. The card takes the focus when it starts waiting; `a` approves it.
    wait_card_status(page, 0, "proposed")
    wait_focus_on_card(page, 0)
    focused = active_element(page)
    assert focused["label"].startswith("Proposed cell for “Load the numbers”, low risk")
    assert focused["cellId"] not in focused["label"]
    shot(page, "keyboard-first-card-focused")
    page.keyboard.press("a")
    wait_card_status(page, 0, "done")

    # 2. The next card takes the focus by itself; k / j move between cards; r rejects.
    wait_card_status(page, 1, "proposed")
    wait_focus_on_card(page, 1)
    page.keyboard.press("k")
    wait_focus_on_card(page, 0)
    page.keyboard.press("j")
    wait_focus_on_card(page, 1)
    page.keyboard.press("r")
    page.wait_for_function(
        "() => document.activeElement.matches('.jp-CodeAgent-reject-reason')", timeout=TIMEOUT
    )
    page.keyboard.type("Not needed.")
    page.keyboard.press("Enter")
    wait_card_status(page, 1, "rejected")

    # 3. `e` edits the cell in the notebook; Alt+Shift+Enter approves the edited code.
    wait_card_status(page, 2, "proposed")
    wait_focus_on_card(page, 2)
    page.keyboard.press("e")
    page.wait_for_function(
        "() => document.activeElement"
        " && document.activeElement.closest('.jp-Cell.jp-CodeAgent-cell')",
        timeout=TIMEOUT,
    )
    page.keyboard.press("Control+End")
    page.keyboard.type("\nprint('mine')")
    page.keyboard.press("Alt+Shift+Enter")
    third = wait_card_status(page, 2, "done")
    assert "edited by you" in third.inner_text()
    assert "mine" in third.locator(".jp-CodeAgent-output").inner_text()
    wait_run_status(page, "done")
    shot(page, "keyboard-three-cells-decided")

    assert [c["status"] for c in agent_cells(page)] == ["done", "rejected", "done"]
    assert "Not needed." in str(script.requests_of("coder")[-2].messages)
    # After the last decision nothing waits: the bar is gone and the cards say what happened.
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-waiting").count() == 0
    assert card(page, 1).get_attribute("aria-label").endswith("Rejected")
