"""Generators of the files users throw at the app: every one made in the test, none stored.

Each maker takes a folder and returns the path it wrote. :data:`REFUSED_IMAGES` are
files the app must refuse with a one-line message naming the file; :data:`ACCEPTED_IMAGES`
are odd but valid images it must convert. Used by the core, window and CLI tests of this
folder (and by the subprocess scripts they start).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "ACCEPTED_IMAGES",
    "REFUSED_IMAGES",
    "bad_scene_texts",
    "heavy_scene",
    "png_claiming",
    "write_scene",
]

Maker = Callable[[Path], Path]


def _noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims ``width × height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------- refused
def _truncated(path: Path, image_format: str, keep_fraction: int) -> Path:
    """Noise saved in ``image_format``, cut to the first ``1/keep_fraction`` of its bytes."""
    buffer = io.BytesIO()
    Image.fromarray(_noise(64, 64)).save(buffer, image_format)
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // keep_fraction])
    return path


def truncated_png(folder: Path) -> Path:
    return _truncated(folder / "truncated.png", "PNG", 2)


def truncated_jpeg(folder: Path) -> Path:
    return _truncated(folder / "truncated.jpg", "JPEG", 3)


def empty_file(folder: Path) -> Path:
    path = folder / "empty.png"
    path.write_bytes(b"")
    return path


def text_as_png(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("this is not a picture\n" * 20, encoding="utf-8")
    return path


def random_bytes_as_jpeg(folder: Path) -> Path:
    path = folder / "noise.jpg"
    path.write_bytes(np.random.default_rng(7).bytes(4096))
    return path


def scene_json_as_png(folder: Path) -> Path:
    path = folder / "scene.png"
    path.write_text('{"format": "conv-explorer-scene", "version": 1}', encoding="utf-8")
    return path


def huge_header_png(folder: Path) -> Path:
    """40 000 × 40 000 pixels claimed (1.6 gigapixels): must be refused from the header."""
    path = folder / "huge.png"
    path.write_bytes(png_claiming(40_000, 40_000))
    return path


def missing_path(folder: Path) -> Path:
    return folder / "does-not-exist.png"


def a_directory(folder: Path) -> Path:
    path = folder / "photos.png"
    path.mkdir(exist_ok=True)
    return path


REFUSED_IMAGES: dict[str, tuple[Maker, str]] = {
    # name: (maker, words the message must hold)
    "truncated png": (truncated_png, "truncated"),
    "truncated jpeg": (truncated_jpeg, "truncated"),
    "empty": (empty_file, "empty"),
    "text with .png": (text_as_png, "not an image"),
    "random bytes with .jpg": (random_bytes_as_jpeg, "not an image"),
    "json with .png": (scene_json_as_png, "not an image"),
    "huge dimensions": (huge_header_png, "refused"),
    "missing path": (missing_path, "no such file"),
    "directory": (a_directory, "folder"),
}


# ---------------------------------------------------------------------- accepted
def sixteen_bit(folder: Path) -> Path:
    path = folder / "deep16.png"
    ramp = (np.arange(48 * 32).reshape(32, 48) * 40).astype(np.uint16)
    Image.fromarray(ramp).save(path)
    return path


def one_pixel(folder: Path) -> Path:
    path = folder / "dot.png"
    Image.new("RGB", (1, 1), (200, 30, 10)).save(path)
    return path


def very_wide(folder: Path) -> Path:
    path = folder / "wide.png"
    Image.fromarray(_noise(4000, 2)).save(path)
    return path


def very_tall(folder: Path) -> Path:
    path = folder / "tall.png"
    Image.fromarray(_noise(3, 3000)).save(path)
    return path


def cmyk_jpeg(folder: Path) -> Path:
    path = folder / "print.jpg"
    Image.fromarray(_noise(40, 30)).convert("CMYK").save(path, "JPEG")
    return path


def palette_transparent(folder: Path) -> Path:
    path = folder / "palette.png"
    image = Image.fromarray(_noise(20, 20)).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    image.info["transparency"] = 0
    image.save(path, transparency=0)
    return path


def rgba(folder: Path) -> Path:
    path = folder / "alpha.png"
    data = np.dstack(
        [_noise(24, 16), np.linspace(0, 255, 24 * 16).reshape(16, 24).astype(np.uint8)]
    )
    Image.fromarray(data, "RGBA").save(path)
    return path


def animated_gif(folder: Path) -> Path:
    path = folder / "anim.gif"
    frames = [Image.new("RGB", (16, 12), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


def multipage_tiff(folder: Path) -> Path:
    path = folder / "pages.tif"
    pages = [Image.new("RGB", (16, 12), c) for c in ((10, 20, 30), (200, 100, 0))]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def exif_rotated(folder: Path) -> Path:
    path = folder / "rotated.jpg"
    image = Image.fromarray(_noise(60, 20))
    exif = image.getexif()
    exif[0x0112] = 6  # displayed rotated by 90°: 20 wide, 60 tall
    image.save(path, quality=95, exif=exif)
    return path


def large_jpeg(folder: Path) -> Path:
    """20 000 × 1 500 pixels (30 MP, under the limit): decoded at a reduced scale."""
    path = folder / "panorama.jpg"
    row = np.linspace(0, 255, 20_000, dtype=np.uint8)
    data = np.broadcast_to(row[None, :, None], (1500, 20_000, 3))
    Image.fromarray(np.ascontiguousarray(data)).save(path, "JPEG", quality=80)
    return path


ACCEPTED_IMAGES: dict[str, tuple[Maker, tuple[int, int]]] = {
    # name: (maker, (H, W) after downscaling to the default working size 256)
    "16-bit": (sixteen_bit, (32, 48)),
    "1x1": (one_pixel, (1, 1)),
    "extreme wide": (very_wide, (1, 256)),
    "extreme tall": (very_tall, (256, 1)),
    "cmyk": (cmyk_jpeg, (30, 40)),
    "palette + transparency": (palette_transparent, (20, 20)),
    "rgba": (rgba, (16, 24)),
    "animated gif": (animated_gif, (12, 16)),
    "multi-page tiff": (multipage_tiff, (12, 16)),
    "exif rotated": (exif_rotated, (60, 20)),
}


# ---------------------------------------------------------------------- scenes
def write_scene(folder: Path, data: object, name: str = "scene.json") -> Path:
    """Write ``data`` as JSON (a ``str`` is written as it is)."""
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _doc(layers: list[dict], **top: object) -> dict:
    return {
        "format": "conv-explorer-scene",
        "version": 1,
        "input": top.pop("input", {"shape": [3, 16, 16]}),
        "layers": layers,
        **top,
    }


def bad_scene_texts(folder: Path) -> dict[str, tuple[str | dict, str]]:
    """Scene documents that must be refused: name → (document, words the message holds)."""
    pw = {"kind": "pointwise", "out_channels": 4}
    return {
        "malformed json": ('{"format": "conv-explorer-scene", "version": 1,\n "layers": [', "JSON"),
        "not json at all": ("\x89PNG this is a picture", "JSON"),
        "binary": ("\udcff", "UTF-8"),  # written with surrogateescape below
        "top is a list": ("[1, 2, 3]", "scene"),
        "wrong format": (_doc([pw], format="something-else"), "format"),
        "wrong type": (_doc([{"kind": "pointwise", "out_channels": "four"}]), "out_channels"),
        "missing format": ({"version": 1, "layers": [pw]}, "format"),
        "missing out_channels": (_doc([{"kind": "pointwise"}]), "out_channels"),
        "missing kind": (_doc([{"out_channels": 4}]), "kind"),
        "unknown kind": (_doc([{"kind": "dilated", "out_channels": 4}]), "dilated"),
        "newer version": (_doc([pw], version=99), "version"),
        "negative channels": (_doc([{"kind": "pointwise", "out_channels": -3}]), "out_channels"),
        "100000 channels": (_doc([{"kind": "pointwise", "out_channels": 100_000}]), "out_channels"),
        "kernel bigger than input": (
            _doc([{"kind": "standard", "out_channels": 4, "kernel_size": 99}]),
            "kernel_size",
        ),
        "missing image": (_doc([pw], input={"image": "gone.png"}), "gone.png"),
        "image is not an image": (_doc([pw], input={"image": "fake.png"}), "fake.png"),
        "missing checkpoint": (
            _doc([dict(pw, weights={"checkpoint": "w.pt", "key": "w"})]),
            "w.pt",
        ),
    }


def heavy_scene(folder: Path, *, layers: int = 40, size: int = 96, channels: int = 48) -> Path:
    """A scene whose run takes seconds on a CPU (for cancel and close-during-run tests)."""
    stack = [
        {"kind": "standard", "out_channels": channels, "kernel_size": 7, "padding": "same"}
        for _ in range(layers)
    ]
    return write_scene(folder, _doc(stack, input={"shape": [channels, size, size]}), "heavy.json")


def write_bad_scene(folder: Path, name: str, doc: str | dict) -> Path:
    """Write one of :func:`bad_scene_texts`, making the files it refers to."""
    (folder / "fake.png").write_text("not a picture", encoding="utf-8")
    path = folder / (name.replace(" ", "_") + ".json")
    if isinstance(doc, str):
        path.write_bytes(doc.encode("utf-8", "surrogateescape"))
    else:
        path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def evil_checkpoint(folder: Path, marker: Path) -> Path:
    """A pickle that would create ``marker`` if it were ever unpickled unsafely."""

    class Evil:
        def __reduce__(self):  # noqa: D105
            return (os.system, (f"touch {marker}",))

    path = folder / "evil.pt"
    path.write_bytes(pickle.dumps({"weight": Evil()}, protocol=2))
    return path
