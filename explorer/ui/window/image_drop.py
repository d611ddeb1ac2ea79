"""Getting images and scenes into the window: drops, the clipboard, pasted bytes.

Qt-side helpers only; decoding and validation are :func:`explorer.core.io.images.load_image`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData
from PySide6.QtGui import QImage

__all__ = [
    "IMAGE_SUFFIXES",
    "SCENE_SUFFIXES",
    "dropped_paths",
    "is_scene_file",
    "mime_image_png",
    "qimage_to_png",
    "store_pasted_image",
]

SCENE_SUFFIXES = (".json",)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def dropped_paths(mime: QMimeData) -> list[Path]:
    """The local files named by a drop (or a paste of copied files)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def is_scene_file(path: str | Path) -> bool:
    """Whether ``path`` looks like a scene file (opened as a scene, not as an image)."""
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def qimage_to_png(image: QImage) -> bytes:
    """Encode a ``QImage`` as PNG bytes (lossless)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def mime_image_png(mime: QMimeData) -> bytes | None:
    """PNG bytes of the image in ``mime`` (a copied bitmap), or ``None`` if it has none."""
    if not mime.hasImage():
        return None
    image = mime.imageData()
    if not isinstance(image, QImage) or image.isNull():
        return None
    return qimage_to_png(image)


def store_pasted_image(data: bytes, directory: Path) -> Path:
    """Write pasted image bytes to ``directory/pasted`` (named by content) and return the path.

    A scene refers to its input image by path, so a pasted image needs a file.
    """
    folder = directory / "pasted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"paste-{hashlib.sha1(data).hexdigest()[:12]}.png"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
