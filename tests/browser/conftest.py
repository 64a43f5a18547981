"""Browser-test rig: a real `jupyter lab` on loopback driven by Debian's Chromium.

`lab_server` starts JupyterLab in a subprocess with a token and a temporary root;
`page` opens it in headless Chromium through Playwright and saves a screenshot
(into test-artifacts/) when the test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CODEAGENT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Without these, Chromium keeps trying to reach Google services this sandbox cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}{path}?token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_until_up(server: LabServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited early (exit code {server.process.returncode}; "
                f"negative: the signal that ended it):\n{server.log()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}api/status?token={server.token}", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not start within {timeout}s:\n{server.log()}")


#: jupyter-collaboration (a test dependency) enables real-time collaboration in every
#: JupyterLab once installed; tests run without it unless they ask for it (``rtc=True``).
RTC_SERVER_EXTENSIONS = ("jupyter_server_ydoc", "jupyter_server_fileid")
RTC_LAB_EXTENSIONS = ("@jupyter/docprovider-extension", "@jupyter/collaboration-extension")


def _collaboration_config(config_dir: Path, *, rtc: bool) -> None:
    """User-level Jupyter config (the highest priority) that turns RTC on or off."""
    config_dir.mkdir(parents=True, exist_ok=True)
    server = {"ServerApp": {"jpserver_extensions": dict.fromkeys(RTC_SERVER_EXTENSIONS, rtc)}}
    if rtc:
        # A short save delay keeps the tests that read the file quick.
        server["YDocExtension"] = {"document_save_delay": 0.5}  # type: ignore[assignment]
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server))
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(exist_ok=True)
    page = {"disabledExtensions": dict.fromkeys(RTC_LAB_EXTENSIONS, not rtc)}
    (labconfig / "page_config.json").write_text(json.dumps(page))


def _start_lab(
    base: Path,
    servers: list[LabServer],
    env: dict[str, str] | None,
    root: Path | None,
    rtc: bool = False,
) -> LabServer:
    port = _free_port()
    token = f"test-token-{port}"
    root_dir = root or base / "root"
    root_dir.mkdir(parents=True, exist_ok=True)
    log_path = base / f"lab-{port}.log"
    config_dir = base / f"config-{port}"
    _collaboration_config(config_dir, rtc=rtc)
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CODEAGENT_", "OPENAI_", "ANTHROPIC_"))
    }
    child_env.update(
        {
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_DATA_DIR": str(base / "data"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "CODEAGENT_DB_PATH": str(base / "codeagent.db"),
            # Kernels of concurrent test runs must not share IPython's history database
            # (a journal left behind by one makes another's start fail in the sandbox).
            "IPYTHONDIR": str(base / "ipython"),
        }
    )
    child_env.update(env or {})
    # No "get notified about Jupyter news?" toast over the sidebar's composer.
    notification = base / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # a failing test reports the commands' state
    ]  # fmt: skip
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        command, env=child_env, stdout=log_file, stderr=subprocess.STDOUT, cwd=base
    )
    server = LabServer(
        url=f"http://127.0.0.1:{port}/",
        token=token,
        root=root_dir,
        process=process,
        log_path=log_path,
    )
    servers.append(server)
    _wait_until_up(server)
    return server


def _stop_labs(servers: list[LabServer]) -> None:
    for server in servers:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def lab_server_factory(tmp_path: Path) -> Iterator[Callable[..., LabServer]]:
    """Start `jupyter lab` subprocesses for one test (stopped after it)."""
    servers: list[LabServer] = []

    def start(
        env: dict[str, str] | None = None, root: Path | None = None, rtc: bool = False
    ) -> LabServer:
        return _start_lab(tmp_path, servers, env, root, rtc)

    yield start
    _stop_labs(servers)


@pytest.fixture(scope="module")
def module_lab_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LabServer]]:
    """Like `lab_server_factory`, but the servers live for the whole test module."""
    servers: list[LabServer] = []
    base = tmp_path_factory.mktemp("lab")

    def start(
        env: dict[str, str] | None = None, root: Path | None = None, rtc: bool = False
    ) -> LabServer:
        return _start_lab(base, servers, env, root, rtc)

    yield start
    _stop_labs(servers)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API runs an event loop in this thread while it is
    # open, and the async (pytest-jupyter) tests after the browser tests need it closed.
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Says in the console (printed when a test fails) what can take a key press away from
# the extension: a JupyterLab dialog that showed, even briefly, and where each shortcut
# key with modifiers went.
_WITNESS_SCRIPT = """
(() => {
  const text = node => (node.innerText || '').replace(/\\s+/g, ' ').slice(0, 200);
  new MutationObserver(records => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.matches('.jp-Dialog')) {
          setTimeout(() => console.warn('witness: dialog shown: ' + text(node)), 0);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
  document.addEventListener('keydown', event => {
    const modifierOnly = ['Alt', 'Shift', 'Control', 'Meta'].includes(event.key);
    if (modifierOnly || !(event.altKey || event.ctrlKey || event.metaKey)) { return; }
    const target = event.target;
    const where = target && target.tagName
      ? target.tagName + '.' + String(target.className).slice(0, 80) : String(target);
    console.warn('witness: key ' + (event.altKey ? 'Alt+' : '') + (event.shiftKey ? 'Shift+' : '')
      + (event.ctrlKey ? 'Ctrl+' : '') + event.key + ' on ' + where);
  }, true);
})();
"""


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(script=_WITNESS_SCRIPT)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        path = save_screenshot(page, request.node.nodeid)
        (path.with_suffix(".console.txt")).write_text("\n".join(console))
        print(f"screenshot of the failure: {path}")
        troubles = [
            line
            for line in console
            if not line.startswith(("log:", "debug:", "info:")) and "to activate" not in line
        ]
        print(f"browser console: last warnings and errors ({len(troubles)} in all)")
        print("\n".join(troubles[-30:]))
        _print_server_troubles(request)
    context.close()


def _print_server_troubles(request: pytest.FixtureRequest) -> None:
    """The warnings and errors of the test's lab server, for a failure seen only in CI."""
    servers = [v for v in request.node.funcargs.values() if isinstance(v, LabServer)]
    for server in servers:
        lines = [
            line
            for line in server.log().splitlines()
            if any(word in line for word in ("WARNING", "ERROR", "Traceback", "Error:"))
        ]
        print(f"lab server {server.url}: last warnings and errors ({len(lines)} in all)")
        print("\n".join(lines[-40:]))
        _print_sessions(server)
    from jupyter_codeagent.testing.agent_script import role_of
    from jupyter_codeagent.testing.fake_model_server import FakeModelServer

    for fake in [v for v in request.node.funcargs.values() if isinstance(v, FakeModelServer)]:
        roles = [role_of(r) or r.path for r in fake.requests]
        print(f"fake model: {len(roles)} requests, by role in order: {roles[-30:]}")
        print(f"fake model: {len(fake.aborted)} aborted by the client; errors: {fake.errors[-5:]}")


def _print_sessions(server: LabServer) -> None:
    """What the server holds of each session (the chat may show less)."""
    from .sidebar_helpers import api

    try:
        for listed in api(server, "GET", "sessions"):
            snapshot = api(server, "GET", f"sessions/{listed['id']}")
            cells = [(c.get("status"), c.get("task_id")) for c in snapshot.get("cells", [])]
            tasks = [
                (t.get("id"), t.get("status")) for t in snapshot.get("plan", {}).get("tasks", [])
            ]
            print(
                f"session {listed['id'][:8]} ({snapshot.get('notebook_path')}): "
                f"status {snapshot.get('status')}, last_seq {snapshot.get('last_seq')}, "
                f"plan {tasks}, cells {cells}, pending {snapshot.get('pending')}"
            )
    except Exception as error:  # the server may be the thing that broke
        print(f"the sessions could not be read: {error}")


def open_lab(page: Any, server: LabServer) -> None:
    """Open JupyterLab and wait until the application shell is up."""
    page.goto(server.lab_url(), wait_until="domcontentloaded")
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    # The launcher appears once plugins have activated.
    page.wait_for_selector(".jp-Launcher", timeout=60_000)


@pytest.fixture(autouse=True)
def _clean_slate_on_rerun(request: pytest.FixtureRequest) -> None:
    """A rerun (see tests/conftest.py) starts without the sessions of the failed attempt.

    Tests of a module share one lab; without this, the rerun of a test would open its
    notebook's session of the first attempt (its run perhaps still waiting) and fail
    for that reason alone, hiding whether the failure comes back.
    """
    if getattr(request.node, "execution_count", 1) <= 1 or "lab" not in request.fixturenames:
        return
    server = request.getfixturevalue("lab")
    if not isinstance(server, LabServer):
        return
    from .sidebar_helpers import api

    for session in api(server, "GET", "sessions"):
        api(server, "DELETE", f"sessions/{session['id']}")


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[None]:
    """Browser tests are synchronous and Playwright's sync API owns the event loop here;
    pytest-jupyter's per-test loop would try to close Playwright's running loop."""
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> Iterator[None]:
    """No in-process Jupyter server here: the lab runs in a subprocess."""
    yield None
