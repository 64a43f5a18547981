"""`jupyter codeagent run` end to end: the CLI as a subprocess, a real kernel, the real
OpenAI SDK, and the fake model server scripting each agent role."""

from __future__ import annotations

import os
import pty
import queue
import select
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from agent_harness import new_script, tool_results_text

from jupyter_codeagent.store import SessionStore
from jupyter_codeagent.testing.agent_script import RoleScript, call, finish, plan, propose, review
from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import FakeReply, FakeToolCall

RUN_TIMEOUT = 60
WRITE_MARKER = "open('marker.txt', 'w').write('ran')"
RMTREE = "import shutil\nshutil.rmtree('victim')"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeModelServer]:
    with FakeModelServer() as server:
        yield server


@pytest.fixture
def script(fake: FakeModelServer) -> RoleScript:
    return new_script(fake)


@pytest.fixture
def env(tmp_path: Path, fake: FakeModelServer) -> dict[str, str]:
    """The model configuration in the environment; every Jupyter/IPython dir in tmp."""
    child = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CODEAGENT_", "OPENAI_", "ANTHROPIC_", "JUPYTER", "IPYTHON"))
        and k not in ("VISUAL", "EDITOR")
    }
    dirs = {"HOME": "home", "JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data"}
    dirs.update(JUPYTER_RUNTIME_DIR="runtime", IPYTHONDIR="ipython")
    for variable, name in dirs.items():
        (tmp_path / name).mkdir()
        child[variable] = str(tmp_path / name)
    child.update(
        JUPYTER_PLATFORM_DIRS="1",
        CODEAGENT_PROVIDER="openai",
        CODEAGENT_MODEL="fake-model",
        OPENAI_BASE_URL=fake.openai_base_url,
        OPENAI_API_KEY="sk-fake",
        CODEAGENT_MAX_RETRIES="0",
        CODEAGENT_EXECUTION_TIMEOUT="90",
    )
    return child


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    (folder / "victim").mkdir(parents=True)
    (folder / "victim" / "keep.txt").write_text("precious")
    return folder


def _command(notebook: Path, task: str, *flags: str) -> list[str]:
    return [sys.executable, "-m", "jupyter_codeagent.cli", "run", str(notebook), task, *flags]


