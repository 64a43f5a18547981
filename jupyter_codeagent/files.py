"""The data files a session can see: listed and previewed, never outside the server root.

Models read these through ``list_files`` / ``preview_file`` and the session context
names the data files beside the notebook, so an agent loads ``sales.csv`` from disk
instead of guessing a variable called ``sales`` or a URL. Everything here is read-only
and bounded: a listing stops after ``MAX_ENTRIES``, a preview after ``MAX_PREVIEW``
characters, and hidden folders (``.git``, ``.ipynb_checkpoints``...) are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import BadRequest, NotFound
from .paths import resolve_notebook_path

MAX_ENTRIES = 200
MAX_DEPTH = 2
MAX_PREVIEW = 4_000
#: Files worth naming in the session context: what data scientists load.
DATA_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".json",
    ".jsonl",
    ".parquet",
    ".feather",
    ".arrow",
    ".xlsx",
    ".xls",
    ".sqlite",
    ".db",
    ".h5",
    ".hdf5",
    ".nc",
    ".pkl",
    ".npy",
    ".npz",
    ".xml",
    ".yaml",
    ".yml",
    ".gz",
    ".zip",
)
_BINARY: tuple[str, ...] = (
    *(".parquet", ".feather", ".arrow", ".xlsx", ".xls", ".sqlite", ".db", ".h5"),
    *(".hdf5", ".nc", ".pkl", ".npy", ".npz", ".gz", ".zip"),
)


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    path: str  # relative to the server root, with "/"
    size: int
    first_line: str = ""

    def render(self) -> str:
        line = f"- {self.path} ({human_size(self.size)})"
        return f"{line}: {self.first_line}" if self.first_line else line


class FileNotFolder(NotFound):
    """A file was given where a folder was expected (small models list a data file)."""

    def __init__(self, relative: str, size: int) -> None:
        super().__init__(
            f"'{relative}' is a file, not a folder ({size:,} bytes). Read its first lines "
            f"with preview_file(path='{relative}'), or load it in a cell."
        )
        self.relative = relative
        self.size = size


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def list_files(root_dir: str, folder: str = "") -> tuple[list[FileEntry], bool]:
    """Files under ``folder`` (relative to the root, two levels deep); and whether the
    listing was cut at ``MAX_ENTRIES``."""
    base = _resolve_folder(root_dir, folder)
    root = os.path.realpath(root_dir)
    entries: list[FileEntry] = []
    for current, dirs, files in os.walk(base):
        depth = os.path.relpath(current, base).count(os.sep) + (current != base)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < MAX_DEPTH)
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = os.path.join(current, name)
            if not _inside(root, full):
                continue  # a symlink out of the root
            try:
                size = os.path.getsize(full)
            except OSError:
                continue
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            entries.append(FileEntry(path=relative, size=size))
            if len(entries) >= MAX_ENTRIES:
                return entries, True
    return entries, False


def data_files_beside(root_dir: str, notebook_path: str, limit: int = 20) -> list[FileEntry]:
    """The data files in the notebook's folder, with their first line (for CSVs etc.)."""
    folder = os.path.dirname(notebook_path)
    try:
        base = _resolve_folder(root_dir, folder)
        names = sorted(os.listdir(base))
    except (BadRequest, NotFound, OSError):
        return []
    root = os.path.realpath(root_dir)
    entries: list[FileEntry] = []
    for name in names:
        full = os.path.join(base, name)
        if name.startswith(".") or not name.lower().endswith(DATA_SUFFIXES):
            continue
        if not os.path.isfile(full) or not _inside(root, full):
            continue
        relative = os.path.relpath(full, root).replace(os.sep, "/")
        first = "" if name.lower().endswith(_BINARY) else _first_line(full)
        entries.append(FileEntry(path=relative, size=os.path.getsize(full), first_line=first))
        if len(entries) >= limit:
            break
    return entries


def preview_file(root_dir: str, path: str, lines: int = 20) -> str:
    """The first ``lines`` lines of a text file inside the root (bounded)."""
    relative = resolve_notebook_path(root_dir, path)
    full = os.path.join(os.path.realpath(root_dir), relative)
    if not os.path.isfile(full):
        raise NotFound(f"No file '{relative}' under the server root; call list_files.")
    if relative.lower().endswith(_BINARY):
        size = human_size(os.path.getsize(full))
        return f"{relative} is a binary file ({size}): load it in a cell to look inside."
    out: list[str] = []
    used = 0
    with open(full, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= max(1, min(lines, 200)) or used > MAX_PREVIEW:
                out.append("[...]")
                break
            out.append(line.rstrip("\n")[:500])
            used += len(out[-1])
    return "\n".join(out) if out else f"{relative} is empty."


def _resolve_folder(root_dir: str, folder: str) -> str:
    root = os.path.realpath(root_dir)
    if not folder or folder.strip() in (".", "/"):
        return root
    relative = resolve_notebook_path(root_dir, folder)
    full = os.path.join(root, relative)
    if os.path.isfile(full) and _inside(root, full):
        raise FileNotFolder(relative, os.path.getsize(full))
    if not os.path.isdir(full):
        raise NotFound(f"No folder '{relative}' under the server root.")
    return full


def _inside(root: str, path: str) -> bool:
    target = os.path.realpath(path)
    return os.path.commonpath([root, target]) == root


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            line = handle.readline(300)
    except OSError:
        return ""
    line = line.strip()
    return line if len(line) < 200 else line[:199] + "…"
