"""Sidebar streaming: delta-to-paint latency, long tasks and frame rate, bundle size.

Run: ``python benchmarks/ui_stream.py [--markers N] [--tokens N] [--chunk-delay S]``.
Starts a real ``jupyter lab`` (the browser-test rig) against the scripted fake model
server running in this process, opens a notebook and the Code Agent sidebar in
headless Chromium, then:

1. latency: the planner streams N marker words, one per chunk, ``--chunk-delay`` apart.
   The fake server's chunk writer is wrapped to record when each marker leaves it; a
   MutationObserver in the page records when the marker's text is in the sidebar and
   the next frame has been painted (requestAnimationFrame, then a task). The clocks
   are aligned by one round trip. Median and 95th percentile of the difference.
2. throughput: the planner streams a 20,000-token reply as fast as the server relays
   it; a PerformanceObserver counts long tasks (> 50 ms, reported > 100 ms) and a
   requestAnimationFrame loop measures the frame rate while it streams.
3. the size of the built labextension's JavaScript (``jupyter_codeagent/labextension``).

Prints figures only; nothing is asserted. Targets: median latency < 50 ms, no long task
over 100 ms while streaming, bundle < 1 MB.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyter_codeagent.testing import fake_http  # noqa: E402
from jupyter_codeagent.testing.agent_script import RoleScript  # noqa: E402
from jupyter_codeagent.testing.fake_model_server import FakeModelServer  # noqa: E402
from jupyter_codeagent.testing.fake_script import FakeReply  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _start_lab, _stop_labs  # noqa: E402
from tests.browser.sidebar_helpers import (  # noqa: E402
    SIDEBAR,
    model_env,
    open_notebook,
    open_sidebar,
    send,
    wait_run_status,
    write_notebook,
)

MARKER = re.compile(rb"mk(\d{5})x")

# In the page: note when each marker is first in the sidebar's text, after the next paint.
OBSERVE_MARKERS = """
() => {
  window.__painted = {};
  const root = document.querySelector('#jp-codeagent-sidebar');
  let scanned = '';
  const scan = () => {
    const node = root.querySelector('.jp-CodeAgent-message.jp-mod-streaming .jp-CodeAgent-stream');
    if (!node) { return; }
    const text = node.textContent;
    if (text.length <= scanned.length) { return; }
    const fresh = text.slice(Math.max(0, scanned.length - 8));
    scanned = text;
    const found = fresh.match(/mk\\d{5}x/g) || [];
    if (found.length === 0) { return; }
    requestAnimationFrame(() => setTimeout(() => {
      const now = performance.timeOrigin + performance.now();
      for (const marker of found) {
        if (!(marker in window.__painted)) { window.__painted[marker] = now; }
      }
    }, 0));
  };
  new MutationObserver(scan).observe(root, { childList: true, subtree: true, characterData: true });
}
"""

# In the page: long tasks and frames while the reply streams.
OBSERVE_FRAMES = """
() => {
  window.__long = [];
  window.__frames = 0;
  window.__streamStart = null;
  window.__streamEnd = null;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      window.__long.push([entry.startTime, entry.duration]);
    }
  }).observe({ type: 'longtask', buffered: false });
  const root = document.querySelector('#jp-codeagent-sidebar');
  new MutationObserver(() => {
    const streaming = root.querySelector('.jp-mod-streaming') !== null;
    if (streaming && window.__streamStart === null) {
      window.__streamStart = performance.now();
      const tick = () => {
        if (window.__streamEnd === null) { window.__frames++; requestAnimationFrame(tick); }
      };
      requestAnimationFrame(tick);
    } else if (!streaming && window.__streamStart !== null && window.__streamEnd === null) {
      window.__streamEnd = performance.now();
    }
  }).observe(root, { childList: true, subtree: true });
}
"""


class EmitClock:
    """Wraps the fake server's chunk writer: when did each marker leave the server?"""

    def __init__(self) -> None:
        self.emitted: dict[str, float] = {}
        self._lock = threading.Lock()
        self._original = fake_http.chunk

    def __enter__(self) -> EmitClock:
        def chunk(data: bytes) -> bytes:
            now = time.time()
            for match in MARKER.finditer(data):
                key = match.group(0).decode()
                with self._lock:
                    self.emitted.setdefault(key, now)
            return self._original(data)

        fake_http.chunk = chunk  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        fake_http.chunk = self._original  # type: ignore[assignment]


