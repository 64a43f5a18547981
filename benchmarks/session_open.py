"""The cost of opening a long session: flat in its length, on the server and in the browser.

    python benchmarks/session_open.py [--turns 600] [--at 6,60,600] [--repeat 15]
                                      [--browser | --no-browser] [--keep DIR]

1. **Build** a session of ``--turns`` turns through the real code paths (``Session``,
   the agent loop, the store, a real kernel, the OpenAI SDK against the scripted fake
   model on loopback): each turn is a 2,000-character answer streamed in 4-character
   deltas, or, every 10th turn, a plan with one cell that runs (approval ``never``).
   The database is copied (SQLite backup) when the turn count reaches each of ``--at``.
2. **Open** each copy in a real ``jupyter lab`` the way the sidebar does:
   ``GET sessions/{id}?turns=10`` then the events WebSocket ``?after=last_seq``. Time
   (median of ``--repeat``, the first request not counted), bytes and events sent. For
   contrast, the way that grew with the session: the full snapshot and a replay from 0.
3. **Time to interactive in Chromium** on the longest session: with the sidebar on a
   new, empty session, the session is picked from the session list; the clock runs
   from the click until the newest answer is on screen and the composer takes input.

Prints figures only. Targets (issue 15): opening at turn 600 within 1.5x of turn 6;
the sidebar interactive in under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyter_codeagent.app import CodeAgentApp  # noqa: E402
from jupyter_codeagent.headless.local_jupyter import LocalJupyter  # noqa: E402
from jupyter_codeagent.settings import AgentSettings, ModelSettings, Settings  # noqa: E402
from jupyter_codeagent.testing.agent_script import (  # noqa: E402
    RoleScript,
    finish,
    plan,
    propose,
    review,
    text,
)
from jupyter_codeagent.testing.fake_model_server import FakeModelServer  # noqa: E402
from jupyter_codeagent.testing.fake_script import FakeReply, RecordedRequest  # noqa: E402

NOTEBOOK = "long.ipynb"
TURNS_SHOWN = 10  # what the sidebar asks for (controller.ts TURNS_PER_PAGE)
ANSWER_CHARS = 2_000
CELL_EVERY = 10
_WORDS = ("abc", "def", "ghi", "jkl", "mno", "pqr", "stu", "vwx")


# --- 1. building the session -------------------------------------------------------------


def answer(turn: int) -> str:
    """A 2,000-character answer the fake server streams in 4-character pieces."""
    head = f" Answer {turn:04d}."
    words = [f" {_WORDS[i % len(_WORDS)]}" for i in range((ANSWER_CHARS - len(head)) // 4)]
    return head + "".join(words)


def _request_text(request: RecordedRequest) -> str:
    for message in reversed(request.messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _has_tool_results(request: RecordedRequest) -> bool:
    return any(isinstance(m, dict) and m.get("role") == "tool" for m in request.messages)


def script() -> RoleScript:
    """Answers by role: the planner answers (or plans one cell), the coder proposes one
    cell then finishes, the reviewer approves, the summarizer condenses."""

    def planner(request: RecordedRequest) -> FakeReply:
        asked = _request_text(request)
        if "[cell]" in asked:
            return plan("Compute")
        turn = int(asked.rsplit("#", 1)[-1].split()[0]) if "#" in asked else 0
        return text(answer(turn))

    def coder(request: RecordedRequest) -> FakeReply:
        if _has_tool_results(request):
            return finish("Computed.")
        return propose("total = sum(range(1000))\ntotal", "Add the numbers.")

    roles = RoleScript()
    roles.otherwise("planner", planner)
    roles.otherwise("coder", coder)
    roles.otherwise("reviewer", lambda request: review())
    roles.otherwise("summarizer", lambda request: text("Earlier: answers and sums."))
    return roles


async def build(root: Path, turns: int, checkpoints: list[int], base_url: str) -> dict[int, Path]:
    """Run ``turns`` turns in one session; copies of the database at each checkpoint."""
    db = root / "build.db"
    jupyter = LocalJupyter(str(root))
    settings = Settings(
        models=ModelSettings(
            provider="openai",
            model="fake-model",
            openai_base_url=base_url,
            openai_api_key="sk-bench",
            max_retries=0,
        ),
        agents=AgentSettings(approval="never", db_path=str(db)),
    )
    app = CodeAgentApp.build(
        version="bench",
        settings=settings,
        kernel_manager=jupyter.kernel_manager,
        session_manager=jupyter.session_manager,
        contents_manager=jupyter.contents_manager,
        root_dir=str(root),
        live=False,
        probe_model_server=False,
    )
    copies: dict[int, Path] = {}
    started = time.perf_counter()
    try:
        session = await app.sessions.create(NOTEBOOK)
        queue = session.subscribe()
        for turn in range(turns):
            request = f"Question #{turn}" + (
                " [cell]" if turn % CELL_EVERY == CELL_EVERY - 1 else ""
            )
            session.send_message(request)
            while True:
                event = await queue.get()
                if event.type == "cell_proposed" and event.data.get("needs_approval"):
                    # Not sandboxed here: the gate asks even under 'never' (fail closed).
                    await session.approve(event.data["cell_id"])
                if event.type == "run_finished":
                    if event.data["status"] != "done":
                        raise RuntimeError(f"turn {turn} ended {event.data}")
                    break
            done = turn + 1
            if done in checkpoints:
                copies[done] = root / f"turn-{done}.db"
                _backup(db, copies[done])
            if done % 50 == 0 or done == turns:
                rate = done / (time.perf_counter() - started)
                print(f"  built {done}/{turns} turns ({rate:.1f} turns/s)", flush=True)
        session_id = session.id
    finally:
        await app.close()
        await jupyter.close()
    (root / "session_id").write_text(session_id)
    return copies


def _backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _db_counts(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        (events,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
        (messages,) = conn.execute("SELECT COUNT(*) FROM messages").fetchone()
    return int(events), int(messages)


# --- 2. opening it over HTTP and the WebSocket -----------------------------------------------


def _get(server: Any, path: str) -> tuple[float, bytes]:
    request = urllib.request.Request(
        f"{server.url}codeagent/{path}", headers={"Authorization": f"token {server.token}"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return time.perf_counter() - start, body


async def _replay(server: Any, session_id: str, after: int, until: int) -> tuple[float, int, int]:
    """Connect the events WebSocket; (seconds until event ``until`` arrived or the
    socket was quiet for 0.3 s after connecting, events, bytes)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = server.url.replace("http", "ws") + (
        f"codeagent/sessions/{session_id}/events?after={after}"
    )
    request = HTTPRequest(url, headers={"Authorization": f"token {server.token}"})
    start = time.perf_counter()
    ws = await websocket_connect(request)
    connected = time.perf_counter() - start
    count = size = 0
    last = after
    try:
        while last < until:
            message = await asyncio.wait_for(ws.read_message(), 30)
            if message is None:
                break
            count += 1
            size += len(message)
            last = json.loads(message)["seq"]
        elapsed = time.perf_counter() - start if count else connected
        try:  # anything else would arrive now: count it, do not time it
            while message := await asyncio.wait_for(ws.read_message(), 0.3):
                count += 1
                size += len(message)
        except asyncio.TimeoutError:
            pass
    finally:
        ws.close()
    return elapsed, count, size