def run_cli(
    env: dict[str, str], notebook: Path, *flags: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run to the end; stdin is a pipe (so not a terminal) holding ``stdin``."""
    return subprocess.run(
        _command(notebook, "Do the task.", *flags),
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=notebook.parent,
        timeout=RUN_TIMEOUT,
    )


def agent_cells(notebook: Path) -> list[Any]:
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    return [c for c in nb.cells if "codeagent" in c.metadata]


def status_of(cell: Any) -> str:
    return str(cell.metadata["codeagent"]["status"])


def no_kernel_left(env: dict[str, str]) -> bool:
    """A kernel that was shut down removed its connection file."""
    return not list(Path(env["JUPYTER_RUNTIME_DIR"]).glob("**/kernel-*.json"))


def test_never_policy_writes_cells_and_outputs_to_the_file(
    script: RoleScript, env: dict[str, str], work: Path
) -> None:
    script.planner(plan("Compute", "Clean up"))
    script.coder(
        propose("x = 6 * 7\nprint(x)", "Multiply.", task_id="t1"),
        call("update_task", task_id="t1", status="done"),
        propose(RMTREE, "Remove the folder.", task_id="t2"),
        finish("x is 42; the clean-up was refused."),
    )
    script.reviewer(review("approve"))  # the blocked cell never reaches the reviewer
    notebook, db = work / "analysis.ipynb", work / "kept" / "session.db"

    result = run_cli(env, notebook, "--approval", "never", "--db", str(db))

    assert result.returncode == 0, result.stdout + result.stderr
    cells = agent_cells(notebook)
    assert len(cells) == 1 and status_of(cells[0]) == "done"
    assert cells[0].outputs[0]["text"] == "42\n" and cells[0].execution_count == 1
    assert (work / "victim" / "keep.txt").exists()
    out = result.stdout
    assert "[x] t1 Compute" in out and "=> ok [1]: 42" in out
    assert "blocked, will not run" in out and "Run done." in out
    assert "x is 42; the clean-up was refused." in out
    assert "blocked" in tool_results_text(script.requests_of("coder")[-1])
    store = SessionStore(str(db))
    try:
        (session,) = store.list_sessions()
        assert session.status == "done"
        assert [c.status for c in store.list_cells(session.id)] == ["done", "blocked"]
    finally:
        store.close()
    assert no_kernel_left(env)


def test_always_without_a_terminal_rejects_the_cell(
    script: RoleScript, env: dict[str, str], work: Path
) -> None:
    script.planner(plan("Write the marker"))
    script.coder(propose(WRITE_MARKER, "Write it."), finish("The cell was not approved."))
    script.reviewer(review("approve"))
    notebook = work / "analysis.ipynb"

    result = run_cli(env, notebook, "--approval", "always")

    # Asked to compute, nothing ran: the run says so and the exit code is 3, not 0.
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Run done. No code ran." in result.stdout
    assert not (work / "marker.txt").exists()
    assert "no interactive approval available" in result.stdout and "--yes" in result.stdout
    assert "no interactive approval available" in tool_results_text(script.requests_of("coder")[-1])
    (cell,) = agent_cells(notebook)
    assert status_of(cell) == "rejected" and cell.outputs == []


def test_yes_approves_every_cell_but_the_blocked_one(
    script: RoleScript, env: dict[str, str], work: Path
) -> None:
    script.planner(plan("Write the marker"))
    script.coder(propose(WRITE_MARKER, "Write it."), propose(RMTREE), finish("Marker written."))
    script.reviewer(review("approve"))
    notebook = work / "analysis.ipynb"

    result = run_cli(env, notebook, "--approval", "always", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    assert (work / "marker.txt").read_text() == "ran"
    assert (work / "victim" / "keep.txt").exists()
    assert "approved (--yes)" in result.stdout
    assert [status_of(c) for c in agent_cells(notebook)] == ["done"]


def test_interactive_answers_on_piped_stdin(
    script: RoleScript, env: dict[str, str], work: Path, tmp_path: Path
) -> None:
    """--interactive reads the answers from a pipe: a question, n with a reason, e then y."""
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, sys\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('COLOR_A', 'COLOR_B'))\n"
    )
    env["EDITOR"] = f"{shlex.quote(sys.executable)} {shlex.quote(str(editor))}"
    script.planner(plan("Write files"))
    script.coder(
        call("ask_user", question="Which colour?"),
        propose("open('first.txt', 'w').write('1')", "First try."),
        propose("with open('second.txt', 'w') as f:\n    f.write('COLOR_A')", "Second try."),
        finish("Wrote second.txt."),
    )
    script.reviewer(review("approve"), review("approve"))
    notebook = work / "analysis.ipynb"

    result = run_cli(env, notebook, "--interactive", stdin="blue\nn use a context manager\ne\ny\n")

    assert result.returncode == 0, result.stdout + result.stderr
    assert not (work / "first.txt").exists()
    assert (work / "second.txt").read_text() == "COLOR_B"
    seen = tool_results_text(script.requests_of("coder")[-1])
    assert "blue" in seen and "use a context manager" in seen
    assert "The user edited the cell" in seen
    first, second = agent_cells(notebook)
    assert status_of(first) == "rejected"
    assert status_of(second) == "done" and "COLOR_B" in second.source
    assert "? Which colour?" in result.stdout and "The cell now reads:" in result.stdout


def test_approval_on_a_real_terminal(script: RoleScript, env: dict[str, str], work: Path) -> None:
    """On a pty the CLI knows it is interactive without being told."""
    script.planner(plan("Write the marker"))
    script.coder(propose(WRITE_MARKER, "Write it."), finish("Marker written."))
    script.reviewer(review("approve"))
    notebook = work / "analysis.ipynb"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        _command(notebook, "Do the task.", "--approval", "always"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=work,
    )
    os.close(slave)
    try:
        os.write(master, b"y\n")  # the terminal holds the line until the prompt reads it
        transcript = _read_until_closed(master, RUN_TIMEOUT)
        assert proc.wait(timeout=RUN_TIMEOUT) == 0, transcript
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert "Run this cell?" in transcript
    assert (work / "marker.txt").read_text() == "ran"


def _read_until_closed(fd: int, timeout: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every process holding the terminal has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_no_model_configured_fails_with_the_reason(env: dict[str, str], work: Path) -> None:
    del env["CODEAGENT_PROVIDER"]
    notebook = work / "analysis.ipynb"

    result = run_cli(env, notebook)

    assert result.returncode == 1
    assert "not ready" in result.stderr and "CODEAGENT_PROVIDER" in result.stderr
    assert not notebook.exists()


def test_ctrl_c_stops_the_run_and_keeps_what_ran(
    script: RoleScript, env: dict[str, str], work: Path
) -> None:
    script.planner(plan("Slow work"))
    script.coder(
        propose("print('first')", "Quick."),
        propose("import time\ntime.sleep(60)\nprint('never')", "Slow."),
    )
    script.reviewer(review("approve"), review("approve"))
    notebook = work / "analysis.ipynb"
    proc = subprocess.Popen(
        _command(notebook, "Do the task.", "--approval", "never"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=work,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()])
    reader.start()
    try:
        seen = _wait_for_line(lines, lambda line: "running" in line, count=2)
        time.sleep(0.5)  # let the kernel get into the sleep
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        code = proc.wait(timeout=30)
        stopped_in = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=10)
    seen += "".join(lines.queue)
    assert code == 2, seen
    assert stopped_in < 15, seen
    assert "Run stopped." in seen
    first, slow = agent_cells(notebook)
    assert status_of(first) == "done" and first.outputs[0]["text"] == "first\n"
    assert slow.outputs == []
    assert no_kernel_left(env)


def _wait_for_line(lines: queue.Queue[str], match: Any, *, count: int) -> str:
    seen: list[str] = []
    deadline = time.monotonic() + RUN_TIMEOUT
    while count:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        seen.append(line)
        if match(line):
            count -= 1
    return "".join(seen)


def test_verbose_streams_the_text_and_the_tool_calls(
    script: RoleScript, env: dict[str, str], work: Path
) -> None:
    script.planner(
        FakeReply(
            text="Let me plan this.",
            tool_calls=[FakeToolCall("create_plan", {"tasks": [{"title": "Add"}]})],
        )
    )
    script.coder(propose("print(20 + 22)", "Add."), finish("It is 42."))
    script.reviewer(review("approve"))
    notebook = work / "analysis.ipynb"

    result = run_cli(env, notebook, "--approval", "always", "--yes", "--verbose")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "[planner] Let me plan this." in out
    assert "(planner) -> create_plan(tasks=" in out
    assert "(coder) <- propose_cell ok:" in out and "42" in out
