"""Runs inside the sandbox between bubblewrap and the kernel, then replaces itself by it.

    python -I -S launcher.py '{"RLIMIT_DATA": 1073741824, ...}' -- KERNEL ARGV...

Standard library only and run by file path (``-I -S``: no site, no environment, no
current directory on ``sys.path``), so it neither depends on nor imports anything the
sandboxed kernel could have written.

It also restores SIGINT: the command that started bubblewrap ignores SIGINT so that
the Interrupt button (SIGINT to the whole process group) does not kill bubblewrap
itself; ignored signals survive ``exec``, and Python only turns SIGINT into
``KeyboardInterrupt`` when it starts with the default disposition.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys


def apply_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        which = getattr(resource, name)
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        # soft == hard: the kernel cannot raise its own limit again.
        resource.setrlimit(which, (value, value))


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: launcher.py LIMITS_JSON -- COMMAND [ARGS...]\n")
        sys.exit(2)
    apply_limits(json.loads(argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execvp(argv[3], argv[3:])


if __name__ == "__main__":
    main(sys.argv)
