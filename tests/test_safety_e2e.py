"""The safety promise tried end to end, as an attacker would (issue 11, "Tests and figures").

Real server, real sandboxed kernels (bubblewrap), the agents driven by the scripted fake
model through the REST + WebSocket API: a leaked token does not let a cell approve later
cells or loosen the policy; destructive code run unattended cannot reach outside the
root; ``describe_api`` runs no module code; a printed key is stored and sent nowhere;
kernels hold no provider key; without a sandbox, unattended policies ask and say why.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agent_harness import Api, EventReader, model_config, new_script, tool_results_text
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from jupyter_codeagent.sandbox.probe import probe_bwrap
from jupyter_codeagent.testing.agent_script import finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

SECRET = "sk-e2e-provider-key-DO-NOT-LEAK-4242"
HOST_TOKEN = "ghp_e2e-host-token-DO-NOT-LEAK-1717"

_PROBE = probe_bwrap()
needs_bwrap = pytest.mark.skipif(not _PROBE.works, reason=_PROBE.reason or "no bubblewrap")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def approval() -> str:
    return "always"


@pytest.fixture
def sandbox() -> str:
    return "on"


@pytest.fixture
def server_environment(clean_model_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own environment holds the provider key and a foreign token."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("SOME_SERVICE_TOKEN", HOST_TOKEN)


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any],
    server_environment: None,
    fake: FakeModelServer,
    approval: str,
    sandbox: str,
) -> dict[str, Any]:
    config = model_config(fake, "openai", approval, sandbox=sandbox)
    config["openai_api_key"] = SECRET  # the configured key: at least 8 characters
    jp_server_config["CodeAgentExtension"] = config
    return jp_server_config


@pytest.fixture
def outside_dir() -> Iterator[Path]:
    """A folder outside the server root and outside /tmp (which the sandbox replaces)."""
    folder = Path(tempfile.mkdtemp(prefix="codeagent-e2e-outside-", dir="/var/tmp"))
    (folder / "precious.txt").write_text("keep me")
    (folder / "results.csv").write_text("a,b\n1,2\n")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


async def _wait_for_file(path: Path, marker: str, timeout: float = 90.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if path.exists() and marker in path.read_text():
            return path.read_text()
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{path} never contained {marker!r}")


async def _start(api: Api, text: str) -> tuple[dict[str, Any], EventReader]:
    session = await api.create_session()
    events = await api.events(session["id"])
    await api.send(session["id"], text)
    return session, events


# --- a leaked token: the kernel cannot use the control plane ---------------------------

ATTACK = """import json, threading, time, urllib.request
BASE = {base!r}
TOKEN = {token!r}
SESSION = {session!r}

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {{"Authorization": "token " + TOKEN, "Content-Type": "application/json"}}
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=2) as response:
        return json.loads(response.read() or b"null")

def loosen():
    call("PATCH", "codeagent/settings", {{"approval": "never"}})

def approve_pending():
    state = call("GET", "codeagent/sessions/" + SESSION)
    for cell in state["cells"]:
        if cell["status"] == "proposed":
            path = "codeagent/sessions/" + SESSION + "/cells/" + cell["cell_id"] + "/approve"
            call("POST", path, {{}})

def keep_trying():
    attempts = []
    for _ in range(25):
        for name, action in (("settings", loosen), ("approve", approve_pending)):
            try:
                action()
                attempts.append(name + " ok")
            except Exception as exc:
                attempts.append(name + " " + type(exc).__name__)
        time.sleep(0.3)
    open("attack.log", "w").write("\\n".join(attempts) + "\\nDONE")

