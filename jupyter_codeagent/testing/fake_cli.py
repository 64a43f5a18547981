"""``python -m jupyter_codeagent.testing.fake_model_server``: the fake server for manual runs.

Prints ``OPENAI_BASE_URL=...`` and ``ANTHROPIC_BASE_URL=...`` (one per line, first on
stdout, so a script can read them), then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence

from jupyter_codeagent.testing.fake_model_server import FakeModelServer
from jupyter_codeagent.testing.fake_script import FakeReply, echo_responder, load_script


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted, printing the base URLs first."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_codeagent.testing.fake_model_server",
        description="Scripted fake OpenAI/Anthropic model server on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", help="JSON file: a list of replies (FakeReply fields)")
    parser.add_argument("--echo", action="store_true", help="after the script, echo the user")
    parser.add_argument("--model", action="append", default=None, help="model id for /v1/models")
    args = parser.parse_args(argv)
    replies: list[FakeReply] = []
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            replies = load_script(handle.read())
    server = FakeModelServer(
        replies,
        responder=echo_responder if args.echo else None,
        host=args.host,
        port=args.port,
        models=args.model or ("fake-model",),
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with server:
        print(f"OPENAI_BASE_URL={server.openai_base_url}", flush=True)
        print(f"ANTHROPIC_BASE_URL={server.anthropic_base_url}", flush=True)
        print(f"fake model server: {len(replies)} scripted replies; Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            while not done.wait(0.5):
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
