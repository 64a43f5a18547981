"""Helpers for driving the Code Agent sidebar and the notebook in Playwright tests."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat

from .conftest import LabServer

SIDEBAR = "#jp-codeagent-sidebar"
TIMEOUT = 60_000

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(root: Path, name: str, sources: tuple[str, ...] = ()) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = root / name
    nbformat.write(nb, path)
    return path


def model_env(fake: Any, **extra: str) -> dict[str, str]:
    env = {
        "CODEAGENT_PROVIDER": "openai",
        "CODEAGENT_MODEL": "fake-model",
        "OPENAI_BASE_URL": fake.openai_base_url,
        "OPENAI_API_KEY": "sk-fake",
        "CODEAGENT_MAX_RETRIES": "0",
        "CODEAGENT_APPROVAL": "always",
    }
    env.update(extra)
    return env


def api(server: LabServer, method: str, path: str, body: Any = None) -> Any:
    """Call a codeagent route from the test (token auth)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server.url}codeagent/{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def open_notebook(page: Any, server: LabServer, name: str) -> None:
    """Open JupyterLab on a notebook and wait for its kernel to be idle."""
    # A workspace of its own per notebook: no tabs or panels restored from another test.
    workspace = name.replace(".", "-")
    page.goto(
        server.lab_url(f"lab/workspaces/{workspace}/tree/{name}"), wait_until="domcontentloaded"
    )
    page.wait_for_selector(".jp-NotebookPanel", timeout=TIMEOUT)
    page.wait_for_selector(
        ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=TIMEOUT
    )


def open_sidebar(page: Any) -> None:
    """Show the sidebar, whether or not the restored layout shows it (or does so late).

    The tab toggles: clicked while a slow restore is about to open the panel, it would
    close it again. So it is clicked only while it is not the current tab, until the
    panel shows.
    """
    tab = page.locator('.jp-SideBar.jp-mod-right li[data-id="jp-codeagent-sidebar"]')
    tab.wait_for(timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT / 1000
    while not page.is_visible(SIDEBAR):
        assert time.monotonic() < deadline, "the Code Agent sidebar never showed"
        if "lm-mod-current" not in (tab.get_attribute("class") or ""):
            tab.click()
        page.wait_for_timeout(500)
    page.wait_for_selector(f"{SIDEBAR} .jp-CodeAgent-health-ready", timeout=TIMEOUT)
    page.wait_for_selector(f"{SIDEBAR} .jp-CodeAgent-input", timeout=TIMEOUT)


def send(page: Any, text: str) -> None:
    box = page.locator(f"{SIDEBAR} .jp-CodeAgent-input")
    box.fill(text)
    box.press("Enter")


def card(page: Any, index: int) -> Any:
    """The index-th review card (0-based), once it exists."""
    locator = page.locator(f"{SIDEBAR} .jp-CodeAgent-card").nth(index)
    locator.wait_for(timeout=TIMEOUT)
    return locator


def sidebar_state(page: Any) -> str:
    """What the sidebar shows, in a line per part: said when a wait times out, so that a
    failure far away (CI) tells what the user would have seen."""
    try:
        state = page.evaluate(
            """() => {
                const bar = document.querySelector('#jp-codeagent-sidebar');
                if (!bar) { return {missing: true}; }
                const text = sel => Array.from(bar.querySelectorAll(sel)).map(
                    n => (n.dataset.status || '') + ' ' + n.innerText.slice(0, 160));
                return {
                    run: text('.jp-CodeAgent-pill'),
                    cards: text('.jp-CodeAgent-card'),
                    banner: text('.jp-CodeAgent-banner'),
                    messages: Array.from(bar.querySelectorAll('.jp-CodeAgent-message')).map(
                        n => n.dataset.agent + ': ' + n.innerText.slice(0, 120)),
                    notebookCells: Array.from(document.querySelectorAll(
                        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeAgent-cell')).map(
                        n => n.dataset.codeagentStatus),
                    session: text('.jp-CodeAgent-sessions-toggle'),
                    composer: Array.from(bar.querySelectorAll('.jp-CodeAgent-input')).map(
                        n => n.value),
                    dialogs: Array.from(document.querySelectorAll('.jp-Dialog')).map(
                        n => n.innerText.slice(0, 200)),
                    shortcuts: (() => {
                        const app = window.jupyterapp;
                        if (!app) { return ['(the app is not exposed)']; }
                        return ['approve-cell', 'reject-cell', 'open'].map(name => {
                            const id = 'codeagent:' + name;
                            const keys = app.commands.keyBindings
                                .filter(b => b.command === id).map(b => b.keys.join(' '));
                            return id + (app.commands.isEnabled(id) ? ' enabled' : ' disabled')
                                + ' keys=' + JSON.stringify(keys);
                        });
                    })(),
                    focus: [document.activeElement
                        ? document.activeElement.tagName + '.' + document.activeElement.className
                        : ''],
                };
            }"""
        )
    except Exception as error:  # the page itself is gone or stuck
        return f"(the sidebar could not be read: {error})"
    return "\n".join(f"  {key}: {value}" for key, value in state.items())


def _waited(page: Any, what: str, wait: Any) -> Any:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return wait()
    except PlaywrightTimeout as error:
        raise AssertionError(
            f"{what} within {TIMEOUT // 1000} s; the sidebar shows:\n{sidebar_state(page)}"
        ) from error


def wait_card_status(page: Any, index: int, status: str) -> Any:
    locator = _waited(page, f"no card #{index}", lambda: card(page, index))
    _waited(
        page,
        f"card #{index} did not become {status!r}",
        lambda: page.wait_for_function(
            """([index, status]) => {
                const cards = document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-card');
                return cards[index] && cards[index].dataset.status === status;
            }""",
            arg=[index, status],
            timeout=TIMEOUT,
        ),
    )
    return locator


def wait_run_status(page: Any, status: str) -> None:
    _waited(
        page,
        f"the run did not become {status!r}",
        lambda: page.wait_for_selector(
            f"{SIDEBAR} .jp-CodeAgent-pill[data-status='{status}']", timeout=TIMEOUT
        ),
    )


def messages(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        f"{SIDEBAR} .jp-CodeAgent-message",
        """nodes => nodes.map(n => ({
            agent: n.dataset.agent,
            text: n.querySelector('.jp-CodeAgent-message-text').innerText.trim(),
            streaming: n.classList.contains('jp-mod-streaming')
        }))""",
    )


def agent_cells(page: Any) -> list[dict[str, Any]]:
    """The agent cells of the open notebook as JupyterLab shows them."""
    return page.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-CodeAgent-cell",
        """nodes => nodes.map(n => ({
            status: n.dataset.codeagentStatus,
            source: n.querySelector('.jp-InputArea-editor').innerText,
            outputs: (n.querySelector('.jp-OutputArea') || {innerText: ''}).innerText,
        }))""",
    )
