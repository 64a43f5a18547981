"""Helpers for the tests of the notebook as the one place agent cells live."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from .sidebar_helpers import SIDEBAR, TIMEOUT

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


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
            text = path.read_text() if path.exists() else "(no file)"
            raise AssertionError(f"{path} did not reach the expected state:\n{text}")
        time.sleep(0.2)


def file_statuses(nb: Any) -> list[str]:
    return [c.metadata["codeagent"]["status"] for c in agent_cells_of(nb)]


def wait_view_statuses(page: Any, statuses: list[str]) -> None:
    """The open notebook's agent cells have these statuses, in order."""
    page.wait_for_function(
        """(wanted) => {
            const cells = document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-CodeAgent-cell');
            const got = Array.from(cells).map(c => c.dataset.codeagentStatus);
            return JSON.stringify(got) === JSON.stringify(wanted);
        }""",
        arg=statuses,
        timeout=TIMEOUT,
    )


def select_agent_cell(page: Any, index: int) -> Any:
    """Click the prompt area of the index-th agent cell: it is active, in command mode."""
    cell = page.locator(f"{NOTEBOOK} .jp-Cell.jp-CodeAgent-cell").nth(index)
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    return cell


def run_all_from_menu(page: Any) -> None:
    page.locator(".lm-MenuBar-itemLabel:text-is('Run')").click()
    page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()


def notification(page: Any, text: str) -> Any:
    toast = page.locator(".Toastify__toast", has_text=text).last
    toast.wait_for(timeout=TIMEOUT)
    return toast


def no_dialog(page: Any) -> bool:
    """No modal dialog (JupyterLab's "File Changed" one, for instance) is open."""
    return page.locator(".jp-Dialog").count() == 0


def notices(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        f"{SIDEBAR} .jp-CodeAgent-notice", "nodes => nodes.map(n => n.innerText.trim())"
    )


def rename_from_menu(page: Any, new_name: str) -> None:
    """File → Rename Notebook…, as a user renames the open notebook."""
    page.locator(".lm-MenuBar-itemLabel:text-is('File')").click()
    page.locator(".lm-Menu-itemLabel", has_text="Rename Notebook").click()
    box = page.locator(".jp-Dialog input")
    box.wait_for(timeout=TIMEOUT)
    box.fill(new_name)
    box.press("Enter")


def open_in_workspace(page: Any, server: Any, name: str, workspace: str) -> None:
    """Open a notebook in a JupyterLab workspace of its own (a second tab, say)."""
    page.goto(
        server.lab_url(f"lab/workspaces/{workspace}/tree/{name}"), wait_until="domcontentloaded"
    )
    page.wait_for_selector(".jp-NotebookPanel", timeout=TIMEOUT)
    page.wait_for_selector(
        ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT
    )


def poll(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """The first truthy answer of ``check`` (called every 0.2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{check} did not become true within {timeout}s")
        time.sleep(0.2)


def wait_page(page: Any, check: Callable[[], Any], timeout: float = 60.0) -> None:
    """Like ``poll``, but the page runs meanwhile: Playwright's routes (a WebSocket
    relay, say) answer only while the test waits in a page call, never in a sleep."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{check} did not become true within {timeout}s"
        page.wait_for_timeout(100)
