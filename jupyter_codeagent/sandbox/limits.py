"""Resource limits of a sandboxed kernel: what they are, and how each one is enforced.

- memory: ``RLIMIT_DATA`` per process (heap and anonymous maps; unlike ``RLIMIT_AS``
  it ignores reserved-but-unused address space, which CUDA, JAX and OpenBLAS take in
  terabytes) so a hog gets ``MemoryError`` and the kernel lives; plus the cgroup's
  ``memory`` limit, when one can be made, for all the kernel's processes together.
- processes: ``RLIMIT_NPROC``, which counts per user namespace since Linux 5.14 (so
  only the sandbox's own processes) but never binds uid 0; hence also the cgroup's
  ``pids`` limit, which binds root too.
- CPU time: ``RLIMIT_CPU`` per process, off by default (a kernel lives for days and
  may train models on every core; the execution timeout bounds single cells).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
# Linux version from which RLIMIT_NPROC counts per user namespace (ucounts).
_NPROC_PER_USERNS = (5, 14)


def physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def parse_memory(text: str, total: int) -> int:
    """'75%' of ``total``, '8G', '512M', '1048576' → bytes; '', '0', 'none' → 0 (no limit)."""
    raw = text.strip().lower()
    if raw in {"", "0", "none", "unlimited", "off"}:
        return 0
    if raw.endswith("%"):
        share = float(raw[:-1])
        if not 0 < share <= 100:
            raise ValueError(f"memory share must be in (0, 100]: {text!r}")
        return int(total * share / 100) if total else 0
    match = _SIZE.match(raw.upper())
    if not match:
        raise ValueError(f"not a memory size: {text!r} (use e.g. '75%', '8G', '512M')")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def kernel_release() -> tuple[int, int]:
    numbers = re.findall(r"\d+", os.uname().release)[:2]
    return (int(numbers[0]), int(numbers[1])) if len(numbers) == 2 else (0, 0)


@dataclass(frozen=True, kw_only=True)
class ResourceLimits:
    """0 means no limit."""

    memory_bytes: int = 0
    max_processes: int = 0
    cpu_seconds: int = 0

    def rlimits(self, *, userns: bool) -> dict[str, int]:
        """Name → value for the in-sandbox launcher (``resource.RLIMIT_*``)."""
        limits = {"RLIMIT_CORE": 0}  # no core dumps of kernel memory into the root
        if self.memory_bytes:
            limits["RLIMIT_DATA"] = self.memory_bytes
        if self.cpu_seconds:
            limits["RLIMIT_CPU"] = self.cpu_seconds
        if self.max_processes and nproc_counts_sandbox_only(userns=userns):
            limits["RLIMIT_NPROC"] = self.max_processes
        return limits


def nproc_counts_sandbox_only(*, userns: bool) -> bool:
    """Before 5.14, or without a user namespace, RLIMIT_NPROC counts every process of
    the user on the machine: a desktop session alone could exceed the limit and the
    kernel could not start a thread. There the cgroup is the only process limit."""
    return userns and kernel_release() >= _NPROC_PER_USERNS and os.getuid() != 0
