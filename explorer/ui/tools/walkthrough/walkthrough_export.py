"""Walk-through frames as files for slides: PNG/SVG of one frame, animated GIF or APNG.

Every frame is painted by :func:`explorer.ui.tools.walkthrough.walkthrough_paint.paint_frame` into a 16:9
:class:`QImage` (QPainter on a QImage works in any thread, so the dock exports on a worker)
and handed to Pillow, which writes both animated formats: ``.gif`` (256 colours per frame,
frame times in steps of 10 ms) and ``.png`` / ``.apng`` (an animated PNG).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from explorer.core.analysis.walkthrough import Walk
from explorer.core.errors import ExplorerError
from explorer.ui.tools.walkthrough.walkthrough_paint import FRAME_SIZE, paint_frame

__all__ = [
    "ANIMATION_SUFFIXES",
    "MAX_FRAMES",
    "ExportCancelled",
    "check_animation",
    "frame_height",
    "frame_image",
    "save_animation",
    "save_frame_png",
    "save_frame_svg",
]

ANIMATION_SUFFIXES = (".gif", ".png", ".apng")
MAX_FRAMES = 1500
MIN_WIDTH, MAX_WIDTH = 160, 3840
MIN_FPS, MAX_FPS = 0.5, 50.0


class ExportCancelled(ExplorerError):
    """The user cancelled an export (nothing was written)."""


def frame_height(width: int) -> int:
    """The height of a frame ``width`` pixels wide (16:9)."""
    return max(1, round(width * FRAME_SIZE[1] / FRAME_SIZE[0]))


def _check_width(width: int) -> int:
    if not MIN_WIDTH <= int(width) <= MAX_WIDTH:
        raise ExplorerError(f"width {width} px is out of range ({MIN_WIDTH}–{MAX_WIDTH})")
    return int(width)


def frame_image(walk: Walk, index: int, width: int, title: str = "") -> QImage:
    """Step ``index`` of ``walk`` as an RGB image ``width`` pixels wide."""
    width = _check_width(width)
    image = QImage(QSize(width, frame_height(width)), QImage.Format.Format_RGB32)
    painter = QPainter(image)
    paint_frame(painter, image.width(), image.height(), walk, index, title)
    painter.end()
    return image


def _to_pil(image: QImage) -> Image.Image:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(image.constBits())[: image.bytesPerLine() * image.height()]
    return Image.frombuffer(
        "RGB", (image.width(), image.height()), data, "raw", "RGB", image.bytesPerLine(), 1
    ).copy()


def save_frame_png(
    walk: Walk, index: int, path: str | Path, width: int = 1280, title: str = ""
) -> Path:
    """Write one frame as a PNG."""
    path = Path(path)
    if not frame_image(walk, index, width, title).save(str(path), "PNG"):
        raise ExplorerError(f"{path}: cannot write the PNG (check the folder and permissions)")
    return path


def save_frame_svg(walk: Walk, index: int, path: str | Path, title: str = "") -> Path:
    """Write one frame as an SVG (vector shapes and text)."""
    path = Path(path)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(*FRAME_SIZE))
    generator.setViewBox(QRectF(0, 0, *FRAME_SIZE))
    generator.setTitle(title or "Conv Explorer walk-through")
    painter = QPainter()
    if not painter.begin(generator):
        raise ExplorerError(f"{path}: cannot write the SVG (check the folder and permissions)")
    paint_frame(painter, FRAME_SIZE[0], FRAME_SIZE[1], walk, index, title)
    painter.end()
    if not path.is_file():
        raise ExplorerError(f"{path}: cannot write the SVG (check the folder and permissions)")
    return path


def check_animation(walk: Walk, path: str | Path, width: int, fps: float) -> None:
    """Refuse, with one line, what :func:`save_animation` cannot do."""
    suffix = Path(path).suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ExplorerError(
            f"{Path(path).name}: the animation must be a .gif or a .png (animated PNG)"
        )
    _check_width(width)
    if not MIN_FPS <= float(fps) <= MAX_FPS:
        raise ExplorerError(f"frame rate {fps} is out of range ({MIN_FPS}–{MAX_FPS:g} per second)")
    if len(walk.steps) > MAX_FRAMES:
        raise ExplorerError(
            f"{len(walk.steps)} frames is too many for an animation (at most "
            f"{MAX_FRAMES}): choose a smaller region or one frame per position"
        )


def save_animation(
    walk: Walk,
    path: str | Path,
    *,
    width: int = 960,
    fps: float = 4.0,
    title: str = "",
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Path:
    """Write every step of ``walk`` as an animated GIF (``.gif``) or APNG (``.png``).

    Parameters
    ----------
    width
        Frame width in pixels (height 9/16 of it).
    fps
        Frames per second; each frame lasts ``round(1000 / fps)`` ms (a GIF stores 10 ms
        steps). The animation loops.
    progress
        Called with ``(frames done, frames)`` after each frame.
    should_cancel
        Polled before each frame; when true, :class:`ExportCancelled` is raised and no file
        is written.
    """
    path = Path(path)
    check_animation(walk, path, width, fps)
    frames: list[Image.Image] = []
    total = len(walk.steps)
    for i in range(total):
        if should_cancel is not None and should_cancel():
            raise ExportCancelled("export cancelled")
        rgb = _to_pil(frame_image(walk, i, width, title))
        frames.append(rgb.quantize(256, method=Image.Quantize.FASTOCTREE))
        if progress is not None:
            progress(i + 1, total)
    duration = max(1, round(1000.0 / float(fps)))
    fmt = "GIF" if path.suffix.lower() == ".gif" else "PNG"
    options = {"disposal": 1} if fmt == "GIF" else {"disposal": 0, "blend": 0}
    try:
        frames[0].save(
            path,
            fmt,
            save_all=True,
            append_images=frames[1:],
            duration=duration,
            loop=0,
            optimize=False,
            **options,
        )
    except OSError as exc:
        raise ExplorerError(f"{path}: cannot write the animation ({exc.strerror or exc})") from None
    return path
