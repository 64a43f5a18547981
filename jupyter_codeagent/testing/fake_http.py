"""Just enough HTTP/1.1 on asyncio streams for the fake model server.

Why not tornado or aiohttp: the fake must do things a framework hides — cut a
chunked stream mid-body, notice at once that the client went away while it sleeps
between chunks — and it must run on a private event loop in a thread. A hundred
lines of plain asyncio do exactly that and add no dependency.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

MAX_HEADER_LINES = 200
MAX_BODY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


class BadHttpRequest(Exception):
    """The bytes on the connection are not an HTTP/1.1 request we can read."""


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on a connection, or None when the client closed it."""
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadHttpRequest(f"bad request line: {line[:100]!r}")
    method, target, _version = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise BadHttpRequest("too many header lines")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            raise BadHttpRequest("request body too large")
        body = await reader.readexactly(length) if length else b""
    return HttpRequest(method.upper(), target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
        if len(body) > MAX_BODY_BYTES:
            raise BadHttpRequest("request body too large")


def response_head(status: int, headers: dict[str, str], *, keep_alive: bool) -> bytes:
    """Status line and headers; add ``content-length`` or ``transfer-encoding`` yourself."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"  # e.g. Anthropic's 529
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"connection: {'keep-alive' if keep_alive else 'close'}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def full_response(status: int, headers: dict[str, str], body: bytes, *, keep_alive: bool) -> bytes:
    """A complete response with a body of known length."""
    head = response_head(
        status, {**headers, "content-length": str(len(body))}, keep_alive=keep_alive
    )
    return head + body


def chunk(data: bytes) -> bytes:
    """One chunk of a ``transfer-encoding: chunked`` body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


async def cancel_all_tasks() -> None:
    """Cancel and await the tasks still on the loop, so none is destroyed pending."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_unless_hangup(hangup: asyncio.Future[bytes], seconds: float) -> bool:
    """Sleep ``seconds``; False at once if the client hangs up meanwhile."""
    done, _ = await asyncio.wait({hangup}, timeout=seconds)
    return not done
