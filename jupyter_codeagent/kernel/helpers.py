"""Ship the kernel-side helpers and call them without touching the user's namespace.

The helper source (the ``_kernel_*.py`` files of ``_PARTS``, in order) is executed
once per kernel process inside a private module registered in ``sys.modules`` under
a name that includes a hash of the source (so an upgraded server never talks to an
old copy). Calls are ``user_expressions`` of a *silent* request: evaluated after the
(empty) code, returned in the reply, never displayed, never stored in history, and
nothing is assigned in the user's namespace — ``__import__('sys')`` is an expression.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import KernelError
from .connection import KernelConnection
from .executor import execute_silent

# In dependency order: each part may use the names of the parts before it.
_PARTS = (
    "_kernel_static.py",
    "_kernel_namespace.py",
    "_kernel_source_index.py",
    "_kernel_source_api.py",
    "_kernel_frames.py",
    "_kernel_inspect.py",
    "_kernel_undo.py",
)
# ``from ._kernel_x import (...)`` or ``from ._kernel_x import name  # ...``: the parts
# share one module in the kernel, so these imports are stripped when sending.
_RELATIVE_IMPORT = re.compile(r"^from \._kernel_\w+ import (?:\([^)]*\)|[^\n(]*)\n", re.MULTILINE)
_FUTURE = "from __future__ import annotations\n"


@cache
def helper_source() -> tuple[str, str]:
    """``(module_name, source)`` of the kernel-side helper module."""
    here = Path(__file__).parent
    first, *rest = ((here / name).read_text(encoding="utf-8") for name in _PARTS)
    rest = [_RELATIVE_IMPORT.sub("", part).replace(_FUTURE, "") for part in rest]
    source = "\n".join([first, *rest])
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return f"_codeagent_helpers_{digest}", source


def _install_code() -> str:
    name, source = helper_source()
    # One expression statement: the lambda's parameters are its own locals, so the
    # user's namespace gains nothing (a silent request has no displayhook either).
    return (
        "(lambda src, mod: (exec(compile(src, '<codeagent-helpers>', 'exec'), mod.__dict__),"
        " __import__('sys').modules.__setitem__(mod.__name__, mod)))"
        f"({source!r}, __import__('types').ModuleType({name!r}))"
    )


def call_expression(function: str, *args: str | int) -> str:
    """``user_expressions`` text calling ``function(*args)`` in the helper module."""
    name, _source = helper_source()
    rendered = ", ".join(repr(a) for a in (function, *args))  # literals: safe to eval
    return f"__import__('sys').modules[{name!r}].call({rendered})"


async def call_helper(
    conn: KernelConnection, function: str, *args: str | int, timeout: float
) -> Any:
    """Run a helper in the kernel (installing it first if needed); lock must be held.

    Raises ``KernelError`` when the helper itself failed, ``KernelDiedError`` if the
    kernel died; a timeout (busy kernel) is a ``KernelError`` too.
    """
    expression = call_expression(function, *args)
    for _attempt in range(2):
        if not conn.helpers_installed:
            content = await execute_silent(conn, code=_install_code(), timeout=timeout)
            if content.get("status") != "ok":
                raise KernelError(
                    f"Could not load the inspection helpers: {content.get('ename')}: "
                    f"{content.get('evalue')}"
                )
            conn.helpers_installed = True
        content = await execute_silent(conn, user_expressions={"r": expression}, timeout=timeout)
        answer = content.get("user_expressions", {}).get("r", {})
        if answer.get("status") == "ok":
            payload = answer.get("data", {}).get("application/json", {}).get("v", {})
            if not payload.get("ok"):
                raise KernelError(f"Inspection failed in the kernel: {payload.get('error')}")
            return payload.get("value")
        if answer.get("ename") == "KeyError":  # module gone: kernel restarted under us
            conn.helpers_installed = False
            continue
        raise KernelError(f"Inspection failed: {answer.get('ename')}: {answer.get('evalue')}")
    raise KernelError("Could not load the inspection helpers into the kernel.")
