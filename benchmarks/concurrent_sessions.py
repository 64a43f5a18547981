"""Load on one server: many sessions streaming and running cells at once.

    python benchmarks/concurrent_sessions.py [--sessions 20] [--turns 2] [--chunk-delay 0.02]

Starts a real ``jupyter lab`` with the extension (approval ``never``, so cells run at
once) and the benchmark's event-loop probe (``loop_probe.py``), and the scripted fake
model in **its own process** (it must not share the server's or this client's CPU
time through one GIL). ``--sessions`` sessions, each on its own notebook and kernel,
each with a WebSocket client here, run ``--turns`` requests back to back, all at once.
Every request streams like a real model (about 4 characters a chunk, ``--chunk-delay``
apart: 50 chunks a second per session by default): the planner writes and plans, the
coder writes and proposes a cell that runs in the kernel, the reviewer approves, the
coder writes and finishes. One warm-up request per session (kernels start, imports
load) is not measured.

Printed: p50 / p95 / max of the **delta fan-out latency** (the event's ``ts``, taken
when the server stored it, to its arrival on this client's WebSocket; one machine, one
clock), the server's **event-loop lag** (sampled every 10 ms during the load) and its
**RSS** (idle, then the peak under load). Targets (issue 14): p95 delta latency under
50 ms, p95 event-loop lag under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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

PROFILE = False  # --profile: cProfile the server during the load
CODE = "total = sum(range(200_000))\ntotal"
_WORDS = ("abc", "def", "ghi", "jkl", "mno", "pqr", "stu", "vwx")


def prose(chars: int) -> str:
    """Text the fake server streams in 4-character pieces."""
    return "".join(f" {_WORDS[i % len(_WORDS)]}" for i in range(chars // 4))


# --- the fake model, in its own process ----------------------------------------------------


def _has_tool_results(request: RecordedRequest) -> bool:
    return any(isinstance(m, dict) and m.get("role") == "tool" for m in request.messages)


def responder(delay: float) -> RoleScript:
    def planner(request: RecordedRequest) -> FakeReply:
        calls = plan("Compute").tool_calls
        return FakeReply(text=prose(800), tool_calls=calls, chunk_delay=delay)

    def coder(request: RecordedRequest) -> FakeReply:
        if _has_tool_results(request):
            calls = finish("Done.").tool_calls
            return FakeReply(text=prose(200), tool_calls=calls, chunk_delay=delay)
        calls = propose(CODE, "Add them up.").tool_calls
        return FakeReply(text=prose(400), tool_calls=calls, chunk_delay=delay)

    roles = RoleScript()
    roles.otherwise("planner", planner)
    roles.otherwise("coder", coder)
    roles.otherwise("reviewer", lambda request: review())
    roles.otherwise("summarizer", lambda request: text("Earlier: sums."))
    return roles


def serve_fake(delay: float) -> None:
    """``--fake-server``: serve until SIGTERM, the base URL first on stdout."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with FakeModelServer(responder=responder(delay)) as server:
        print(f"OPENAI_BASE_URL={server.openai_base_url}", flush=True)
        while not done.wait(0.5):
            pass


# --- the load --------------------------------------------------------------------------------


class Client:
    """One session's WebSocket: records when each event arrives."""

    def __init__(self, server: Any, session_id: str) -> None:
        self.server, self.session_id = server, session_id
        self.latencies: list[float] = []  # seconds, delta events while measuring
        self.events = 0
        self.measuring = False
        self.finished = asyncio.Event()
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, after: int) -> None:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = self.server.url.replace("http", "ws")
        url += f"codeagent/sessions/{self.session_id}/events?after={after}"
        request = HTTPRequest(url, headers={"Authorization": f"token {self.server.token}"})
        self._ws = await websocket_connect(request)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self._ws.read_message()
            arrived = time.time()
            if message is None:
                return
            event = json.loads(message)
            if self.measuring:
                self.events += 1
                if event["type"] == "delta":
                    self.latencies.append(arrived - event["ts"])
            if event["type"] == "run_finished":
                if event["status"] != "done":
                    print(f"  a run ended {event['status']}: {event}", flush=True)
                self.finished.set()

    async def ask(self, text: str) -> None:
        self.finished.clear()
        await asyncio.to_thread(
            _call, self.server, "POST", f"sessions/{self.session_id}/messages", {"text": text}
        )
        await asyncio.wait_for(self.finished.wait(), 600)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            self._ws.close()


