"""Write agent cells into notebooks: live in the open document, or to the file."""

from __future__ import annotations

from ..paths import resolve_notebook_path
from .cells import METADATA_KEY, NotebookWriter
from .file_writer import FileNotebookWriter
from .live import LiveNotebookChannel, LiveNotebookWriter

__all__ = [
    "METADATA_KEY",
    "FileNotebookWriter",
    "LiveNotebookChannel",
    "LiveNotebookWriter",
    "NotebookWriter",
    "resolve_notebook_path",
]
