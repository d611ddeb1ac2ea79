"""Decode an image file (or pasted bytes) into a float32 ``(C, H, W)`` array in ``[0, 1]``.

Everything a user can throw at the app ends here: PNG, JPEG, BMP, TIFF, GIF and WebP, in
any of Pillow's common modes (grayscale, RGB, RGBA, palette with transparency, 16-bit,
CMYK, LA, float), rotated by EXIF, huge, truncated or not an image at all. Each problem is
an :class:`~explorer.core.errors.ImageError` whose one-line message names the file.

The size is checked from the header before any pixel is decoded, and JPEGs are decoded
at a reduced scale (``Image.draft``) when they are to be downscaled anyway, so a 50 MP
photo costs about as much as a 4 MP one.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from explorer.core.errors import ImageError

__all__ = [
    "MAX_PIXELS",
    "MAX_SIZE",
    "MODES",
    "image_header",
    "load_image",
    "scaled_size",
]

#: Images with more pixels than this are refused from their header (80 megapixels).
MAX_PIXELS = 80_000_000
#: Largest working size (longest side) a caller may ask for.
MAX_SIZE = 8192
#: Channel modes of the decoded array: ``"rgb"`` gives 3 channels, ``"grayscale"`` 1.
MODES = ("rgb", "grayscale")

_EXIF_ORIENTATION = 0x0112
# How to undo each EXIF orientation (as ImageOps.exif_transpose); 5-8 swap the axes.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = {5, 6, 7, 8}
# ITU-R 601-2 luma, the weights Pillow uses for "RGB" -> "L".
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def scaled_size(width: int, height: int, size: int) -> tuple[int, int]:
    """Width and height after downscaling so that the longest side is at most ``size``.

    Never upscales; keeps the aspect ratio; each side is at least 1 pixel. Symmetric in
    its two arguments, so it gives the same answer before and after an EXIF rotation.
    """
    longest = max(width, height)
    if longest <= size:
        return width, height
    scale = size / longest
    if width >= height:
        return size, max(1, round(height * scale))
    return max(1, round(width * scale)), size


def _label(source: str | os.PathLike[str] | bytes) -> str:
    return "pasted image" if isinstance(source, (bytes, bytearray)) else str(source)


def _open_source(source: str | os.PathLike[str] | bytes) -> IO[bytes]:
    """Open a path or wrap bytes, turning every file-system problem into ImageError."""
    label = _label(source)
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageError(f"{label}: empty (no bytes)")
        return io.BytesIO(bytes(source))
    path = Path(source)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise ImageError(f"{label}: no such file") from None
    except (IsADirectoryError, PermissionError) as exc:
        if os.path.isdir(path):  # Windows says "permission denied" for a folder
            raise ImageError(f"{label}: is a folder, not an image file") from None
        if isinstance(exc, PermissionError):
            raise ImageError(f"{label}: cannot read the file (permission denied)") from None
        raise ImageError(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    except OSError as exc:
        raise ImageError(f"{label}: cannot read the file ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise ImageError(f"{label!r}: not a valid file path") from None
    if os.fstat(handle.fileno()).st_size == 0:
        handle.close()
        raise ImageError(f"{label}: empty file (0 bytes)")
    return handle


def _open_image(handle: IO[bytes], label: str) -> Image.Image:
    """``Image.open`` (header only) with our own pixel limit checked first."""
    try:
        # We apply our own, lower limit below; Pillow's DecompressionBombWarning is ignored
        # once at start-up (explorer.core.warning_policy), never here: this runs on workers.
        image = Image.open(handle)
    except Image.DecompressionBombError:
        raise ImageError(
            f"{label}: refused, the image is too large (more than {MAX_PIXELS:,} pixels)"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{label}: not an image, or in a format this app cannot read "
            "(PNG, JPEG, BMP, TIFF, GIF, WebP)"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{label}: cannot read the image header ({exc})") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(f"{label}: the image has no pixels ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{label}: refused, {width}×{height} is {width * height / 1e6:.0f} megapixels "
            f"(the limit is {MAX_PIXELS / 1e6:.0f}); make it smaller first"
        )
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block must not stop the picture from loading
        return 1
    return value if isinstance(value, int) else 1


def image_header(source: str | os.PathLike[str] | bytes) -> tuple[int, int]:
    """``(width, height)`` of an image as displayed (after EXIF rotation), from its header.

    No pixel is decoded, so this is cheap even for a large photo.

    Raises
    ------
    ImageError
        If the file is missing, unreadable, not an image, or bigger than :data:`MAX_PIXELS`.
    """
    label = _label(source)
    with _open_source(source) as handle:
        image = _open_image(handle, label)
        with image:
            width, height = image.size
            if _orientation(image) in _SWAPS_AXES:
                width, height = height, width
    return width, height


def _check_args(size: int, mode: str, label: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise ImageError(f"{label}: size must be an integer from 1 to {MAX_SIZE}, got {size!r}")
    if mode not in MODES:
        raise ImageError(f"{label}: mode must be one of {', '.join(MODES)}, got {mode!r}")


def _common_mode(image: Image.Image, label: str) -> Image.Image:
    """Convert to a mode that resizes well and that :func:`_to_array` understands."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode.startswith("I;16") or mode in ("I;32", "I;32B", "I;32L"):
        return image.convert("I")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    try:
        return image.convert("RGB")  # CMYK, YCbCr, RGBX, LAB, HSV, ...
    except (ValueError, OSError) as exc:
        raise ImageError(f"{label}: unsupported image mode {mode!r} ({exc})") from None


