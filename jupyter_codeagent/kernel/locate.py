"""Find the kernel of a notebook, or start one exactly as JupyterLab would.

JupyterLab keys kernels by *session*: one session per notebook path, of type
``notebook``, whose kernel uses the notebook's ``metadata.kernelspec.name``. Reusing
that session is what makes the agent and the user share one kernel and one namespace;
creating it the same way means that when the user opens the notebook later,
JupyterLab attaches to the agent's kernel instead of starting a second one.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from .link import maybe_await

log = logging.getLogger(__name__)


async def running_kernel_of(session_manager: Any, kernel_manager: Any, path: str) -> str | None:
    """The kernel id of the notebook's live session, if any."""
    for session in await maybe_await(session_manager.list_sessions()):
        kernel = session.get("kernel") or {}
        # Collaborative (RTC) frontends have used an "RTC:" prefix on session paths.
        session_path = str(session.get("path") or "").removeprefix("RTC:")
        if session_path == path and kernel.get("id") in kernel_manager:
            return str(kernel["id"])
    return None


async def _installed_kernel_names(kernel_manager: Any) -> set[str]:
    """Names of the kernelspecs the server can start (a gateway's own, when it has one).

    ``get_all_specs`` is the one call both spec managers answer (sync locally, async
    on a gateway, which also updates the manager's default to the gateway's).
    """
    try:
        return set(await maybe_await(kernel_manager.kernel_spec_manager.get_all_specs()))
    except Exception:
        log.warning("could not list the kernelspecs", exc_info=True)
        return set()


async def notebook_kernel_name(contents_manager: Any, kernel_manager: Any, path: str) -> str:
    """The notebook's kernelspec name when installed, else the server default."""
    available = await _installed_kernel_names(kernel_manager)
    default = str(kernel_manager.default_kernel_name)
    name = None
    try:
        if await maybe_await(contents_manager.file_exists(path)):
            model = await maybe_await(contents_manager.get(path, content=True, type="notebook"))
            spec = (model.get("content") or {}).get("metadata", {}).get("kernelspec") or {}
            name = spec.get("name")
    except Exception:  # unreadable notebook: the writer will report it; run on the default
        log.warning("could not read the kernelspec of %s", path, exc_info=True)
    if not name or name == default:
        return default
    if name not in available:
        log.warning("kernelspec %r of %s is not installed; using %r", name, path, default)
        return default
    return str(name)


async def start_session(
    session_manager: Any, contents_manager: Any, kernel_manager: Any, path: str
) -> str:
    """Create the notebook's session (and kernel) like JupyterLab's POST /api/sessions."""
    kernel_name = await notebook_kernel_name(contents_manager, kernel_manager, path)
    model = await session_manager.create_session(
        path=path, name=posixpath.basename(path), type="notebook", kernel_name=kernel_name
    )
    return str(model["kernel"]["id"])
