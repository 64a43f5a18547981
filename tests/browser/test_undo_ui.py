"""Undo in the sidebar: a real `jupyter lab`, real kernel, scripted fake model, Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import RoleScript, finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer

from .conftest import LabServer
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
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

LOAD = "import pandas as pd\ndf = pd.DataFrame({'a': range(10)})"
FILTER = "df = df[df.a > 4]\ntotal = int(df.a.sum())"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def lab(module_lab_factory: Callable[..., LabServer], fake: FakeModelServer) -> LabServer:
    return module_lab_factory(env=model_env(fake, CODEAGENT_APPROVAL="never"))


def test_undo_a_card_then_revert_the_run(page: Any, lab: LabServer, fake: Any) -> None:
    write_notebook(lab.root, "undo.ipynb")
    script = RoleScript()
    fake.responder = script
    script.planner(plan("Load", "Filter"))
    script.coder(propose(LOAD, "Load.", "t1"), propose(FILTER, "Filter.", "t2"), finish("Done."))
    script.reviewer(review(), review())
    open_notebook(page, lab, "undo.ipynb")
    open_sidebar(page)
    send(page, "load and filter")
    wait_card_status(page, 0, "done")
    second = wait_card_status(page, 1, "done")
    wait_run_status(page, "done")
    [session] = [s for s in api(lab, "GET", "sessions") if s["notebook_path"] == "undo.ipynb"]
    names = {v["name"] for v in api(lab, "GET", f"sessions/{session['id']}")["variables"]}
    assert {"df", "total"} <= names

    # The older card cannot be undone alone: the banner says why.
    card(page, 0).locator(".jp-CodeAgent-undo-button").click()
    banner = page.locator(f"{SIDEBAR} .jp-CodeAgent-banner-text")
    banner.wait_for(timeout=TIMEOUT)
    assert "ran after it" in banner.inner_text()

    # Undo the newest card: it is marked undone, the kernel's df is whole again.
    second.locator(".jp-CodeAgent-undo-button").click()
    wait_card_status(page, 1, "undone")
    assert "Undone" in second.locator(".jp-CodeAgent-undo").inner_text()
    names = {v["name"] for v in api(lab, "GET", f"sessions/{session['id']}")["variables"]}
    assert "total" not in names and "df" in names

    # Revert run undoes what is left of the run (the first cell).
    revert = page.locator(f"{SIDEBAR} .jp-CodeAgent-revert-button")
    assert revert.inner_text() == "Revert run (1 cell)"
    revert.click()
    wait_card_status(page, 0, "undone")
    revert.wait_for(state="detached", timeout=TIMEOUT)
    names = {v["name"] for v in api(lab, "GET", f"sessions/{session['id']}")["variables"]}
    assert not names & {"df", "total"}
