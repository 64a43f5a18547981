"""Shared fixtures: a real Jupyter server with this extension (pytest-jupyter).

Async tests are plain ``async def test_...`` functions: pytest-jupyter runs them on the
same event loop as ``jp_serverapp`` (pytest-asyncio is in strict mode so it does not
take them over onto a loop the server is not running on).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agent_harness import Api

from jupyter_codeagent.testing.fake_model_server import FakeModelServer

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    """Enable the extension; keep authentication on (unauthenticated access refused)."""
    return {
        "ServerApp": {
            # Terminals are not ours and their handlers trip jupyter_server's auth warning.
            # jupyter-collaboration (a test dependency) is off unless a test turns it on.
            "jpserver_extensions": {
                "jupyter_codeagent": True,
                "jupyter_server_terminals": False,
                "jupyter_server_ydoc": False,
                "jupyter_server_fileid": False,
            },
            "allow_unauthenticated_access": False,
        },
    }


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    """The scripted fake model server on loopback, one per test module (script it with
    ``agent_harness.new_script``)."""
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def api(jp_fetch: Any, jp_ws_fetch: Any) -> Api:
    """The extension's REST and WebSocket API as the test user."""
    return Api(jp_fetch, jp_ws_fetch)


_MODEL_ENV_PREFIXES = ("CODEAGENT_", "OPENAI_", "ANTHROPIC_")


@pytest.fixture(autouse=True)
def clean_model_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from no model configuration, whatever the developer's shell has."""
    import os

    for name in list(os.environ):
        if name.startswith(_MODEL_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests apart from the others, each with one retry.

    Playwright's sync API keeps its own event loop set as the thread's current loop
    while the browser lives (session scope); pytest-jupyter would then pick it up as
    the loop of every later server test. So the browser tests run last and, under
    pytest-xdist (``-n 2 --dist loadgroup``, the default), in a worker of their own:
    one worker drives the browser while the other runs the server tests.
    """
    browser = [
        item
        for item in items
        if item.get_closest_marker("browser") is not None or "tests/browser/" in item.nodeid
    ]
    items.sort(key=lambda item: item in browser)
    for item in items:
        item.add_marker(pytest.mark.xdist_group("browser" if item in browser else "server"))
    # A browser test that fails is run once more and reported as rerun ("R"), so a timing
    # hiccup of a headless browser on a loaded machine neither fails CI nor goes unseen.
    for item in browser:
        item.add_marker(pytest.mark.flaky(reruns=1))
