"""Accessibility and layout: WCAG AA contrast of everything the extension draws (axe-core,
read from node_modules: no network at test time) in the light and dark themes, a
disabled Send that looks disabled, a 250 px sidebar that clips no action, and the
compact no-model card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeagent.testing.agent_script import plan, propose, review
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

from .conftest import LabServer, open_lab
from .review_helpers import fake, lab, new_script, set_theme, shot, sidebar_width
from .sidebar_helpers import (
    SIDEBAR,
    TIMEOUT,
    card,
    open_notebook,
    open_sidebar,
    wait_card_status,
    write_notebook,
)

pytestmark = pytest.mark.browser
__all__ = ["fake", "lab"]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
OURS = [[SIDEBAR], [".jp-CodeAgent-inline"]]
READ = "import pandas as pd\ndf = pd.read_csv('sales.csv')\ndf"


def contrast_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's color-contrast (WCAG AA) violations in the extension's own nodes."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `jlpm install` (axe-core is a dev dependency)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async include => {
            // JupyterLab's body is 0 px high (the shell is absolutely positioned) and
            // hides its overflow, so axe would take every static node for clipped and
            // skip it. Giving the body the viewport's height moves no pixel.
            const height = document.body.style.height;
            document.body.style.height = '100vh';
            const result = await axe.run(
                {include: include.filter(sel => document.querySelector(sel[0]))},
                {runOnly: {type: 'rule', values: ['color-contrast']}}
            );
            document.body.style.height = height;
            return {
                checked: result.passes.reduce((sum, v) => sum + v.nodes.length, 0),
                violations: result.violations.flatMap(v => v.nodes.map(n => ({
                    target: n.target.join(' '),
                    summary: n.failureSummary,
                    html: n.html.slice(0, 160),
                }))),
            };
        }""",
        OURS,
    )
    # The check looked at real text (not an empty or hidden panel).
    assert result["checked"] >= 10, result
    return list(result["violations"])


