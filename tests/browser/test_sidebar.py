"""The Code Agent sidebar in a real JupyterLab, in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jupyter_codeagent.testing.fake_model_server import FakeModelServer

from .conftest import LabServer, open_lab

pytestmark = pytest.mark.browser


def test_sidebar_shows_how_to_configure_a_model(
    lab_server_factory: Callable[..., LabServer], page: Any
) -> None:
    server = lab_server_factory()
    open_lab(page, server)
    # The icon in the right side bar opens the panel.
    page.click('.jp-SideBar.jp-mod-right li[data-id="jp-codeagent-sidebar"]')
    setup = page.wait_for_selector(".jp-CodeAgent-health-setup", timeout=30_000)
    text = setup.inner_text()
    assert "No model is configured" in text
    # One example at a time (OpenAI, Anthropic, Ollama), chosen by tab.
    for tab, names in (
        ("OpenAI", ("CODEAGENT_PROVIDER", "OPENAI_API_KEY")),
        ("Anthropic", ("ANTHROPIC_API_KEY",)),
        ("Ollama", ("OPENAI_BASE_URL", "localhost:11434")),
    ):
        page.click(f".jp-CodeAgent-setup-tab:has-text('{tab}')")
        for name in names:
            assert name in setup.inner_text()


def test_palette_command_opens_sidebar_with_model(
    lab_server_factory: Callable[..., LabServer], page: Any
) -> None:
    with FakeModelServer() as fake:
        server = lab_server_factory(
            env={
                "CODEAGENT_PROVIDER": "openai",
                "CODEAGENT_MODEL": "fake-gpt",
                "OPENAI_BASE_URL": fake.openai_base_url,
            }
        )
        open_lab(page, server)
        page.keyboard.press("Alt+Shift+A")
        ready = page.wait_for_selector(".jp-CodeAgent-health-ready", timeout=30_000)
        assert "fake-gpt" in ready.inner_text()
        assert "openai" in ready.inner_text()
        assert page.is_visible("#jp-codeagent-sidebar")

        # The command is in the palette too, with its label.
        page.keyboard.press("Control+Shift+C")
        page.fill(".lm-CommandPalette-input", "Code Agent")
        assert page.wait_for_selector(
            '.lm-CommandPalette-item:has-text("Code Agent: Open")', timeout=10_000
        )
