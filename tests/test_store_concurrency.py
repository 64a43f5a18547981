"""Several SessionStore objects (or server processes) on one file keep seq gapless."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from jupyter_codeagent.store import SessionStore

REPO = Path(__file__).resolve().parents[1]

# Each writer process appends ``count`` events tagged with its name, then exits.
# They all wait for a "go" file first so their writes really overlap instead of
# running one after another while the next interpreter is still starting.
WRITER = """
import os, sys, time
from jupyter_codeagent.store import SessionStore

path, session_id, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with SessionStore(path) as store:
    open(f"{path}.ready.{name}", "w").close()
    while not os.path.exists(path + ".go"):
        time.sleep(0.001)
    for i in range(count):
        store.append_event(session_id, "delta", {"writer": name, "i": i})
        # Real writers pause between events (model tokens, kernel output). Without a
        # pause one process would hold the lock back to back and the others, asleep in
        # SQLite's busy back-off, would only get in after it finished.
        time.sleep(0.0005)
"""


def check_log(store: SessionStore, session_id: str, writers: list[str], count: int) -> None:
    events = store.events_after(session_id)
    assert [e.seq for e in events] == list(range(1, len(writers) * count + 1))
    assert Counter(e.data["writer"] for e in events) == dict.fromkeys(writers, count)
    for name in writers:  # each writer's own events kept their order
        mine = [e.data["i"] for e in events if e.data["writer"] == name]
        assert mine == list(range(count))


def test_two_stores_interleaved_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with SessionStore(path) as a, SessionStore(path) as b:
        sid = a.create_session(notebook_path="a.ipynb", kernel_id=None).id
        for i in range(50):
            assert a.append_event(sid, "delta", {"writer": "a", "i": i}).seq == 2 * i + 1
            assert b.append_event(sid, "delta", {"writer": "b", "i": i}).seq == 2 * i + 2
            assert a.last_seq(sid) == b.last_seq(sid) == 2 * i + 2
        check_log(a, sid, ["a", "b"], 50)
        # What one store writes, the other reads (no stale cache).
        b.update_session(sid, status="done")
        assert a.get_session(sid).status == "done"


def test_two_stores_from_threads(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with SessionStore(path) as setup:
        sid = setup.create_session(notebook_path="a.ipynb", kernel_id=None).id
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with SessionStore(path) as store:
                for i in range(200):
                    store.append_event(sid, "delta", {"writer": name, "i": i})
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in ("t1", "t2", "t3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SessionStore(path) as store:
        check_log(store, sid, ["t1", "t2", "t3"], 200)


def test_one_store_shared_by_threads(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "db.sqlite") as store:
        sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id

        def write(name: str) -> None:
            for i in range(200):
                store.append_event(sid, "delta", {"writer": name, "i": i})

        threads = [threading.Thread(target=write, args=(n,)) for n in ("t1", "t2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        check_log(store, sid, ["t1", "t2"], 200)


def test_concurrent_processes_keep_seq_gapless(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with SessionStore(path) as store:
        sid = store.create_session(notebook_path="a.ipynb", kernel_id=None).id
    writers, count = ["p1", "p2", "p3"], 300
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), sid, name, str(count)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in writers
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"db.sqlite.ready.{name}").exists() for name in writers):
        assert time.monotonic() < deadline, "writer processes did not start"
        assert all(proc.poll() is None for proc in procs), "a writer process died"
        time.sleep(0.01)
    (tmp_path / "db.sqlite.go").touch()
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    with SessionStore(path) as store:
        check_log(store, sid, writers, count)
        assert store.last_seq(sid) == len(writers) * count
        order = [e.data["writer"] for e in store.events_after(sid)]
        switches = sum(1 for x, y in itertools.pairwise(order) if x != y)
        # Strictly one after another would switch writers len(writers) - 1 times.
        assert switches >= len(writers), "the writers never overlapped; the test proved nothing"
