"""The images of a cell's outputs, as a model that sees images is shown them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import ImagePart
from ..models.images import ACCEPTED_MIMES, fit_image
from ..models.vision import sees_images
from ..settings import ModelSettings

#: The roles that look at a cell's outputs: the coder, and the reviewer of the next cell.
LOOKING_ROLES: tuple[str, ...] = ("coder", "reviewer")


def output_images(
    outputs: Iterable[dict[str, Any]], settings: ModelSettings
) -> tuple[ImagePart, ...]:
    """The last ``vision_max_images`` images the outputs display, downscaled to
    ``vision_max_side``; none when neither the coder's nor the reviewer's model is shown
    images (the agent loop strips them for a role whose model is not)."""
    limit = settings.vision_max_images
    if limit <= 0 or not any(sees_images(settings, role) for role in LOOKING_ROLES):
        return ()
    found: list[tuple[str, str]] = []
    for output in outputs:
        if output.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = output.get("data") or {}
        for mime in ACCEPTED_MIMES:  # one image per output: its first accepted type
            value = data.get(mime)
            if isinstance(value, list):
                value = "".join(value)
            if isinstance(value, str) and value:
                found.append((mime, value))
                break
    side = settings.vision_max_side
    images = (fit_image(mime, value, max_side=side) for mime, value in found[-limit:])
    return tuple(image for image in images if image is not None)
