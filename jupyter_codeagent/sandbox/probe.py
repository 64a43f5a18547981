"""Does bubblewrap work here, and with which options? Asked once per process.

Reading ``bwrap --version`` proves nothing: user namespaces may be disabled by a
sysctl, by AppArmor (Ubuntu 24.04 restricts them per program) or by a container's
seccomp profile. So the probe runs a real, tiny sandbox with the options kernels get
and falls back to weaker variants (no nested-namespace ban, no user namespace — a
setuid bwrap on old distributions) before giving up.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass

_PROBE_TIMEOUT = 15.0


@dataclass(frozen=True, kw_only=True)
class BwrapProbe:
    path: str | None
    works: bool
    userns: bool = False
    disable_userns: bool = False
    reason: str | None = None


def probe_args(*, userns: bool, disable_userns: bool) -> list[str]:
    """The namespace and privilege options every sandbox of ours uses."""
    args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if userns:
        args.append("--unshare-user")
        if disable_userns:
            args.append("--disable-userns")
    # bwrap run by root keeps every capability unless told otherwise; without this a
    # root kernel could simply remount the read-only filesystem.
    args += ["--die-with-parent", "--cap-drop", "ALL"]
    return args


def _attempt(path: str, *, userns: bool, disable_userns: bool) -> str | None:
    """None when the sandbox ran, else bwrap's complaint."""
    argv = [
        path,
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--tmpfs", "/tmp",
        "--unshare-net",
        *probe_args(userns=userns, disable_userns=disable_userns),
        "--", sys.executable, "-I", "-S", "-c", "",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    message = done.stderr.decode(errors="replace").strip().splitlines()
    return message[-1] if message else f"bwrap exited with status {done.returncode}"


@functools.lru_cache(maxsize=4)
def probe_bwrap(path: str | None = None) -> BwrapProbe:
    """Try bwrap once (cached per path); ``path`` None looks it up on PATH."""
    if not sys.platform.startswith("linux"):
        return BwrapProbe(path=None, works=False, reason="the sandbox needs Linux (bubblewrap)")
    found = path or shutil.which("bwrap")
    if not found:
        return BwrapProbe(
            path=None,
            works=False,
            reason="bubblewrap is not installed (install the 'bubblewrap' package)",
        )
    first_error = None
    for userns, disable_userns in ((True, True), (True, False), (False, False)):
        error = _attempt(found, userns=userns, disable_userns=disable_userns)
        if error is None:
            return BwrapProbe(path=found, works=True, userns=userns, disable_userns=disable_userns)
        first_error = first_error or error
    return BwrapProbe(path=found, works=False, reason=f"bubblewrap cannot run here: {first_error}")