def clock_offset(page: Any) -> float:
    """Browser epoch ms minus this process's epoch ms (best of a few round trips)."""
    best: tuple[float, float] | None = None
    for _ in range(5):
        before = time.time() * 1000
        browser = page.evaluate("() => performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if best is None or after - before < best[0]:
            best = (after - before, browser - (before + after) / 2)
    assert best is not None
    return best[1]


def bundle_size() -> dict[str, int]:
    static = ROOT / "jupyter_codeagent" / "labextension" / "static"
    js = [p for p in static.glob("*.js")]
    return {
        "files": len(js),
        "bytes": sum(p.stat().st_size for p in js),
        "gzip": sum(len(gzip.compress(p.read_bytes())) for p in js),
        "minified": int(all(b"\n/***/" not in p.read_bytes() for p in js)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markers", type=int, default=200, help="latency samples")
    parser.add_argument("--chunk-delay", type=float, default=0.03, help="seconds between them")
    parser.add_argument("--tokens", type=int, default=20_000, help="size of the long reply")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    markers = " ".join(f"mk{i:05d}x" for i in range(args.markers))
    # Paragraphs of 40 words, like a real reply (one word = one streamed chunk).
    long_reply = "".join(
        f"tok{i % 1000}" + ("\n\n" if i % 40 == 39 else " ") for i in range(args.tokens)
    )
    servers: list[Any] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeModelServer() as fake,
        EmitClock() as clock,
        sync_playwright() as playwright,
    ):
        script = RoleScript()
        script.planner(
            FakeReply(text=markers, chunk_delay=args.chunk_delay), FakeReply(text=long_reply)
        )
        fake.responder = script
        lab = _start_lab(Path(tmp), servers, model_env(fake), None)
        try:
            write_notebook(lab.root, "bench.ipynb")
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            open_notebook(page, lab, "bench.ipynb")
            open_sidebar(page)

            # 1. latency
            page.evaluate(OBSERVE_MARKERS)
            offset = clock_offset(page)
            send(page, "latency, please")
            wait_run_status(page, "done")
            painted: dict[str, float] = page.evaluate("() => window.__painted")
            latencies = [
                painted[key] - offset - clock.emitted[key] * 1000
                for key in painted
                if key in clock.emitted
            ]

            # 2. a 20,000-token reply
            page.evaluate(OBSERVE_FRAMES)
            started = time.perf_counter()
            send(page, "now a long one")
            page.wait_for_selector(f"{SIDEBAR} .jp-mod-streaming", timeout=60_000)
            page.wait_for_selector(
                f"{SIDEBAR} .jp-mod-streaming", state="detached", timeout=600_000
            )
            stream_s = time.perf_counter() - started
            wait_run_status(page, "done")
            page.wait_for_timeout(1000)  # long-task entries arrive asynchronously
            result = page.evaluate(
                "() => [window.__frames, window.__streamStart, window.__streamEnd, window.__long]"
            )
            frames, stream_start, stream_end, long_tasks = result
            long_during = [d for start, d in long_tasks if start < stream_end]
            long_after = [d for start, d in long_tasks if start >= stream_end]
            browser.close()
        finally:
            _stop_labs(servers)

    size = bundle_size()
    print("UI streaming benchmark (headless Chromium, real jupyter lab, fake model)")
    if latencies:
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        print(
            f"  delta -> painted:  median {statistics.median(latencies):6.1f} ms   "
            f"p95 {p95:6.1f} ms   max {latencies[-1]:6.1f} ms   ({len(latencies)} samples, "
            f"{args.chunk_delay * 1000:.0f} ms apart)"
        )
    else:
        print("  delta -> painted:  no samples (markers not seen)")
    span_ms = stream_end - stream_start
    fps = frames / (span_ms / 1000) if span_ms else 0.0
    over = [d for d in long_during if d > 100]
    print(
        f"  {args.tokens:,}-token reply: streamed in {stream_s:5.1f} s "
        f"({span_ms / 1000:4.1f} s on screen); {fps:4.1f} frames/s; "
        f"long tasks > 100 ms while streaming: {len(over)}"
        f" (longest {max(long_during, default=0):.0f} ms, {len(long_during)} over 50 ms)"
    )
    print(
        "  after the stream (the reply rendered as Markdown): longest task "
        f"{max(long_after, default=0):.0f} ms"
    )
    kind = "production (minified)" if size["minified"] else "development"
    print(
        f"  labextension bundle: {size['bytes'] / 1024:.0f} KiB JavaScript in {size['files']} "
        f"files ({size['gzip'] / 1024:.0f} KiB gzipped), {kind} build"
    )


if __name__ == "__main__":
    main()
