"""The session list and the usage bar in a real JupyterLab (Chromium, real server, real
kernels, scripted fake model): switch, search, rename, delete and clear sessions from
the keyboard; tokens and cost per run; a run stopped by a budget says why."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import RoleScript, text
from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import FakeReply

from .conftest import LabServer, save_screenshot
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    api,
    messages,
    model_env,
    open_notebook,
    open_sidebar,
    send,
    wait_run_status,
    write_notebook,
)

pytestmark = pytest.mark.browser

TOGGLE = f"{SIDEBAR} .jp-CodeAgent-sessions-toggle"
POPOVER = f"{SIDEBAR} .jp-CodeAgent-sessions-popover"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


def _script(fake: FakeModelServer, *replies: FakeReply) -> RoleScript:
    script = RoleScript()
    script.planner(*replies)
    fake.responder = script
    return script


def _ask(lab: LabServer, session_id: str, question: str) -> None:
    """One run through the API, waited for."""
    api(lab, "POST", f"sessions/{session_id}/messages", {"text": question})
    deadline = time.monotonic() + 60
    while api(lab, "GET", f"sessions/{session_id}?turns=1")["status"] in ("running", "idle"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the run of {session_id} did not finish")
        time.sleep(0.1)


def _focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const node = document.activeElement;
            const row = node && node.closest('[data-session-id]');
            return {cls: node ? node.className : '', session: row ? row.dataset.sessionId : '',
                    label: node ? (node.getAttribute('aria-label') || '') : ''};
        }"""
    )


def _rows(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        f"{POPOVER} [data-session-id]",
        """nodes => nodes.map(n => ({
            id: n.dataset.sessionId,
            group: n.closest('.jp-CodeAgent-sessions-items').getAttribute('aria-label'),
            text: n.innerText,
        }))""",
    )


