"""Attention: a card that arrives while the user reads further up, or while the panel
is hidden, is announced (the waiting bar, Jump to latest, the icon's badge, a
JupyterLab notification) without pulling the chat out from under the reader."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import finish, plan, propose, review
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall, RecordedRequest

from .conftest import LabServer
from .review_helpers import fake, lab, new_script, shot
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    card,
    open_notebook,
    open_sidebar,
    send,
    wait_card_status,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]

TAB = '.jp-SideBar.jp-mod-right li[data-id="jp-codeagent-sidebar"]'
LONG = "\n\n".join(
    f"Step {i}: a paragraph about the data, long enough to fill a line." for i in range(40)
)


class Gates:
    """The coder's next replies, each held back until the test opens its gate."""

    def __init__(self, *replies: FakeReply) -> None:
        self.replies = list(replies)
        self.gates = [threading.Event() for _ in replies]
        self.served = 0

    def __call__(self, request: RecordedRequest) -> FakeReply:
        index = self.served
        self.served += 1
        self.gates[index].wait(120)
        return self.replies[index]

    def open(self, index: int) -> None:
        self.gates[index].set()


def chat_metrics(page: Any) -> dict[str, float]:
    return page.evaluate(
        """() => {
            const chat = document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat');
            return {top: chat.scrollTop, height: chat.scrollHeight, client: chat.clientHeight};
        }"""
    )


def test_new_cards_are_announced_without_moving_the_reader(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "attention.ipynb")
    script = new_script(fake)
    script.planner(plan("Look", "Look again", "And again"))
    script.coder(
        FakeReply(
            text=LONG,
            tool_calls=[
                FakeToolCall(
                    "propose_cell", {"code": "print(1)", "explanation": "One.", "task_id": "t1"}
                )
            ],
        )
    )
    gates = Gates(
        propose("print(2)", "Two.", "t2"),
        propose("print(3)", "Three.", "t3"),
        finish("All three printed."),
    )
    script.otherwise("coder", gates)
    script.reviewer(review(), review(), review())
    open_notebook(page, lab, "attention.ipynb")
    open_sidebar(page)
    send(page, "print three numbers")
    wait_card_status(page, 0, "proposed")
    bar = page.locator(f"{SIDEBAR} .jp-CodeAgent-waiting")
    assert "Waiting for you: 1 cell" in bar.inner_text()
    card(page, 0).locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 0, "done")
    page.wait_for_selector(f"{SIDEBAR} .jp-CodeAgent-waiting", state="detached", timeout=TIMEOUT)

    # The user scrolls up to read; then the next card arrives.
    page.locator(f"{SIDEBAR} .jp-CodeAgent-chat").hover()
    page.mouse.wheel(0, -4000)
    page.wait_for_function(
        "() => document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat').scrollTop < 50"
    )
    jump = page.locator(f"{SIDEBAR} .jp-CodeAgent-jump")
    jump.wait_for(timeout=TIMEOUT)
    gates.open(0)
    wait_card_status(page, 1, "proposed")
    bar.wait_for(timeout=TIMEOUT)
    assert "Waiting for you: 1 cell" in bar.inner_text()
    metrics = chat_metrics(page)
    assert metrics["top"] < 50, metrics  # the reader stays where they were
    assert jump.is_visible()
    assert page.evaluate("() => !document.activeElement.closest('.jp-CodeAgent-card')")
    shot(page, "attention-scrolled-up-new-card")
    jump.click()
    page.wait_for_selector(f"{SIDEBAR} .jp-CodeAgent-jump", state="detached", timeout=TIMEOUT)
    metrics = chat_metrics(page)
    assert metrics["height"] - metrics["top"] - metrics["client"] < 50, metrics
    # "Review" puts the focus on the waiting card; the bar's own button approves it.
    bar.locator(".jp-CodeAgent-waiting-review").click()
    page.wait_for_function(
        "() => document.activeElement.matches('.jp-CodeAgent-card.jp-mod-pending')"
    )
    bar.locator(".jp-CodeAgent-waiting-approve").click()
    wait_card_status(page, 1, "done")

    # The panel is hidden; a card waits: the icon's badge and a notification say so.
    page.locator(TAB).click()
    page.wait_for_selector(SIDEBAR, state="hidden", timeout=TIMEOUT)
    gates.open(1)
    tab = page.locator(TAB)
    page.wait_for_selector(f"{TAB}[data-codeagent-waiting='1']", timeout=TIMEOUT)
    assert "1 item waits for you" in (tab.get_attribute("title") or "")
    toast = page.locator(".Toastify__toast", has_text="a cell waits for your approval")
    toast.wait_for(timeout=TIMEOUT)
    shot(page, "attention-hidden-panel-badge-and-notification")
    toast.get_by_role("button", name="Show").click()
    page.wait_for_selector(SIDEBAR, state="visible", timeout=TIMEOUT)
    card(page, 2).locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 2, "done")
    page.wait_for_function(
        f"() => !document.querySelector('{TAB}').hasAttribute('data-codeagent-waiting')"
    )

    # The run ends while the panel is hidden: a notification says so.
    page.locator(TAB).click()
    page.wait_for_selector(SIDEBAR, state="hidden", timeout=TIMEOUT)
    gates.open(2)
    page.locator(".Toastify__toast", has_text="the run is done").wait_for(timeout=TIMEOUT)
    page.locator(TAB).click()
    wait_run_status(page, "done")