def _call(server: Any, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server.url}{path if path.startswith('bench/') else 'codeagent/' + path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        text_ = response.read().decode()
    return json.loads(text_) if text_ else None


async def load(server: Any, sessions: int, turns: int) -> tuple[list[Client], float, float, float]:
    from tests.browser.sidebar_helpers import write_notebook

    clients = []
    for index in range(sessions):
        name = f"s{index:02d}.ipynb"
        write_notebook(server.root, name)
        body = {"notebook_path": name}
        created = await asyncio.to_thread(_call, server, "POST", "sessions", body)
        client = Client(server, created["id"])
        await client.connect(created["last_seq"])
        clients.append(client)
    print(f"  {sessions} sessions and kernels started; warming up ...", flush=True)
    await asyncio.gather(*(client.ask("warm up") for client in clients))
    for client in clients:
        client.measuring = True
    print(f"  measuring {turns} requests per session, all sessions at once ...", flush=True)
    cpu = (await asyncio.to_thread(_call, server, "GET", "bench/probe?since=0"))["cpu_s"]
    if PROFILE:
        await asyncio.to_thread(_call, server, "POST", "bench/profile", {})
    start = time.time()

    async def work(client: Client) -> None:
        for turn in range(turns):
            await client.ask(f"request {turn}")

    await asyncio.gather(*(work(client) for client in clients))
    end = time.time()
    if PROFILE:
        top = (await asyncio.to_thread(_call, server, "GET", "bench/profile"))["top"]
        print(top)
    for client in clients:
        client.close()
    return clients, start, end, cpu


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--chunk-delay", type=float, default=0.02)
    parser.add_argument(
        "--stalls", action="store_true", help="show where the server's loop was held up"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the server's loop")
    parser.add_argument("--fake-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    if args.fake_server:
        serve_fake(args.chunk_delay)
        return
    from tests.browser.conftest import _start_lab, _stop_labs

    fake = subprocess.Popen(
        [sys.executable, __file__, "--fake-server", "--chunk-delay", str(args.chunk_delay)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    servers: list[Any] = []
    base = Path(tempfile.mkdtemp(prefix="concurrent-"))
    try:
        assert fake.stdout is not None
        base_url = fake.stdout.readline().strip().split("=", 1)[1]
        config = base / "config"
        config.mkdir(parents=True)
        probe = {"ServerApp": {"jpserver_extensions": {"loop_probe": True}}}
        (config / "jupyter_server_config.json").write_text(json.dumps(probe))
        env = {
            "CODEAGENT_PROVIDER": "openai",
            "CODEAGENT_MODEL": "fake-model",
            "OPENAI_BASE_URL": base_url,
            "OPENAI_API_KEY": "sk-bench",
            "CODEAGENT_MAX_RETRIES": "0",
            "CODEAGENT_APPROVAL": "never",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")]),
        }
        server = _start_lab(base, servers, env, None)
        idle = _call(server, "GET", "bench/probe?since=0")["rss_now_mib"]
        started = time.perf_counter()
        clients, start, end, cpu_start = asyncio.run(load(server, args.sessions, args.turns))
        elapsed = time.perf_counter() - started
        probed = _call(server, "GET", f"bench/probe?since={start}")
        cpu = probed["cpu_s"] - cpu_start
    finally:
        _stop_labs(servers)
        fake.terminate()
        fake.wait(timeout=10)
    latencies = [ms * 1000 for client in clients for ms in client.latencies]
    events = sum(client.events for client in clients)
    lag = probed["lag_ms"]
    window = end - start
    print(
        f"\n{args.sessions} sessions x {args.turns} requests at once, {window:.1f} s "
        f"(whole run with set-up {elapsed:.0f} s): {events:,} events, "
        f"{len(latencies):,} deltas ({len(latencies) / window:,.0f} deltas/s)"
    )
    print(
        f"delta fan-out latency (stored -> received): p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {_percentile(latencies, 0.95):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.1f} ms   target p95 < 50 ms"
    )
    print(
        f"server event-loop lag ({len(lag):,} samples every 10 ms): p50 "
        f"{statistics.median(lag):.1f} ms, p95 {_percentile(lag, 0.95):.1f} ms, max "
        f"{max(lag):.1f} ms   target p95 < 20 ms"
    )
    print(
        f"server RSS: {idle:.0f} MiB idle, peak {max(probed['rss_mib'] or [idle]):.0f} MiB "
        f"under load (kernels are processes of their own, not counted)"
    )
    print(
        f"server CPU time under load: {cpu:.1f} s in {window:.1f} s "
        f"({cpu / window:.0%} of a core; {cpu / max(1, events) * 1e6:.0f} us per event, "
        f"kernels apart); machine load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    if args.stalls:
        print("where the loop was held up (> 0.1 s), by 50 ms samples:")
        for where, count in probed["stalls"]:
            print(f"  {count:5}  {where}")


if __name__ == "__main__":
    main()
