"""A scripted stand-in for the OpenAI and Anthropic HTTP APIs, on loopback.

It runs in a background thread with its own asyncio event loop, so the same server
serves synchronous tests, async tests on any loop, and a ``jupyter lab`` subprocess.
The real ``openai`` and ``anthropic`` SDKs talk to it through ``openai_base_url`` and
``anthropic_base_url``; what they receive comes from a script::

    with FakeModelServer() as server:
        server.enqueue(FakeReply(text="Hello"), FakeReply.error(429, retry_after=0.01))
        server.responder = lambda request: FakeReply(text="fallback")  # when the queue is empty
        ...
        assert server.requests_for("openai")[0].body["model"] == "gpt-test"

Other routes answer fixed JSON, to act as a particular server: ``server.routes[("GET",
"/props")] = {"default_generation_settings": {"n_ctx": 4096}}`` (llama.cpp), ``("POST",
"/api/show")`` (Ollama) or ``("GET", "/v1/models")`` (replacing the model list).

Run ``python -m jupyter_codeagent.testing.fake_model_server --port 0 --script replies.json``
for manual runs; it prints the base URLs to use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from jupyter_codeagent.testing import fake_http
from jupyter_codeagent.testing.fake_script import (
    Api,
    FakeReply,
    RecordedRequest,
    echo_responder,
)
from jupyter_codeagent.testing.fake_wire import (
    WireResponse,
    openai_error_body,
    render_anthropic,
    render_models,
    render_openai,
)

log = logging.getLogger(__name__)
__all__ = ["FakeModelServer", "Responder", "echo_responder"]

Responder = Callable[[RecordedRequest], FakeReply]
_OPENAI_PATH = "/v1/chat/completions"
_ANTHROPIC_PATH = "/v1/messages"
_MODELS_PATH = "/v1/models"


class FakeModelServer:
    """Loopback HTTP server speaking OpenAI Chat Completions and Anthropic Messages."""

    def __init__(
        self,
        replies: Iterable[FakeReply] = (),
        *,
        responder: Responder | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = ("fake-model",),
        routes: Mapping[tuple[str, str], Any] | None = None,
    ) -> None:
        self.responder: Responder | None = responder
        self.models = tuple(models)
        #: ``(method, path) -> JSON``: fixed answers for other servers' endpoints.
        self.routes: dict[tuple[str, str], Any] = dict(routes or {})
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._lock = threading.RLock()  # predicates of wait_until() read the records
        self._changed = threading.Condition(self._lock)
        self._queue: deque[FakeReply] = deque(replies)
        self._requests: list[RecordedRequest] = []
        self._aborted: list[RecordedRequest] = []
        self._errors: list[str] = []
        self._serial = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> FakeModelServer:
        """Bind the port and serve in a background thread; returns self."""
        if self._thread is not None:
            raise RuntimeError("the fake model server is already started")
        sock = socket.create_server((self._host, self._requested_port))
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run,
            args=(sock, ready, failure),
            name=f"fake-model-server-{self._port}",
            daemon=True,
        )
        self._thread.start()
        if not ready.wait(10) or failure:
            self.stop()
            raise RuntimeError("the fake model server did not start") from (
                failure[0] if failure else None
            )
        return self

    def stop(self) -> None:
        """Close every connection, stop the loop and join the thread (idempotent)."""
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and stop_event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may just have closed
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the fake model server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """What to pass as ``base_url`` to ``openai.OpenAI`` (ends in ``/v1``)."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """What to pass as ``base_url`` to ``anthropic.Anthropic``."""
        return self.base_url

    # --- script and records (thread-safe) ----------------------------------------

    def enqueue(self, *replies: FakeReply) -> None:
        """Append replies to the FIFO script, answered in order by either API."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, api: Api, path: str | None = None) -> list[RecordedRequest]:
        """The requests of one API (optionally one path), oldest first."""
        return [r for r in self.requests if r.api == api and (path is None or r.path == path)]

    @property
    def aborted(self) -> list[RecordedRequest]:
        """Requests whose client closed the connection before the answer was complete."""
        with self._lock:
            return list(self._aborted)

    @property
    def errors(self) -> list[str]:
        """Problems the server answered with a 500 (script ran out, responder raised)."""
        with self._lock:
            return list(self._errors)

    def clear(self) -> None:
        """Forget the script, the responder and the records (for a shared server)."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._aborted.clear()
            self._errors.clear()
        self.responder = None

    def wait_until(
        self, predicate: Callable[[FakeModelServer], bool], timeout: float = 5.0
    ) -> bool:
        """Block until ``predicate(self)`` holds (re-checked on every request/abort)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.05))
        return True

    def _next_reply(self, request: RecordedRequest) -> FakeReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
            count = len(self._requests)
        if responder is None:
            return self._failure(
                f"fake model server: the script ran out of replies at request #{count} "
                f"({request.method} {request.path}); enqueue more FakeReply objects or set "
                "a responder"
            )
        try:
            return responder(request)
        except Exception as exc:
            log.exception("fake model server: the responder raised")
            return self._failure(f"fake model server: the responder raised {exc!r}")

    async def _reply_off_the_loop(self, request: RecordedRequest) -> FakeReply:
        """The next reply, asked for in a daemon thread: a responder may block (a test
        holding a reply back) while the other connections go on, and exit must not wait."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[FakeReply] = loop.create_future()

        def deliver(reply: FakeReply) -> None:
            if not answer.done():
                answer.set_result(reply)

        def work() -> None:
            reply = self._next_reply(request)
            with contextlib.suppress(RuntimeError):  # the server stopped meanwhile
                loop.call_soon_threadsafe(deliver, reply)

        threading.Thread(target=work, name="fake-model-responder", daemon=True).start()
        return await answer

    def _failure(self, message: str) -> FakeReply:
        with self._lock:
            self._errors.append(message)
        return FakeReply.error(500, message)

    def _record(self, request: RecordedRequest) -> int:
        """Keep a received request; returns its serial number (1, 2, ...)."""
        with self._changed:
            self._requests.append(request)
            self._serial += 1
            self._changed.notify_all()
            return self._serial

    def _record_abort(self, request: RecordedRequest) -> None:
        with self._changed:
            self._aborted.append(request)
            self._changed.notify_all()

    # --- the event loop thread ---------------------------------------------------

    def _run(
        self, sock: socket.socket, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock, ready))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            log.exception("fake model server: the event loop failed")
            failure.append(exc)
            ready.set()
        finally:
            try:
                loop.run_until_complete(fake_http.cancel_all_tasks())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._on_connection, sock=sock)
        ready.set()
        try:
            await self._stop_event.wait()
        finally:
            server.close()
            # Aborting the transports wakes every handler (reads see EOF, writes fail), so
            # they end on their own; cancelling them instead makes asyncio's stream
            # machinery log spurious errors on Python 3.11.
            for writer in list(self._writers):
                writer.transport.abort()
            if self._tasks:
                _done, stragglers = await asyncio.wait(set(self._tasks), timeout=2)
                for task in stragglers:
                    task.cancel()
            await server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                request = await fake_http.read_request(reader)
                if request is None or not await self._answer(request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, fake_http.BadHttpRequest, ValueError):
            pass
        except asyncio.CancelledError:
            return  # shutdown of a stuck handler: end quietly (see _serve)
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self,
        http: fake_http.HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer one request; return whether the connection can serve another."""
        path = urlsplit(http.target).path.rstrip("/") or "/"
        try:
            body = json.loads(http.body) if http.body else {}
        except ValueError:
            body = {"_unparsed": http.body.decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"_unparsed": body}
        api: Api = (
            "anthropic"
            if path == _ANTHROPIC_PATH or "anthropic-version" in http.headers
            else "openai"
        )
        request = RecordedRequest(
            api=api,
            method=http.method,
            path=path,
            headers=dict(http.headers),
            body=body,
            stream=body.get("stream") is True,
        )
        serial = self._record(request)
        fixed = self.routes.get((http.method, path))
        if fixed is not None:
            wire = WireResponse(200, {"content-type": "application/json"}, _dumps(fixed))
            return await self._write(writer, wire, http.keep_alive)
        if http.method == "GET" and path == _MODELS_PATH:
            return await self._write(writer, render_models(api, self.models), http.keep_alive)
        if http.method != "POST" or path not in (_OPENAI_PATH, _ANTHROPIC_PATH):
            missing = FakeReply.error(404, f"fake model server: no route for {http.method} {path}")
            wire = WireResponse(
                404, {"content-type": "application/json"}, _dumps(openai_error_body(missing))
            )
            return await self._write(writer, wire, http.keep_alive)

        reply = await self._reply_off_the_loop(request)
        render = render_anthropic if path == _ANTHROPIC_PATH else render_openai
        wire = render(request, reply, serial)
        # While we wait or stream, a pending read tells us at once if the client hangs up;
        # such connections are not reused (the read may have consumed the next request).
        if not reply.delay and wire.events is None:
            return await self._write(writer, wire, http.keep_alive)
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            if reply.delay and not await fake_http.wait_unless_hangup(hangup, reply.delay):
                self._record_abort(request)
                return False
            if wire.events is None:
                await self._write(writer, wire, keep_alive=False)
            elif not await self._stream(writer, wire, reply, hangup):
                self._record_abort(request)
            return False
        finally:
            hangup.cancel()

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        wire: WireResponse,
        reply: FakeReply,
        hangup: asyncio.Future[bytes],
    ) -> bool:
        """Send SSE events one chunk each; False if the client went away first."""
        headers = {**wire.headers, "transfer-encoding": "chunked"}
        try:
            writer.write(fake_http.response_head(wire.status, headers, keep_alive=False))
            for index, event in enumerate(wire.events or ()):
                if wire.stop_after is not None and index >= wire.stop_after:
                    await writer.drain()
                    writer.close()  # mid-body: the client sees an incomplete chunked stream
                    return True
                if (
                    index
                    and reply.chunk_delay
                    and not await fake_http.wait_unless_hangup(hangup, reply.chunk_delay)
                ):
                    return False
                if hangup.done():
                    return False
                writer.write(fake_http.chunk(event))
                await writer.drain()
            writer.write(fake_http.LAST_CHUNK)
            await writer.drain()
        except ConnectionError:
            return False
        return True

    async def _write(
        self, writer: asyncio.StreamWriter, wire: WireResponse, keep_alive: bool
    ) -> bool:
        writer.write(
            fake_http.full_response(wire.status, wire.headers, wire.body, keep_alive=keep_alive)
        )
        await writer.drain()
        return keep_alive


def _dumps(data: object) -> bytes:
    return json.dumps(data).encode()


if __name__ == "__main__":
    from jupyter_codeagent.testing.fake_cli import main

    sys.exit(main())