def test_switch_search_rename_delete_and_clear_from_the_keyboard(
    lab_server_factory: Callable[..., LabServer], page: Any, fake: FakeModelServer
) -> None:
    lab = lab_server_factory(env=model_env(fake))
    for name in ("sales.ipynb", "churn.ipynb", "old.ipynb"):
        write_notebook(lab.root, name)
    _script(
        fake,
        text("Revenue grew 12% in the north."),
        text("A logistic regression predicts churn well."),
        text("An old answer."),
    )
    sales = api(lab, "POST", "sessions", {"notebook_path": "sales.ipynb"})["id"]
    churn = api(lab, "POST", "sessions", {"notebook_path": "churn.ipynb"})["id"]
    old = api(lab, "POST", "sessions", {"notebook_path": "old.ipynb"})["id"]
    _ask(lab, sales, "Revenue by region")
    _ask(lab, churn, "Model churn")
    _ask(lab, old, "Something old")
    (lab.root / "old.ipynb").unlink()

    open_notebook(page, lab, "sales.ipynb")
    open_sidebar(page)
    page.wait_for_function(
        "() => document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat')"
        "?.innerText.includes('Revenue grew 12%')",
        timeout=TIMEOUT,
    )
    assert "Revenue by region" in page.locator(TOGGLE).inner_text()

    # ↓ on the toggle opens the list with the search box focused.
    page.focus(TOGGLE)
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(POPOVER, timeout=TIMEOUT)
    assert "jp-CodeAgent-sessions-search" in _focused(page)["cls"]
    rows = {row["id"]: row for row in _rows(page)}
    assert rows[sales]["group"] == "This notebook"
    assert rows[churn]["group"] == rows[old]["group"] == "Other notebooks"
    assert "Model churn" in rows[churn]["text"] and "churn.ipynb" in rows[churn]["text"]
    assert "done" in rows[churn]["text"] and "ago" in rows[churn]["text"]
    assert "notebook deleted" in rows[old]["text"]
    assert "notebook deleted" not in rows[sales]["text"]
    save_screenshot(page, "sessions-list")  # for review, kept in test-artifacts/

    # Search the words of a conversation; ↓ then Enter opens the one found.
    page.keyboard.type("regress")
    page.wait_for_function(
        "() => document.querySelectorAll('#jp-codeagent-sidebar "
        ".jp-CodeAgent-sessions-popover [data-session-id]').length === 1",
        timeout=TIMEOUT,
    )
    [found] = _rows(page)
    assert found["id"] == churn and "logistic regression" in found["text"]
    page.keyboard.press("ArrowDown")
    assert _focused(page)["session"] == churn
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat')"
        "?.innerText.includes('predicts churn')",
        timeout=TIMEOUT,
    )
    assert page.locator(POPOVER).count() == 0
    assert "jp-CodeAgent-sessions-toggle" in _focused(page)["cls"]  # focus comes back
    assert next(m["text"] for m in messages(page)) == "Model churn"

    # F2 renames the focused session in place.
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(POPOVER, timeout=TIMEOUT)
    page.keyboard.press("Control+a")
    page.keyboard.press("Backspace")  # the search is cleared: every session again
    page.wait_for_function(
        "() => document.querySelectorAll('#jp-codeagent-sidebar "
        ".jp-CodeAgent-sessions-popover [data-session-id]').length === 3",
        timeout=TIMEOUT,
    )
    page.locator(f"{POPOVER} [data-session-id='{churn}'] .jp-CodeAgent-session-open").focus()
    page.keyboard.press("F2")
    title_input = page.locator(f"{POPOVER} .jp-CodeAgent-session-title-input")
    title_input.wait_for(timeout=TIMEOUT)
    title_input.fill("Churn study")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-sessions-toggle')"
        ".innerText.includes('Churn study')",
        timeout=TIMEOUT,
    )
    page.wait_for_function(  # the focus is back on the renamed row
        f"() => document.activeElement?.closest('[data-session-id]')?.dataset.sessionId"
        f" === '{churn}'",
        timeout=TIMEOUT,
    )
    titles = {s["id"]: s["title"] for s in api(lab, "GET", "sessions")}
    assert titles[churn] == "Churn study"

    # Del asks first; the answer is given with the keyboard too.
    page.locator(f"{POPOVER} [data-session-id='{sales}'] .jp-CodeAgent-session-open").focus()
    page.keyboard.press("Delete")
    row = page.locator(f"{POPOVER} [data-session-id='{sales}']")
    confirm = row.locator(".jp-CodeAgent-session-confirm-delete")
    confirm.wait_for(timeout=TIMEOUT)
    confirm.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => !document.querySelector(\"{POPOVER} [data-session-id='{sales}']\")",
        timeout=TIMEOUT,
    )
    assert sales not in {s["id"] for s in api(lab, "GET", "sessions")}

    # The sessions of deleted notebooks can be cleared at once.
    clear = page.locator(f"{POPOVER} .jp-CodeAgent-sessions-clear")
    assert "1 session of a deleted notebook" in clear.inner_text()
    clear.click()
    page.locator(f"{POPOVER} .jp-CodeAgent-sessions-clear-yes").click()
    page.wait_for_function(
        f"() => !document.querySelector(\"{POPOVER} [data-session-id='{old}']\")",
        timeout=TIMEOUT,
    )
    assert [s["id"] for s in api(lab, "GET", "sessions")] == [churn]

    # Escape closes the list and gives the focus back to the toggle.
    page.locator(f"{POPOVER} .jp-CodeAgent-sessions-search").focus()
    page.keyboard.press("Escape")
    assert page.locator(POPOVER).count() == 0
    assert "jp-CodeAgent-sessions-toggle" in _focused(page)["cls"]