def measure_open(servers: dict[int, Any], session_id: str, repeat: int) -> dict[int, Any]:
    """Open the session on every server in turn, ``repeat`` rounds (plus one to warm up):
    a busy machine slows all of them alike instead of whichever came last."""
    times: dict[int, list[float]] = {turn: [] for turn in servers}
    ws_times: dict[int, list[float]] = {turn: [] for turn in servers}
    opened: dict[int, tuple[dict[str, Any], int, int, int]] = {}
    for round_ in range(repeat + 1):
        for turn, server in servers.items():
            elapsed, snapshot = _get(server, f"sessions/{session_id}?turns={TURNS_SHOWN}")
            body = json.loads(snapshot)
            last_seq = body["last_seq"]
            ws_elapsed, replayed, ws_bytes = asyncio.run(
                _replay(server, session_id, last_seq, last_seq)
            )
            if round_:
                times[turn].append(elapsed)
                ws_times[turn].append(ws_elapsed)
            opened[turn] = (body, len(snapshot), replayed, ws_bytes)
    figures: dict[int, Any] = {}
    for turn, server in servers.items():
        body, size, replayed, ws_bytes = opened[turn]
        full_times, full = [], b""
        for i in range(min(repeat, 5) + 1):
            elapsed, full = _get(server, f"sessions/{session_id}")
            if i:
                full_times.append(elapsed)
        replay_time, replay_events, replay_bytes = asyncio.run(
            _replay(server, session_id, 0, body["last_seq"])
        )
        figures[turn] = {
            "open_ms": (statistics.median(times[turn]) + statistics.median(ws_times[turn])) * 1000,
            "best_ms": (min(times[turn]) + min(ws_times[turn])) * 1000,
            "snapshot_ms": statistics.median(times[turn]) * 1000,
            "ws_ms": statistics.median(ws_times[turn]) * 1000,
            "open_bytes": size + ws_bytes,
            "open_events": len(body["timeline"]["events"]) + replayed,
            "full_ms": (statistics.median(full_times) + replay_time) * 1000,
            "full_bytes": len(full) + replay_bytes,
            "full_events": replay_events,
        }
    return figures