def test_contrast_in_light_and_dark_and_a_narrow_sidebar(
    page: Any, lab: LabServer, fake: Any
) -> None:
    write_notebook(lab.root, "a11y.ipynb")
    (lab.root / "keep").mkdir(exist_ok=True)
    script = new_script(fake)
    script.planner(plan("Clean up", "Say ok", "Read the data"))
    script.coder(
        propose("import shutil\nshutil.rmtree('keep')", "Clean up.", "t1"),
        propose("print('ok')", "Say it.", "t2"),
        FakeReply(
            tool_calls=[
                FakeToolCall("update_task", {"task_id": "t2", "status": "done"}),
                FakeToolCall(
                    "propose_cell", {"code": READ, "explanation": "Read.", "task_id": "t3"}
                ),
            ]
        ),
    )
    script.reviewer(review(), review("approve", "medium", "Reads a `csv` file."))
    set_theme(lab, "JupyterLab Light")
    open_notebook(page, lab, "a11y.ipynb")
    open_sidebar(page)
    sidebar_width(page, 250)

    # An empty session: example requests, and a disabled Send that looks disabled.
    page.locator(f"{SIDEBAR} .jp-CodeAgent-example").first.wait_for(timeout=TIMEOUT)
    send_button = page.locator(f"{SIDEBAR} .jp-CodeAgent-send")
    assert send_button.is_disabled()
    look = "b => getComputedStyle(b).borderStyle + ' ' + getComputedStyle(b).backgroundColor"
    disabled = send_button.evaluate(look)
    page.locator(f"{SIDEBAR} .jp-CodeAgent-example").first.click()
    assert page.locator(f"{SIDEBAR} .jp-CodeAgent-input").input_value().startswith("Load the CSV")
    assert send_button.is_enabled()
    enabled = send_button.evaluate(look)
    assert "dashed" in disabled and disabled != enabled
    assert contrast_violations(page) == []
    shot(page, "a11y-empty-session", SIDEBAR)

    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").fill("clean, say ok, read")
    page.locator(f"{SIDEBAR} .jp-CodeAgent-input").press("Enter")
    wait_card_status(page, 0, "blocked")
    card(page, 1).locator(".jp-CodeAgent-approve").click()
    wait_card_status(page, 1, "done")
    pending = wait_card_status(page, 2, "proposed")
    page.locator(".jp-NotebookPanel .jp-CodeAgent-inline").wait_for(timeout=TIMEOUT)

    # 250 px: the actions of the card and of the waiting bar fit on one line, unclipped.
    for selector in (
        f"{SIDEBAR} .jp-CodeAgent-card.jp-mod-pending .jp-CodeAgent-card-actions",
        f"{SIDEBAR} .jp-CodeAgent-waiting-actions",
    ):
        layout = page.evaluate(
            """selector => {
                const row = document.querySelector(selector);
                const side = document.querySelector('#jp-codeagent-sidebar');
                const bar = side.getBoundingClientRect();
                const buttons = [...row.querySelectorAll('button')];
                const boxes = buttons.map(b => b.getBoundingClientRect());
                return {
                    tops: [...new Set(boxes.map(b => Math.round(b.top)))],
                    inside: boxes.every(b => b.left >= bar.left - 1 && b.right <= bar.right + 1),
                    clipped: buttons.some(b => b.scrollWidth > b.clientWidth + 1),
                };
            }""",
            selector,
        )
        assert len(layout["tops"]) == 1 and layout["inside"] and not layout["clipped"], (
            selector,
            layout,
        )
    overflow = page.evaluate(
        "() => { const s = document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-sidebar');"
        " return s.scrollWidth - s.clientWidth; }"
    )
    assert overflow <= 1
    assert pending.get_attribute("aria-label").startswith(
        "Proposed cell for “Read the data”, medium risk"
    )
    assert contrast_violations(page) == []
    shot(page, "a11y-light-250px")

    # The same in the dark theme (the session and its waiting card come back after a reload).
    set_theme(lab, "JupyterLab Dark")
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=TIMEOUT)
    open_sidebar(page)
    wait_card_status(page, 2, "proposed")
    page.locator(".jp-NotebookPanel .jp-CodeAgent-inline").wait_for(timeout=TIMEOUT)
    page.locator(f"{SIDEBAR} .jp-CodeAgent-plan-finished").click()  # finished tasks too
    assert contrast_violations(page) == []
    shot(page, "a11y-dark")
    card(page, 2).locator(".jp-CodeAgent-reject").click()
    card(page, 2).locator(".jp-CodeAgent-reject-confirm").click()
    wait_card_status(page, 2, "rejected")
    set_theme(lab, "JupyterLab Light")


def test_no_model_card_is_compact_with_copy_and_settings(
    lab_server_factory: Callable[..., LabServer], page: Any
) -> None:
    server = lab_server_factory()
    open_lab(page, server)
    page.keyboard.press("Alt+Shift+A")
    setup = page.locator(".jp-CodeAgent-health-setup")
    setup.wait_for(timeout=TIMEOUT)
    # One example at a time, chosen by tab; each can be copied.
    assert setup.locator("pre").count() == 1
    assert "OPENAI_API_KEY" in setup.locator("pre").inner_text()
    setup.get_by_role("radio", name="Ollama").click()
    assert "OPENAI_BASE_URL=http://localhost:11434/v1" in setup.locator("pre").inner_text()
    setup.locator(".jp-CodeAgent-copy").click()
    assert setup.locator(".jp-CodeAgent-copy").inner_text() == "Copied"
    overflow = setup.locator("pre").evaluate("p => p.scrollWidth - p.clientWidth")
    assert overflow <= 1  # the URL wraps instead of being clipped
    assert contrast_violations(page) == []
    shot(page, "a11y-no-model", SIDEBAR)
    setup.locator(".jp-CodeAgent-open-settings").click()
    page.locator(".jp-PluginList-entry:has-text('Code Agent')").first.wait_for(timeout=TIMEOUT)
