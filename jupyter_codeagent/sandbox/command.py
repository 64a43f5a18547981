"""The command line that starts a kernel inside bubblewrap.

Mount order matters (later mounts cover earlier ones):

1. the whole filesystem read-only, fresh ``/dev`` and ``/proc`` (new pid namespace:
   the server's processes, and their environments, are not there), private ``/tmp``,
   ``/dev/shm`` and ``/run`` (sockets of ssh-agent, D-Bus, Docker and the user session
   live there, and Unix sockets cross network namespaces);
2. what the kernel needs from those masked places (a Python under ``/tmp``...);
3. hidden folders that contain the root (so the root stays visible below them);
4. the root read-write, then what must stay read-only inside it;
5. every other hidden path (empty tmpfs for folders, ``/dev/null`` for files);
6. the kernel's private IPC folder (read-write) and its connection file (read-only).

The outer ``sh`` puts itself in the kernel's cgroup, ignores SIGINT (see
``launcher``) and ``exec``s bwrap, so the provisioner's pid is bwrap's.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from .paths import is_within
from .probe import probe_args

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.py")
MASKED = ("/tmp", "/dev/shm", "/run")
# GPUs: a data scientist's kernel needs them and they hold no secrets.
_DEVICE_GLOBS = ("/dev/nvidia*", "/dev/dri", "/dev/kfd")
_SHELL = (
    'n="$1"; shift; '
    'while [ "$n" -gt 0 ]; do echo "$$" > "$1" 2>/dev/null; shift; n=$((n - 1)); done; '
    'trap "" INT; exec "$@"'
)


@dataclass(frozen=True, kw_only=True)
class SandboxSpec:
    bwrap: str
    root: str
    cwd: str
    private_dir: str
    connection_file: str
    hidden: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    # Needed by the kernel; re-mounted read-only where ``MASKED`` would lose them.
    needed: tuple[str, ...] = ()
    # Shown again read-only *after* hiding (the kernelspec's own folder).
    shown: tuple[str, ...] = ()
    network: bool = False
    userns: bool = True
    disable_userns: bool = False
    # The user's IPython dir, writable only where IPython keeps its history.
    ipython_dir: str | None = None
    rlimits: dict[str, int] = field(default_factory=dict)
    cgroup_procs: tuple[str, ...] = ()


def _hide(path: str) -> list[str]:
    if os.path.isdir(path):
        return ["--tmpfs", path]
    if os.path.lexists(path):
        return ["--ro-bind", "/dev/null", path]
    return []


# Files IPython writes in a profile. The history stays out of the sandbox: the kernel
# writes a fresh one in the sandbox's scratch space (a shared history.sqlite bound in
# crashed kernels whenever IPython tried to move a damaged one aside, and it would let
# one kernel's cells read the commands of every other session). Everything else there is
# configuration or startup code that unsandboxed IPython sessions run later: read-only.
_IPYTHON_SCRATCH = (
    "db",
    "log",
    "pid",
    "security",
    "history.sqlite",
    "history.sqlite-journal",
    "history.sqlite-wal",
)


def _ipython_mounts(ipython_dir: str) -> list[str]:
    """IPython refuses a read-only IPython dir (and drops the user's profile): give it
    an empty writable one that shows the real configuration read-only (the history is
    the kernel's own, in the sandbox's scratch space)."""
    args = ["--tmpfs", ipython_dir]
    for name in sorted(os.listdir(ipython_dir)):
        path = os.path.join(ipython_dir, name)
        if not (name.startswith("profile_") and os.path.isdir(path)):
            args += ["--ro-bind", path, path]
            continue
        args += ["--dir", path]
        for entry in sorted(os.listdir(path)):
            inner = os.path.join(path, entry)
            if entry not in _IPYTHON_SCRATCH:
                args += ["--ro-bind", inner, inner]
    return args


def _dns_targets() -> list[str]:
    """resolv.conf is often a symlink into /run (systemd-resolved)."""
    real = os.path.realpath("/etc/resolv.conf")
    return [os.path.dirname(real)] if real.startswith("/run/") and os.path.exists(real) else []


def _exposed(spec: SandboxSpec) -> list[str]:
    """Needed paths that a masked folder would lose: strictly inside one, existing."""
    needed = [*spec.needed, *(_dns_targets() if spec.network else [])]
    return [
        p
        for p in dict.fromkeys(os.path.abspath(p) for p in needed)
        if any(is_within(p, m) and p != m for m in MASKED) and os.path.exists(p)
    ]


def _to_hide(spec: SandboxSpec, visible: list[str]) -> list[str]:
    """Hidden paths that need a mount: visible ones (under the root or a re-exposed
    path, or not masked at all), and not inside another hidden one."""
    paths = [
        p
        for p in spec.hidden
        if not any(is_within(p, m) for m in MASKED) or any(is_within(p, v) for v in visible)
    ]
    return [p for p in paths if not any(q != p and is_within(p, q) for q in paths)]


def bwrap_argv(spec: SandboxSpec) -> list[str]:
    """bwrap's options up to (not including) ``--`` and the command."""
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in MASKED:
        args += ["--tmpfs", folder]
    for pattern in _DEVICE_GLOBS:
        for device in sorted(glob.glob(pattern)):
            args += ["--dev-bind-try", device, device]
    exposed = _exposed(spec)
    for path in exposed:
        args += ["--ro-bind", path, path]
    hidden = _to_hide(spec, [spec.root, *exposed])
    above_root = [p for p in hidden if is_within(spec.root, p)]
    for path in above_root:
        args += _hide(path)
    args += ["--bind", spec.root, spec.root]
    for path in spec.read_only:
        args += ["--ro-bind", path, path]
    for path in hidden:
        if path not in above_root:
            args += _hide(path)
    for path in spec.shown:
        if os.path.exists(path) and not any(is_within(h, path) for h in spec.hidden):
            args += ["--ro-bind", path, path]
    if spec.ipython_dir and os.path.isdir(spec.ipython_dir):
        args += _ipython_mounts(spec.ipython_dir)
    args += ["--bind", spec.private_dir, spec.private_dir]
    args += ["--ro-bind", spec.connection_file, spec.connection_file]
    # Only now, once the mounts placed inside them exist: writes to a hidden folder
    # fail instead of vanishing silently with the sandbox.
    for path in hidden:
        if os.path.isdir(path) and path not in above_root:
            args += ["--remount-ro", path]
    if not spec.network:
        args.append("--unshare-net")
    args += probe_args(userns=spec.userns, disable_userns=spec.disable_userns)
    # ipykernel exits when JPY_PARENT_PID changes parent; inside the pid namespace its
    # parent is bwrap's init (pid 1), which --die-with-parent ties to the server.
    args += ["--setenv", "JPY_PARENT_PID", "1", "--chdir", spec.cwd]
    return args


def sandboxed_command(spec: SandboxSpec, kernel_cmd: Sequence[str]) -> list[str]:
    import json

    launcher = [sys.executable, "-I", "-S", LAUNCHER, json.dumps(spec.rlimits), "--"]
    return [
        "/bin/sh", "-c", _SHELL, "sh", str(len(spec.cgroup_procs)), *spec.cgroup_procs,
        spec.bwrap, *bwrap_argv(spec), "--", *launcher, *kernel_cmd,
    ]  # fmt: skip
