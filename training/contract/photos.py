"""Reading photos safely: EXIF orientation, odd modes, hostile sizes.

The one image reader of the project: the app's photo labelling, the Live tab's
folder source and the training loaders all decode through :func:`read_photo`, so a
phone photo stored sideways is upright for training exactly as it is for labelling.
Pillow decodes (it knows EXIF, palette, 16-bit and WebP); a size check on the
header comes before any pixel is decoded, so a decompression bomb is refused
with a message instead of exhausting memory.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

# File endings taken for images where a folder is walked for them (datasets, the Live folder source).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm"})
MAX_PIXELS = 60_000_000  # about a 60-megapixel photo; larger ones are refused
MAX_FILE_BYTES = 300 * 1024 * 1024


class PhotoError(Exception):
    """A photo that cannot be used; the message is the reason shown to the user."""


def read_photo(path: str | Path) -> np.ndarray:
    """Decode a photo to an upright BGR uint8 array, or raise PhotoError with the reason."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PhotoError(f"cannot open: {exc.strerror}") from exc
    if size == 0:
        raise PhotoError("empty file")
    if size > MAX_FILE_BYTES:
        raise PhotoError(f"file too large ({size / 2**20:.0f} MB)")
    try:
        with warnings.catch_warnings():
            # Our own size limit below decides; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise PhotoError(f"image too large: {w}x{h} pixels (limit {MAX_PIXELS // 1_000_000} MP)")
            im.load()
            upright = ImageOps.exif_transpose(im)
            return _to_bgr(upright)
    except PhotoError:
        raise
    except UnidentifiedImageError:
        raise PhotoError("not an image (or a format that cannot be read)") from None
    except Image.DecompressionBombError as exc:
        raise PhotoError(f"image too large: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error) as exc:
        # Pillow's decoders raise all of these on damaged files.
        raise PhotoError(f"corrupt or truncated image: {exc}") from None


def _to_bgr(im) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im)
        if arr.max(initial=0) > 255:
            arr = arr / 257.0
        gray = np.clip(arr, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if im.mode == "F":
        gray = np.clip(np.asarray(im), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if im.mode != "RGB":
        im = _flatten_alpha(im) if ("A" in im.getbands() or im.mode == "P") else im.convert("RGB")
    rgb = np.asarray(im)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _flatten_alpha(im):
    """Composite transparent pixels onto white, as a viewer would show them."""
    from PIL import Image

    rgba = im.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")