def _normalise(values: np.ndarray, source_mode: str) -> np.ndarray:
    """Scale integer or float pixel values of one band-set to ``[0, 1]``."""
    if values.dtype == np.uint8:
        return values.astype(np.float32) / 255.0
    out = values.astype(np.float32)
    if source_mode.startswith("I;16"):
        return np.clip(out / 65535.0, 0.0, 1.0)
    finite = np.isfinite(out)
    out = np.where(finite, out, 0.0).astype(np.float32)
    if not finite.any():
        return np.zeros_like(out)
    lo, hi = float(out[finite].min()), float(out[finite].max())
    if source_mode == "I" and lo >= 0 and hi <= 65535:
        # Integer images this small are 16-bit images opened as 32-bit by older Pillows.
        return np.clip(out / 65535.0, 0.0, 1.0)
    if source_mode == "F" and lo >= 0 and hi <= 1:
        return out
    if hi == lo:
        return np.clip(out - lo, 0.0, 1.0)
    return ((out - lo) / (hi - lo)).astype(np.float32)


def _to_array(image: Image.Image, source_mode: str, mode: str) -> np.ndarray:
    """Pixels as float32 ``(C, H, W)``; alpha composited on white; channels per ``mode``."""
    data = np.asarray(image)
    if data.ndim == 2:
        data = data[:, :, None]
    bands = image.getbands()
    has_alpha = bands[-1] in ("A", "a")
    colour = _normalise(data[:, :, : len(bands) - 1] if has_alpha else data, source_mode)
    if has_alpha:
        alpha = data[:, :, -1:].astype(np.float32) / 255.0
        colour = colour * alpha + (1.0 - alpha)
    if mode == "grayscale" and colour.shape[2] == 3:
        colour = colour @ _LUMA
        colour = colour[:, :, None]
    elif mode == "rgb" and colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    out = np.ascontiguousarray(colour.transpose(2, 0, 1), dtype=np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


def _decode(image: Image.Image, size: int, mode: str, label: str) -> np.ndarray:
    try:
        image.seek(0)  # first frame of an animated GIF / first page of a TIFF
    except EOFError:
        pass
    source_mode = image.mode
    target = scaled_size(image.width, image.height, size)
    if image.format in ("JPEG", "MPO") and target != image.size:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale; never below the target size.
        image.draft(None, target)
    orientation = _orientation(image)
    image.load()
    image = _common_mode(image, label)
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
    return _to_array(image, source_mode, mode)


def load_image(
    source: str | os.PathLike[str] | bytes, *, size: int = 256, mode: str = "rgb"
) -> np.ndarray:
    """Decode an image into a float32 array of shape ``(C, H, W)`` with values in ``[0, 1]``.

    Parameters
    ----------
    source
        A path, or the bytes of an encoded image (e.g. pasted from the clipboard).
    size
        Longest side of the result in pixels; larger images are downscaled (aspect
        kept, at least 1 pixel a side), smaller ones are never upscaled.
    mode
        ``"rgb"`` for 3 channels, ``"grayscale"`` for 1 (ITU-R 601 luma).

    Returns
    -------
    numpy.ndarray
        float32 ``(C, H, W)``. Transparent parts are composited on white; 16-bit images
        keep their full range (divided by 65535); float images already in ``[0, 1]`` are
        kept, others are stretched from their min to their max. Only the first frame of
        an animation or multi-page file is read; EXIF orientation is applied.

    Raises
    ------
    ImageError
        One line naming the file: missing, a folder, unreadable, empty, truncated, not
        an image, an unsupported mode, or more than :data:`MAX_PIXELS` pixels.
    """
    label = _label(source)
    _check_args(size, mode, label)
    with _open_source(source) as handle:
        image = _open_image(handle, label)
        try:
            with image:
                return _decode(image, size, mode, label)
        except ImageError:
            raise
        except MemoryError:
            raise ImageError(f"{label}: not enough memory to decode the image") from None
        except Image.DecompressionBombError:
            raise ImageError(f"{label}: refused, the image is too large") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            text = str(exc) or type(exc).__name__
            if "truncated" in text or isinstance(exc, (EOFError, SyntaxError)):
                raise ImageError(f"{label}: the file is truncated or damaged ({text})") from None
            raise ImageError(f"{label}: cannot decode the image ({text})") from None
