"""What goes into the first layer: a decoded image or a seeded random tensor.

:func:`resolve_input` gives the array; :func:`input_shape` gives its shape cheaply (from
the image header), which is all the cost model needs while the user edits.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from explorer.core.errors import ImageError, SceneError
from explorer.core.io.images import MODES, image_header, load_image, scaled_size
from explorer.core.io.samples import DEFAULT_SAMPLE, SAMPLE_PREFIX, sample_path
from explorer.core.io.scene_format import MAX_INPUT_SHAPE
from explorer.core.model.scene_model import InputSpec

__all__ = [
    "MAX_SHAPE",
    "clear_cache",
    "image_path",
    "input_shape",
    "normalized",
    "random_input",
    "resolve_input",
]

#: Largest ``(C, H, W)`` a random input may have, per axis.
MAX_SHAPE = MAX_INPUT_SHAPE
_CACHE_SIZE = 8

_cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
_headers: dict[tuple[object, ...], tuple[int, int]] = {}  # see _cached_header
_cache_lock = threading.Lock()


def image_path(input_spec: InputSpec) -> Path:
    """The file the input's image comes from: a path, a bundled sample or the default one.

    Raises
    ------
    ImageError
        If ``"sample:NAME"`` names no bundled sample.
    """
    image = input_spec.image
    if image is None:
        return sample_path(DEFAULT_SAMPLE)
    if image.startswith(SAMPLE_PREFIX):
        return sample_path(image)
    return Path(image)


def _channels(input_spec: InputSpec) -> int:
    if input_spec.mode not in MODES:
        raise ImageError(f"input mode must be one of {', '.join(MODES)}, got {input_spec.mode!r}")
    return 3 if input_spec.mode == "rgb" else 1


def _check_shape(shape: object) -> tuple[int, int, int]:
    ok = (
        isinstance(shape, (tuple, list))
        and len(shape) == 3
        and all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= hi
            for v, hi in zip(shape, MAX_SHAPE, strict=True)
        )
    )
    if not ok:
        raise SceneError(
            "input shape must be three positive integers [C, H, W] of at most "
            f"{list(MAX_SHAPE)}, got {shape!r}"
        )
    return shape[0], shape[1], shape[2]  # type: ignore[index, return-value]


def input_shape(input_spec: InputSpec) -> tuple[int, int, int]:
    """``(C, H, W)`` of what :func:`resolve_input` would return, reading only a header.

    Raises
    ------
    ImageError
        If the image is missing, unreadable, not an image or too large.
    SceneError
        If ``shape`` is not three positive integers.
    """
    if input_spec.shape is not None:
        return _check_shape(input_spec.shape)
    channels = _channels(input_spec)
    width, height = _cached_header(image_path(input_spec))
    new_w, new_h = scaled_size(width, height, input_spec.size)
    return channels, new_h, new_w


def _cached_header(path: Path) -> tuple[int, int]:
    """:func:`image_header`, remembered by path, modification time and size: the weight
    tools ask for the input shape on every selection and edit, and opening the image
    (a few ms) each time showed as GUI stalls."""
    try:
        stat = path.stat()
        key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):
        return image_header(path)  # let it name the problem
    with _cache_lock:
        if key in _headers:
            return _headers[key]
    header = image_header(path)
    with _cache_lock:
        _headers[key] = header
        while len(_headers) > 4 * _CACHE_SIZE:
            _headers.pop(next(iter(_headers)))
    return header


def random_input(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A demo tensor of standard-normal values (not clipped), the same for the same seed.

    Drawn with NumPy's ``default_rng(seed)`` (PCG64) rather than torch, so it does not
    depend on torch's version or device.
    """
    rng = np.random.default_rng(seed)
    return rng.standard_normal(_check_shape(shape), dtype=np.float32)


def _cached_image(path: Path, size: int, mode: str) -> np.ndarray:
    try:
        stat = path.stat()
        key: tuple[object, ...] = (
            os.path.abspath(path),
            stat.st_mtime_ns,
            stat.st_size,
            size,
            mode,
        )
    except (OSError, ValueError):
        return load_image(path, size=size, mode=mode)  # let it name the problem
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    array = load_image(path, size=size, mode=mode)
    with _cache_lock:
        _cache[key] = array
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return array


def clear_cache() -> None:
    """Forget every decoded image and image header."""
    with _cache_lock:
        _cache.clear()
        _headers.clear()


def resolve_input(input_spec: InputSpec, seed: int = 0) -> np.ndarray:
    """The input array, float32 ``(C, H, W)``.

    With ``shape`` set: a seeded random tensor (see :func:`random_input`). Otherwise the
    image (a path, ``"sample:NAME"`` or the default sample) decoded by
    :func:`~explorer.core.io.images.load_image` at ``size`` and ``mode``. Decoded images
    are kept in a small LRU cache keyed by path, modification time, file size, ``size``
    and ``mode``; each call returns a fresh copy, so callers may change it.

    Raises
    ------
    ImageError
        If the image cannot be read (the message names the file).
    SceneError
        If ``shape`` is not three positive integers.
    """
    if input_spec.shape is not None:
        return random_input(input_spec.shape, seed)
    channels = _channels(input_spec)
    array = _cached_image(image_path(input_spec), input_spec.size, input_spec.mode)
    if input_spec.normalize is not None:
        return normalized(array, input_spec.normalize, channels)
    return array.copy()


def normalized(
    array: np.ndarray,
    normalize: tuple[tuple[float, ...], tuple[float, ...]],
    channels: int | None = None,
) -> np.ndarray:
    """``(array − mean) / std`` per channel, as a new float32 array.

    Raises
    ------
    SceneError
        When ``mean``/``std`` have neither one value nor one per channel.
    """
    channels = array.shape[0] if channels is None else channels
    mean, std = (np.asarray(v, dtype=np.float32) for v in normalize)
    if mean.size not in (1, channels) or std.size not in (1, channels):
        raise SceneError(
            f"input normalize has {mean.size} values but the image has {channels} channels"
        )
    shape = (-1, 1, 1)
    return ((array - mean.reshape(shape)) / std.reshape(shape)).astype(np.float32)