def test_usage_per_run_and_a_budget_stop_in_the_sidebar(
    lab_server_factory: Callable[..., LabServer], page: Any, fake: FakeModelServer
) -> None:
    env = model_env(fake, CODEAGENT_BUDGET_SESSION_TOKENS="6000")
    lab = lab_server_factory(env=env)
    write_notebook(lab.root, "budget.ipynb")
    _script(fake, FakeReply(text="Here it is.", input_tokens=5_000, output_tokens=100))
    open_notebook(page, lab, "budget.ipynb")
    open_sidebar(page)

    send(page, "First question")
    wait_run_status(page, "done")
    usage = page.locator(f"{SIDEBAR} .jp-CodeAgent-usage")
    totals = usage.locator(".jp-CodeAgent-usage-details > summary")
    totals.wait_for(timeout=TIMEOUT)
    summary = totals.inner_text()
    assert "Last run:" in summary and "5K in" in summary and "Session:" in summary
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-budget-stop").count() == 0

    send(page, "Second question")  # 5,100 used: the next call would pass 6,000
    wait_run_status(page, "stopped")
    stop = page.locator(f"{SIDEBAR} .jp-CodeAgent-budget-stop")
    stop.wait_for(timeout=TIMEOUT)
    assert stop.get_attribute("data-budget") == "budget_session_tokens"
    assert "Budget reached: the session budget (tokens)." in stop.inner_text()
    stop.locator("summary").press("Enter")  # how to raise it: the server's words
    said = stop.locator("p").inner_text()
    assert "CODEAGENT_BUDGET_SESSION_TOKENS" in said and "5,100 of 6,000 tokens" in said

    totals.click()  # the table per run
    rows = usage.locator("tbody tr")
    assert rows.count() == 1  # the stopped run made no call
    assert rows.nth(0).inner_text().split("\t")[:4] == ["1", "5,000", "0", "100"]
    assert "6,000" not in usage.locator("tfoot").inner_text()
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-input").is_enabled()
    save_screenshot(page, "sessions-budget-stop")

    # The next run clears the notice.
    _script(fake, text("Fine."))
    api(lab, "PATCH", "settings", {"budget_session_tokens": None})
    send(page, "Third question")
    wait_run_status(page, "done")
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-budget-stop").count() == 0


def test_a_message_sent_while_the_sidebar_binds_keeps_its_session(
    lab_server_factory: Callable[..., LabServer], page: Any, fake: FakeModelServer
) -> None:
    """The sidebar looks up the notebook's sessions when the notebook opens. A message
    sent before that answer arrives starts a session; the late answer (which predates
    that session) must not empty the chat."""
    lab = lab_server_factory(env=model_env(fake))
    write_notebook(lab.root, "quick.ipynb")
    _script(fake, text("A quick answer."), text("Still here."))
    held: list[tuple[Any, Any]] = []
    sent = False

    def answer_late(route: Any) -> None:
        if route.request.method != "GET" or sent:
            route.continue_()
            return
        held.append((route, route.fetch()))  # the list as it is now, delivered later

    page.route(re.compile(r".*/codeagent/sessions(\?.*)?$"), answer_late)
    open_notebook(page, lab, "quick.ipynb")
    open_sidebar(page)
    deadline = time.monotonic() + 30
    while not held:  # the sidebar asked for the notebook's sessions
        assert time.monotonic() < deadline, "the sidebar never listed the sessions"
        page.wait_for_timeout(100)
    sent = True
    send(page, "A quick question")
    wait_run_status(page, "done")
    assert any(m["text"] == "A quick answer." for m in messages(page))

    for route, response in held:
        route.fulfill(response=response)
    page.wait_for_timeout(1500)  # the late list is read and acted on
    assert any(m["text"] == "A quick answer." for m in messages(page))
    sessions = api(lab, "GET", "sessions")
    assert len(sessions) == 1
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-input").is_enabled()
    send(page, "And a follow-up")  # still the same session
    wait_for = f"{SIDEBAR} .jp-CodeAgent-message[data-agent='user']"
    page.wait_for_function(
        f'() => document.querySelectorAll("{wait_for}").length === 2', timeout=TIMEOUT
    )
    assert len(api(lab, "GET", "sessions")) == 1