threading.Thread(target=keep_trying, daemon=True).start()
loosen()
"""
NEXT_CELL = "import os\nos.remove('data.csv')"


@needs_bwrap
async def test_a_cell_with_the_servers_token_cannot_approve_nor_loosen(
    api: Api, fake: FakeModelServer, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    base = f"http://127.0.0.1:{jp_serverapp.port}{jp_serverapp.base_url}"
    token = jp_serverapp.identity_provider.token
    assert token, "the test server has no token to leak"
    # The leaked URL and token are real: from outside the sandbox they work.
    client = AsyncHTTPClient()
    control = await client.fetch(
        HTTPRequest(base + "codeagent/settings", headers={"Authorization": f"token {token}"})
    )
    assert json.loads(control.body)["approval"] == "always"
    (jp_root_dir / "data.csv").write_text("x\n1\n")

    session = await api.create_session()
    attack = ATTACK.format(base=base, token=token, session=session["id"])
    script = new_script(fake)
    script.planner(plan("Look at the data"))
    script.coder(propose(attack), propose(NEXT_CELL), finish("Done."))
    script.reviewer(review("approve", "low"), review("approve", "low"))
    events = await api.events(session["id"])
    await api.send(session["id"], "look at the data")

    first = await events.until_type("cell_proposed")
    assert first["needs_approval"] is True  # policy "always": the user decides
    await api.approve(session["id"], first["cell_id"])  # ... and approves it by hand
    ran = await events.until_type("cell_executed")
    assert ran["cell_id"] == first["cell_id"] and ran["status"] == "error"
    assert ran["outputs"][-1]["ename"] == "URLError"

    second = await events.until_type("cell_proposed")
    assert second["source"] == NEXT_CELL and second["needs_approval"] is True
    log = await _wait_for_file(jp_root_dir / "attack.log", "DONE")
    attempts = log.splitlines()[:-1]
    assert len(attempts) == 50 and not [a for a in attempts if a.endswith(" ok")]

    state = await api.get(session["id"])
    cells = {c["cell_id"]: c for c in state["cells"]}
    assert cells[second["cell_id"]]["status"] == "proposed"  # still waiting for the user
    assert (jp_root_dir / "data.csv").exists()
    settings = await api.call("GET", "settings")
    assert settings["approval"] == "always"
    assert not events.of_type("cell_executing")[1:]  # only the approved cell started
    await api.reject(session["id"], second["cell_id"], "no")
    await events.until_type("run_finished")
    audit = (await api.get(session["id"]))["audit"]
    assert [a["outcome"] for a in audit] == ["error", "rejected"]
    events.close()


# --- destructive code aimed outside the root, run unattended --------------------------

DESTROY = """import os
target = open("where.txt").read().strip()
for name in os.listdir(target):
    os.remove(os.path.join(target, name))
with open(os.path.join(target, "planted.txt"), "w") as handle:
    handle.write("gone")
