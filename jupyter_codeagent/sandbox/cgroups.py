"""A cgroup per sandboxed kernel, where this process may make one (best effort).

``RLIMIT_NPROC`` never binds uid 0, so a root server (containers, CI) needs the
``pids`` controller to stop a fork bomb; the ``memory`` controller bounds all of the
kernel's processes together. Both cgroup v1 (one hierarchy per controller) and v2
(one hierarchy, controllers delegated through ``cgroup.subtree_control``) are handled.
A normal user usually cannot write there; then nothing is made and the rlimits alone
apply (see ``limits``).

The kernel is placed in the cgroup by the shell that then ``exec``s bubblewrap, so it
is inside before it can fork.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

_CONTROLLERS = ("pids", "memory")


@dataclass(frozen=True, kw_only=True)
class KernelCgroup:
    dirs: tuple[str, ...]

    @property
    def procs_files(self) -> tuple[str, ...]:
        return tuple(os.path.join(d, "cgroup.procs") for d in self.dirs)

    def contains(self, pid: int) -> bool:
        for procs in self.procs_files:
            try:
                with open(procs) as f:
                    if str(pid) not in f.read().split():
                        return False
            except OSError:
                return False
        return True

    def remove(self) -> None:
        for folder in self.dirs:
            with contextlib.suppress(OSError):  # still busy or gone: nothing to keep
                os.rmdir(folder)


def _mounts() -> list[tuple[str, str, set[str], str]]:
    """(mount point, fs type, super options, mounted root) of cgroup filesystems."""
    found = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                head, _, tail = line.partition(" - ")
                fields, tail_fields = head.split(), tail.split()
                if len(fields) > 4 and len(tail_fields) > 2 and tail_fields[0].startswith("cgroup"):
                    options = set(tail_fields[2].split(","))
                    found.append((fields[4], tail_fields[0], options, fields[3]))
    except OSError:
        pass
    return found


def _own_paths() -> dict[str, str]:
    """Controller (or '' for v2) → this process's cgroup path."""
    paths: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    paths[name] = path
    except (OSError, ValueError):
        pass
    return paths


def _folder(mount_point: str, mount_root: str, own: str) -> str:
    """The host path of cgroup ``own`` under a mount of ``mount_root`` (containers
    often see their own cgroup mounted as the hierarchy's root)."""
    if mount_root != "/" and (own == mount_root or own.startswith(mount_root + "/")):
        own = own[len(mount_root) :] or "/"
    return mount_point + own.rstrip("/")


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _limit_files(limits: dict[str, int], *, v2: bool) -> dict[str, str]:
    files = {}
    if limits.get("pids"):
        files["pids.max"] = str(limits["pids"])
    if limits.get("memory"):
        files["memory.max" if v2 else "memory.limit_in_bytes"] = str(limits["memory"])
    return files


def _make(parent: str, name: str, files: dict[str, str]) -> str | None:
    folder = os.path.join(parent, name)
    try:
        os.makedirs(folder, exist_ok=True)
        for file, value in files.items():
            _write(os.path.join(folder, file), value)
    except OSError as exc:
        log.debug("no cgroup under %s: %s", parent, exc)
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        return None
    return folder


def create_kernel_cgroup(
    name: str, *, max_processes: int, memory_bytes: int
) -> KernelCgroup | None:
    """A cgroup with the given limits, or None where none can be made."""
    limits = {"pids": max_processes, "memory": memory_bytes}
    wanted = [c for c in _CONTROLLERS if limits[c]]
    if not wanted:
        return None
    mounts, own = _mounts(), _own_paths()
    dirs: list[str] = []
    remaining = list(wanted)
    for mount_point, fstype, options, root in mounts:  # v1: one hierarchy per controller
        for controller in [c for c in remaining if fstype == "cgroup" and c in options]:
            parent = _folder(mount_point, root, own.get(controller, "/"))
            files = _limit_files({controller: limits[controller]}, v2=False)
            folder = _make(parent, name, files)
            if folder:
                dirs.append(folder)
                remaining.remove(controller)
    v2 = next(((m, root) for m, fstype, _, root in mounts if fstype == "cgroup2"), None)
    if remaining and v2:
        parent = _folder(v2[0], v2[1], own.get("", "/"))
        try:
            with open(os.path.join(parent, "cgroup.subtree_control")) as f:
                delegated = set(f.read().split())
        except OSError:
            delegated = set()
        usable = {c: limits[c] for c in remaining if c in delegated}
        folder = _make(parent, name, _limit_files(usable, v2=True)) if usable else None
        if folder:
            dirs.append(folder)
    return KernelCgroup(dirs=tuple(dirs)) if dirs else None


def own_memory_limit() -> int:
    """This process's cgroup memory limit (a container's), 0 when none is visible."""
    own = _own_paths()
    for mount_point, fstype, options, root in _mounts():
        if fstype == "cgroup2":
            path, file = _folder(mount_point, root, own.get("", "/")), "memory.max"
        elif "memory" in options:
            path, file = _folder(mount_point, root, own.get("memory", "/")), "memory.limit_in_bytes"
        else:
            continue
        try:
            with open(os.path.join(path, file)) as f:
                raw = f.read().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 60:  # v1 says "no limit" with a huge number
            return int(raw)
    return 0
