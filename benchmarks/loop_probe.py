"""A Jupyter server extension for the benchmarks: the server's event-loop lag and RSS.

Loaded into a benchmark's ``jupyter lab`` (``jpserver_extensions = {"loop_probe": true}``
with ``benchmarks/`` on ``PYTHONPATH``); never part of the product. Every 10 ms it
sleeps and records how late it woke up (the event-loop lag every other callback of
the server sees at that moment), and every 100 ms the process's resident memory.
``GET /bench/probe?since=EPOCH`` answers the samples taken since then.

To find what holds the loop, a watchdog thread looks at the server's main thread
whenever the loop is more than ``STALL`` seconds late and counts where it is (the
innermost frames of this package, or of whatever runs); ``stalls`` in the answer.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import threading
import time
import traceback
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from tornado.ioloop import IOLoop

INTERVAL = 0.010
RSS_EVERY = 10
STALL = 0.1


def rss_mib() -> float:
    """The resident memory of this process (Linux /proc), MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Probe:
    def __init__(self) -> None:
        self.lag: list[tuple[float, float]] = []  # (epoch, seconds late)
        self.rss: list[tuple[float, float]] = []  # (epoch, MiB)
        self.stalls: collections.Counter[str] = collections.Counter()
        self._beat = time.monotonic()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        main = threading.get_ident()
        threading.Thread(target=self._watch, args=(main,), daemon=True).start()
        count = 0
        while True:
            start = loop.time()
            await asyncio.sleep(INTERVAL)
            self._beat = time.monotonic()
            self.lag.append((time.time(), loop.time() - start - INTERVAL))
            count += 1
            if count % RSS_EVERY == 0:
                self.rss.append((time.time(), rss_mib()))

    def _watch(self, main: int) -> None:
        while True:
            time.sleep(STALL / 2)
            if time.monotonic() - self._beat > STALL:
                frame = sys._current_frames().get(main)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-12:]
                    where = " <- ".join(
                        f"{f.filename.rsplit('/', 2)[-2]}/{f.filename.rsplit('/', 1)[-1]}:"
                        f"{f.lineno} {f.name}"
                        for f in reversed(stack)
                    )
                    self.stalls[where] += 1


PROBE = Probe()


class ProfileHandler(APIHandler):
    """``POST /bench/profile`` starts cProfile on the loop's thread; ``GET`` stops it and
    answers the functions that took the most time of their own."""

    profiler: Any = None

    @tornado.web.authenticated
    def post(self) -> None:
        import cProfile

        ProfileHandler.profiler = cProfile.Profile()
        ProfileHandler.profiler.enable()
        self.finish("{}")

    @tornado.web.authenticated
    def get(self) -> None:
        import io
        import pstats

        profiler, ProfileHandler.profiler = ProfileHandler.profiler, None
        if profiler is None:
            self.finish(json.dumps({"top": ""}))
            return
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        self.finish(json.dumps({"top": out.getvalue()}))


class ProbeHandler(APIHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        since = float(self.get_argument("since", "0"))
        body: dict[str, Any] = {
            "lag_ms": [lag * 1000 for ts, lag in PROBE.lag if ts >= since],
            "rss_mib": [mib for ts, mib in PROBE.rss if ts >= since],
            "rss_now_mib": rss_mib(),
            "cpu_s": time.process_time(),
            "stalls": PROBE.stalls.most_common(8),
        }
        self.finish(json.dumps(body))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "loop_probe"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.web_app.add_handlers(
        ".*$", [(r"/bench/probe", ProbeHandler), (r"/bench/profile", ProfileHandler)]
    )
    IOLoop.current().add_callback(lambda: asyncio.ensure_future(PROBE.run()))