"""


@needs_bwrap
@pytest.mark.parametrize("approval", ["never"])
async def test_destructive_code_outside_the_root_changes_nothing(
    api: Api, fake: FakeModelServer, jp_root_dir: Path, outside_dir: Path
) -> None:
    before = _snapshot(outside_dir)
    (jp_root_dir / "where.txt").write_text(str(outside_dir))
    script = new_script(fake)
    script.planner(plan("Tidy up"))
    script.coder(propose(DESTROY), finish("Tidied."))
    script.reviewer(review("approve", "low"))
    session, events = await _start(api, "tidy the results folder")

    proposed = await events.until_type("cell_proposed")
    assert proposed["needs_approval"] is False  # "never": not blocked, so it runs
    ran = await events.until_type("cell_executed")
    assert ran["status"] == "error"
    assert "Read-only file system" in json.dumps(ran["outputs"])
    await events.until_type("run_finished")
    assert _snapshot(outside_dir) == before
    audit = (await api.get(session["id"]))["audit"]
    assert [(a["approved_by"], a["outcome"]) for a in audit] == [("policy:never", "error")]
    events.close()


# --- describe_api runs no module code -------------------------------------------------

SIDE_EFFECT_MODULE = '''"""Forecasting helpers of the team."""
import pathlib
pathlib.Path("imported.marker").write_text("module code ran")


def forecast(series, horizon: int = 7, *, seasonal=True):
    """Forecast the next values of a series."""
'''


def _describe(name: str) -> FakeReply:
    return FakeReply(tool_calls=[FakeToolCall("describe_api", {"name": name})])


@needs_bwrap
async def test_describe_api_tool_runs_no_module_code(
    api: Api, fake: FakeModelServer, jp_root_dir: Path
) -> None:
    (jp_root_dir / "team_forecast.py").write_text(SIDE_EFFECT_MODULE)
    script = new_script(fake)
    script.planner(plan("Learn the team's forecasting API"))
    script.coder(
        _describe("team_forecast"),
        _describe("team_forecast.forecast"),
        FakeReply(
            tool_calls=[
                FakeToolCall(
                    "update_task", {"task_id": "t1", "status": "skipped", "note": "Described."}
                )
            ]
        ),
        finish("Use team_forecast.forecast(series, horizon=7)."),
    )
    _session, events = await _start(api, "how do we forecast?")
    finished = await events.until_type("run_finished")
    assert finished["status"] == "done"
    shown = tool_results_text(script.requests_of("coder")[-1])
    assert "Forecasting helpers of the team." in shown
    assert "forecast(series, horizon: int = 7, *, seasonal=True)" in shown
    assert "Forecast the next values of a series." in shown
    assert not (jp_root_dir / "imported.marker").exists()
    assert not events.of_type("cell_executing")
    events.close()


# --- a printed key is stored and sent nowhere; kernels hold no provider key -----------

PRINT_KEY = 'key = open("key.txt").read().strip()\nprint("the key is", key)'
# The analyzer blocks agent cells that read the whole environment: the user runs this one.
ENVIRONMENT = """import os
names = sorted(k for k in os.environ if k.endswith(("_KEY", "_TOKEN", "_SECRET")))
print("secret-like variables:", names)
print("provider key present:", any("DO-NOT-LEAK" in v for v in os.environ.values()))
"""


def _raw_database(path: Path) -> bytes:
    """The database and its write-ahead log, as bytes on disk."""
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()
    )


def _process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


@needs_bwrap
@pytest.mark.parametrize("approval", ["never"])
async def test_a_printed_key_is_stored_and_sent_nowhere(
    api: Api, fake: FakeModelServer, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "key.txt").write_text(SECRET + "\n")
    script = new_script(fake)
    script.planner(plan("Check the configuration"))
    script.coder(propose(PRINT_KEY), finish("Checked."))
    script.reviewer(review("approve", "low"))
    session, events = await _start(api, "check the configuration")

    printed = await events.until_type("cell_executed")
    assert printed["status"] == "ok" and "the key is [redacted]" in json.dumps(printed)
    await events.until_type("run_finished")

    # The model saw the output, redacted; no request body carries the key.
    after_print = tool_results_text(script.requests_of("coder")[-1])
    assert "the key is [redacted]" in after_print
    leaks = [json.dumps(r.body) for r in fake.requests if SECRET in json.dumps(r.body)]
    assert not leaks, [
        leak[max(0, leak.index(SECRET) - 600) : leak.index(SECRET) + 100] for leak in leaks
    ]
    # Events (as sent on the WebSocket, and as stored), the snapshot, the audit.
    assert SECRET not in json.dumps(events.events)
    replay = await api.events(session["id"])
    await replay.until_type("run_finished")
    assert SECRET not in json.dumps(replay.events)
    replay.close()
    snapshot = await api.fetch("codeagent", "sessions", session["id"])
    assert "[redacted]" in snapshot.body.decode() and SECRET not in snapshot.body.decode()
    audit = await api.fetch("codeagent", "sessions", session["id"], "audit")
    assert SECRET not in audit.body.decode()
    # The bytes on disk: the database (and its log) and the notebook.
    db = Path(jp_serverapp.web_app.settings["codeagent"].settings.agents.db_path)
    raw = _raw_database(db)
    assert b"the key is [redacted]" in raw and SECRET.encode() not in raw
    notebook = (jp_root_dir / "analysis.ipynb").read_text()
    assert "the key is [redacted]" in notebook and SECRET not in notebook
    events.close()


@needs_bwrap
async def test_kernels_hold_no_provider_key(api: Api, jp_serverapp: Any, jp_root_dir: Path) -> None:
    """The server's environment has the key and a token; the session's kernel has neither,
    in what its code sees nor in any of its processes' environment."""
    session = await api.create_session()
    app = jp_serverapp.web_app.settings["codeagent"]
    kernel_id = session["kernel_id"]
    result, _diff = await app.context.bridge.execute(kernel_id, ENVIRONMENT)
    text = "".join(o.get("text", "") for o in result.outputs)
    assert "secret-like variables: []" in text and "provider key present: False" in text
    pid = jp_serverapp.kernel_manager.get_kernel(kernel_id).provisioner.pid
    tree = _process_tree(pid)
    assert len(tree) >= 2  # the sandbox and the kernel inside it
    for process in tree:
        environ = Path(f"/proc/{process}/environ").read_bytes()
        assert SECRET.encode() not in environ and HOST_TOKEN.encode() not in environ
        assert b"OPENAI_API_KEY=" not in environ


# --- no sandbox: unattended policies ask, and say why ---------------------------------


@pytest.mark.parametrize("sandbox", ["off"])
@pytest.mark.parametrize("approval", ["risky", "never"])
async def test_without_a_sandbox_unattended_policies_ask_and_say_why(
    api: Api, fake: FakeModelServer, approval: str
) -> None:
    health = await api.call("GET", "health")
    assert health["sandbox"]["active"] is False and health["sandbox"]["reason"]
    script = new_script(fake)
    script.planner(plan("Add two numbers"))
    script.coder(propose("1 + 1"), finish("2."))
    script.reviewer(review("approve", "low"))
    session, events = await _start(api, "what is 1 + 1?")

    proposed = await events.until_type("cell_proposed")
    assert proposed["needs_approval"] is True
    why = proposed["approval_reason"]
    assert f"the '{approval}' policy runs cells unattended only in a sandboxed kernel" in why
    assert "not sandboxed" in why and health["sandbox"]["reason"] in why
    await api.approve(session["id"], proposed["cell_id"])
    ran = await events.until_type("cell_executed")
    assert ran["status"] == "ok"
    await events.until_type("run_finished")
    audit = (await api.get(session["id"]))["audit"]
    assert len(audit) == 1 and not audit[0]["approved_by"].startswith("policy:")
    events.close()
