"""Confine notebook paths to the server root.

Paths come from HTTP bodies and from models, so they are hostile input: an absolute
path, a ``..`` walk or a symlink pointing out of the root must never reach the
contents manager or the session manager.
"""

from __future__ import annotations

import os
import re

from .errors import BadRequest, PathOutsideRoot

_DRIVE = re.compile(r"^[A-Za-z]:")


def resolve_notebook_path(root_dir: str, path: str) -> str:
    """Normalize ``path`` to an API path (``a/b.ipynb``) inside ``root_dir``.

    Refuses (``PathOutsideRoot``) absolute paths, ``..`` segments that climb above
    the root, and paths whose existing part resolves through a symlink to outside
    the root. ``a/../b.ipynb`` is fine and becomes ``b.ipynb``. The file itself need
    not exist (the file writer creates missing notebooks).
    """
    if not isinstance(path, str) or not path.strip():
        raise BadRequest("A notebook path is required.")
    if "\x00" in path:
        raise BadRequest("The notebook path contains a NUL character.")
    unified = path.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified) or os.path.isabs(path):
        raise PathOutsideRoot(
            f"Absolute paths are refused: {path!r}; give a path relative to the server root."
        )
    parts: list[str] = []
    for segment in unified.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                raise PathOutsideRoot(f"The path {path!r} leads outside the server root.")
            parts.pop()
        else:
            parts.append(segment)
    if not parts:
        raise BadRequest(f"The path {path!r} names the server root, not a notebook.")
    root = os.path.realpath(root_dir)
    # realpath resolves every symlink among the components that exist.
    target = os.path.realpath(os.path.join(root, *parts))
    if os.path.commonpath([root, target]) != root:
        raise PathOutsideRoot(f"The path {path!r} resolves outside the server root.")
    return "/".join(parts)
