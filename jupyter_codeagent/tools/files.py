"""The files beside the notebook: listed and previewed, limited to the server root."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .. import files
from ..errors import BadRequest, NotFound, ToolError
from .base import tool

if TYPE_CHECKING:
    from .context import RunContext


@tool
async def list_files(
    run: RunContext,
    folder: Annotated[
        str, Field(description="A folder under the server root; '' for the root.")
    ] = "",
) -> str:
    """List the files under a folder of the server root (two levels deep), with sizes."""
    try:
        entries, cut = await asyncio.to_thread(files.list_files, run.root_dir, folder)
    except files.FileNotFolder as error:
        # What a small model wants from listing a data file is what is in it: refused,
        # it asked again and again.
        head = await asyncio.to_thread(files.preview_file, run.root_dir, error.relative, 5)
        return (
            f"{error.relative} is a file ({files.human_size(error.size)}), not a folder. "
            f"Its first lines:\n{head}\nLoad it in a cell to work with it."
        )
    except (BadRequest, NotFound) as error:
        raise ToolError(error.message) from None
    if not entries:
        return "No files there."
    lines = [entry.render() for entry in entries]
    if cut:
        lines.append(f"(the listing stops at {files.MAX_ENTRIES} files)")
    return "\n".join(lines)


@tool
async def preview_file(
    run: RunContext,
    path: Annotated[str, Field(min_length=1, description="A file path relative to the root.")],
    lines: Annotated[int, Field(ge=1, le=200)] = 20,
) -> str:
    """The first lines of a text file (a CSV's header and rows...) under the server root."""
    try:
        return await asyncio.to_thread(files.preview_file, run.root_dir, path, lines)
    except (BadRequest, NotFound) as error:
        raise ToolError(error.message) from None
