"""Images for a model: decoded, downscaled to a longest side, encoded again.

A 1,600 by 1,200 chart costs a model about 2,500 input tokens; at 768 px on its
longest side, about 600, and axes, legends and scales stay readable. Pillow does the
work (lazily imported: most model calls carry no image).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging

from .messages import ImagePart

log = logging.getLogger(__name__)

#: What both providers accept (OpenAI: png, jpeg, webp, gif; Anthropic the same).
ACCEPTED_MIMES: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp", "image/gif")
#: Larger encoded images are not decoded at all (a pathological output).
MAX_ENCODED_BYTES = 20_000_000
#: Decoded pixels allowed (Pillow's decompression-bomb guard, made strict).
MAX_PIXELS = 40_000_000
#: Tokens counted for an image whose size is unknown (as much as a 1568 px image).
UNKNOWN_IMAGE_TOKENS = 1_600


def fit_image(mime: str, data: str, *, max_side: int) -> ImagePart | None:
    """``data`` (base64 of a ``mime`` image) as an ``ImagePart`` at most ``max_side`` px on
    its longest side; None when it is not an image the models take or cannot be read."""
    if mime not in ACCEPTED_MIMES or len(data) * 3 // 4 > MAX_ENCODED_BYTES:
        return None
    try:
        raw = base64.b64decode(data.replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS or width <= 0 or height <= 0:
                return None
            if max(width, height) <= max_side:
                return ImagePart(
                    mime=mime, data=base64.b64encode(raw).decode(), width=width, height=height
                )
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at a smaller scale
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            keep_jpeg = mime == "image/jpeg"
            if keep_jpeg and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG" if keep_jpeg else "PNG", optimize=True)
            return ImagePart(
                mime="image/jpeg" if keep_jpeg else "image/png",
                data=base64.b64encode(out.getvalue()).decode(),
                width=image.size[0],
                height=image.size[1],
            )
    except Exception as error:  # an undecodable image is simply not shown
        log.info("image output not shown to the model: %s", error)
        return None


def image_tokens(image: ImagePart) -> int:
    """A conservative token estimate: the larger of Anthropic's (w·h/750) and OpenAI's
    high-detail tiles (85 + 170 per 512 px tile after scaling to 768 px short side)."""
    width, height = image.width, image.height
    if width <= 0 or height <= 0:
        return UNKNOWN_IMAGE_TOKENS
    anthropic = -(-width * height // 750)
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    tiles = -(-int(w) // 512) * -(-int(h) // 512)
    return max(anthropic, 85 + 170 * tiles)
