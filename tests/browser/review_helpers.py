"""Shared pieces of the review browser tests (`test_review_*.py`): a lab with the fake
model per module, named screenshots kept in test-artifacts/, and small page helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import RoleScript
from jupyter_codeagent.testing.fake_model_server import FakeModelServer

from .conftest import ARTIFACTS, LabServer
from .sidebar_helpers import SIDEBAR, TIMEOUT, model_env

CSV = "region,revenue\nnorth,120\nsouth,80\nnorth,30\neast,55\n"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def lab(module_lab_factory: Callable[..., LabServer], fake: FakeModelServer) -> LabServer:
    server = module_lab_factory(env=model_env(fake))
    (server.root / "sales.csv").write_text(CSV)
    return server


def new_script(fake: FakeModelServer) -> RoleScript:
    script = RoleScript()
    fake.responder = script
    return script


def shot(page: Any, name: str, selector: str | None = None) -> Path:
    """Keep a named screenshot of a main state in test-artifacts/ (for review)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"review-{name}.png"
    if selector:
        page.locator(selector).first.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))
    return path


def active_element(page: Any) -> dict[str, Any]:
    """What has the keyboard focus: its classes, label and cell id, if any."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {
                tag: el ? el.tagName : null,
                classes: el ? el.className : '',
                label: el ? el.getAttribute('aria-label') : null,
                cellId: el && el.dataset ? el.dataset.cellId || null : null,
                inSidebar: !!(el && el.closest('#jp-codeagent-sidebar')),
            };
        }"""
    )


def wait_focus_on_card(page: Any, index: int) -> None:
    """Wait until the index-th review card (0-based) holds the keyboard focus."""
    page.wait_for_function(
        """index => {
            const cards = document.querySelectorAll('#jp-codeagent-sidebar .jp-CodeAgent-card');
            return cards[index] && document.activeElement === cards[index];
        }""",
        arg=index,
        timeout=TIMEOUT,
    )


def set_theme(server: LabServer, theme: str) -> None:
    """Choose JupyterLab's theme through its settings API (applies on the next load)."""
    import json
    import urllib.request

    raw = json.dumps({"theme": theme})
    request = urllib.request.Request(
        f"{server.url}lab/api/settings/@jupyterlab/apputils-extension:themes",
        data=json.dumps({"raw": raw}).encode(),
        method="PUT",
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def sidebar_width(page: Any, width: int) -> None:
    """Drag the right side panel's splitter until the panel is `width` pixels wide."""
    panel = page.locator("#jp-right-stack")
    box = panel.bounding_box()
    handle_x = box["x"] - 2
    y = box["y"] + box["height"] / 2
    page.mouse.move(handle_x, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - width - 2, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "width => Math.abs("
        f"document.querySelector('{SIDEBAR}').getBoundingClientRect().width - width) < 12",
        arg=width,
        timeout=TIMEOUT,
    )