# --- 3. the sidebar in Chromium ----------------------------------------------------------------

READY = """
([marker, t0]) => {
  const root = document.querySelector('#jp-codeagent-sidebar');
  const input = root && root.querySelector('textarea.jp-CodeAgent-input');
  const shown = root && root.querySelector('.jp-CodeAgent-chat');
  if (!input || input.disabled || !shown || !shown.textContent.includes(marker)) {
    return false;
  }
  window.__ready = window.__ready || performance.now();
  return window.__ready - t0;
}
"""


def measure_browser(server: Any, session_id: str, turns: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.sidebar_helpers import SIDEBAR, open_notebook, open_sidebar

    marker = f"Question #{turns - 1}"  # the newest request (the newest turn may be a cell)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        open_notebook(page, server, NOTEBOOK)
        open_sidebar(page)
        for _ in range(5):
            page.click(f"{SIDEBAR} .jp-CodeAgent-new-session")  # an empty new session
            page.wait_for_function(
                "() => !document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat')"
                " || !document.querySelector('#jp-codeagent-sidebar .jp-CodeAgent-chat')"
                f".textContent.includes('{marker}')",
                timeout=60_000,
            )
            page.click(f"{SIDEBAR} .jp-CodeAgent-sessions-toggle")
            item = page.locator(
                f"{SIDEBAR} [data-session-id='{session_id}'] .jp-CodeAgent-session-open"
            )
            item.wait_for(timeout=60_000)
            page.evaluate("() => { window.__ready = undefined; }")
            t0 = page.evaluate("() => performance.now()")
            item.click()
            try:
                handle = page.wait_for_function(
                    READY, arg=[marker, t0], polling="raf", timeout=60_000
                )
            except Exception:
                shot = ROOT / "test-artifacts" / "session-open-failure.png"
                shot.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(shot))
                print(f"the sidebar did not become ready: see {shot}")
                raise
            results.append(float(handle.json_value()))
        browser.close()
    return results


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--at", default="6,60,600", help="turn counts to measure at")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", help="build into (or reuse) this folder")
    args = parser.parse_args()
    checkpoints = sorted({int(n) for n in args.at.split(",")} | {args.turns})
    from tests.browser.conftest import _start_lab, _stop_labs
    from tests.browser.sidebar_helpers import model_env, write_notebook

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="session-open-"))
    root.mkdir(parents=True, exist_ok=True)
    copies = {n: root / f"turn-{n}.db" for n in checkpoints}
    if not all(path.exists() for path in copies.values()):
        print(f"building a {args.turns}-turn session in {root} ...", flush=True)
        write_notebook(root, NOTEBOOK)
        with FakeModelServer() as fake:
            fake.responder = script()
            start = time.perf_counter()
            copies = asyncio.run(build(root, args.turns, checkpoints, fake.openai_base_url))
            print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    session_id = (root / "session_id").read_text().strip()

    print(
        f"\nopening the session as the sidebar does (?turns={TURNS_SHOWN} + events after "
        f"last_seq), median and best of {args.repeat}, the servers taken in turn; then the "
        f"full snapshot + a replay from 0 (how it grew before):"
    )
    header = (
        f"{'turn':>5} {'db events':>10} | {'open ms':>8} {'(get+ws)':>12} {'best':>6} {'bytes':>8} "
        f"{'events':>6} | {'full ms':>8} {'bytes':>10} {'events':>7}"
    )
    servers: list[Any] = []
    bases: list[Path] = []
    fake = FakeModelServer().start()  # the sidebar shows the chat once a model is ready
    try:
        started: dict[int, Any] = {}
        for turn in checkpoints:
            base = Path(tempfile.mkdtemp(prefix=f"open-{turn}-"))
            bases.append(base)
            db = base / "codeagent.db"
            shutil.copy(copies[turn], db)
            env = model_env(fake, CODEAGENT_DB_PATH=str(db))
            started[turn] = _start_lab(base, servers, env, root)
        figures = measure_open(started, session_id, args.repeat)
        print(header)
        for turn in checkpoints:
            f = figures[turn]
            events, _ = _db_counts(copies[turn])
            parts = f"({f['snapshot_ms']:.1f}+{f['ws_ms']:.1f})"
            print(
                f"{turn:>5} {events:>10,} | {f['open_ms']:>8.1f} "
                f"{parts:>12} {f['best_ms']:>6.1f} {f['open_bytes']:>8,} "
                f"{f['open_events']:>6} | {f['full_ms']:>8.1f} {f['full_bytes']:>10,} "
                f"{f['full_events']:>7,}"
            )
        if args.browser:
            last_turn = checkpoints[-1]
            figures[last_turn]["browser"] = measure_browser(
                started[last_turn], session_id, last_turn
            )
    finally:
        _stop_labs(servers)
        fake.stop()
        for base in bases:
            shutil.rmtree(base, ignore_errors=True)
    last = figures[checkpoints[-1]]
    for turn in checkpoints[:-1]:
        other = figures[turn]
        print(
            f"turn {checkpoints[-1]} / turn {turn}: time "
            f"{last['open_ms'] / other['open_ms']:.2f}x (best "
            f"{last['best_ms'] / other['best_ms']:.2f}x), bytes "
            f"{last['open_bytes'] / other['open_bytes']:.2f}x, events "
            f"{last['open_events'] / max(1, other['open_events']):.2f}x"
            + ("   target <= 1.5x" if turn == checkpoints[0] else "")
        )
    print(
        f"(a session of fewer than {TURNS_SHOWN} turns opens with all of them: bytes and "
        f"events grow until turn {TURNS_SHOWN}, then stay flat)"
    )
    if "browser" in last:
        tti = last["browser"]
        print(
            f"sidebar time to interactive on the {checkpoints[-1]}-turn session (Chromium): "
            f"median {statistics.median(tti):.0f} ms (runs: "
            f"{', '.join(f'{v:.0f}' for v in tti)})   target < 1000 ms"
        )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
