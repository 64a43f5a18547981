"""What the session knows that a single cell does not show: the facts the analyzer takes in.

A cell alone cannot tell that ``sales.csv`` is the data the session loaded an hour ago,
or that ``df`` is the user's own frame rather than one the agent built. The session
keeps those facts and passes them in; the analyzer uses them for the data-loss
findings and for imports of code files the session wrote.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field

from .paths import PathScope, PathValue


@dataclass(frozen=True, kw_only=True)
class SessionFacts:
    """Facts about the session a proposed cell belongs to.

    Paths are relative to the Jupyter server root (``data/sales.csv``) or absolute;
    ``user_objects`` are names of kernel variables the user created (not the agent).
    """

    files_read: frozenset[str] = field(default_factory=frozenset)
    files_written: frozenset[str] = field(default_factory=frozenset)
    user_objects: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        *,
        files_read: Iterable[str] = (),
        files_written: Iterable[str] = (),
        user_objects: Iterable[str] = (),
    ) -> SessionFacts:
        """Build from any iterables (lists, sets) of strings."""
        return cls(
            files_read=frozenset(files_read),
            files_written=frozenset(files_written),
            user_objects=frozenset(user_objects),
        )


def root_relative(value: PathValue | None, scope: PathScope) -> str | None:
    """The path a literal refers to, relative to the server root (or absolute if outside).

    None when the path is computed at run time. Used to compare the paths a cell writes
    with those the session read, whatever folder each was written from.
    """
    if value is None or not value.exact or not value.text.strip():
        return None
    text = value.text.strip()
    root = posixpath.normpath(scope.root_dir) if scope.root_dir else None
    if not text.startswith("/"):
        base = scope.cwd or ""
        if root is not None and base.startswith("/"):
            base = posixpath.relpath(posixpath.normpath(base), root)
        text = posixpath.normpath(posixpath.join(base, text))
        return text.removeprefix("./")
    text = posixpath.normpath(text)
    if root is not None and (text == root or text.startswith(root.rstrip("/") + "/")):
        return posixpath.relpath(text, root)
    return text


def normalise_fact_path(path: str, scope: PathScope) -> str:
    """A path from ``SessionFacts`` in the same form as ``root_relative`` gives."""
    text = posixpath.normpath(path.strip())
    root = posixpath.normpath(scope.root_dir) if scope.root_dir else None
    if root is not None and text.startswith("/") and text.startswith(root.rstrip("/") + "/"):
        return posixpath.relpath(text, root)
    return text.removeprefix("./")
