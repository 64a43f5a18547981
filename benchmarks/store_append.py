"""SessionStore event throughput: appends per second and replay time for 10,000 events.

Run: ``python benchmarks/store_append.py [--events N] [--path FILE]``. Uses a real file
(WAL, synchronous=NORMAL — the server's configuration) in a temporary directory unless
``--path`` is given. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any

from jupyter_codeagent.store import SessionStore


def payload(i: int) -> tuple[str, dict[str, Any]]:
    """A realistic mix: mostly streamed deltas, some messages, a few executed cells."""
    if i % 50 == 0:
        outputs = [{"output_type": "stream", "name": "stdout", "text": "row\t1.25\n" * 40}]
        return "cell_executed", {
            "cell_id": f"c{i}",
            "status": "ok",
            "execution_count": i // 50,
            "outputs": outputs,
        }
    if i % 10 == 0:
        return "message", {"role": "assistant", "agent": "coder", "text": "Loaded the data. " * 8}
    return "delta", {"agent": "coder", "text": f"token {i} "}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--path", help="database file (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.path or os.path.join(tmp, "bench.db")
        with SessionStore(path) as store:
            sid = store.create_session(notebook_path="bench.ipynb", kernel_id=None).id
            events = [payload(i) for i in range(args.events)]

            latencies = []
            start = time.perf_counter()
            for kind, data in events:
                t0 = time.perf_counter()
                store.append_event(sid, kind, data)
                latencies.append(time.perf_counter() - t0)
            append_s = time.perf_counter() - start

            start = time.perf_counter()
            replayed = store.events_after(sid)
            replay_s = time.perf_counter() - start

            start = time.perf_counter()
            paged, after = 0, 0
            while page := store.events_after(sid, after=after, limit=500):
                paged += len(page)
                after = page[-1].seq
            paged_s = time.perf_counter() - start

            start = time.perf_counter()
            tail = store.events_after(sid, after=args.events - 100)
            tail_s = time.perf_counter() - start

        assert len(replayed) == paged == args.events and len(tail) == 100  # sanity, not a target
        size_mb = os.path.getsize(path) / 1e6
        latencies.sort()
        print(f"events:                 {args.events:,} (file {size_mb:.1f} MB + WAL)")
        print(f"append:                 {args.events / append_s:,.0f} events/s ({append_s:.2f} s)")
        print(
            "append latency:         "
            f"median {statistics.median(latencies) * 1e6:.0f} us, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1e6:.0f} us, "
            f"max {latencies[-1] * 1e3:.1f} ms"
        )
        print(f"replay all (after=0):   {replay_s * 1e3:.1f} ms")
        print(f"replay in pages of 500: {paged_s * 1e3:.1f} ms")
        print(f"replay last 100:        {tail_s * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
