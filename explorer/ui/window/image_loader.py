"""Checking a new input image off the GUI thread (Open Image…, a dropped image, a paste).

The window decodes an image before it uses it, so a file that cannot be read changes
nothing; decoding a photo (and, for a paste, encoding the clipboard's bitmap as a PNG file)
takes tens to hundreds of milliseconds, so :class:`ImageLoader` does it on a worker
(:class:`~explorer.ui.state.runner.LatestRunner`: the newest request wins) and the GUI thread
only switches the input when the image is known to be good
(:meth:`~explorer.ui.window.file_ops.FileOps.use_image`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from explorer.core.errors import ExplorerError
from explorer.ui.state.runner import LatestRunner
from explorer.ui.window.scene_loader import one_line

if TYPE_CHECKING:
    from explorer.ui.window.file_ops import FileOps

__all__ = ["ImageFailed", "ImageLoader", "check_image"]


@dataclass(frozen=True)
class ImageFailed:
    """Why an image was refused (``message`` is the one line shown)."""

    message: str


def check_image(source: Path | bytes | QImage, size: int, mode: str, store: Path) -> Path:
    """The path of a checked input image (no widget: runs on a worker).

    ``source`` is a file (decoded to check it), PNG/JPEG bytes or a ``QImage`` (a paste:
    encoded as PNG, checked, and written under ``store/pasted``).

    Raises
    ------
    ExplorerError, OSError
        The image cannot be used (the message names the file).
    """
    from explorer.core.io.images import load_image
    from explorer.ui.window.image_drop import qimage_to_png, store_pasted_image

    if isinstance(source, QImage):
        source = qimage_to_png(source)
    if isinstance(source, bytes):
        load_image(source, size=size, mode=mode)
        return store_pasted_image(source, store)
    path = Path(source).resolve()
    load_image(path, size=size, mode=mode)
    return path


class ImageLoader(QObject):
    """Checks images on a worker and hands the good ones to ``files`` on the GUI thread.

    Signals
    -------
    finished(object)
        The path used, or an :class:`ImageFailed` (tests wait on it).
    """

    finished = Signal(object)

    def __init__(self, files: FileOps) -> None:
        super().__init__(files.window)
        self.files = files
        # its own thread: opening a file never queues behind a long run in the global pool
        self.runner = LatestRunner(self, own_thread=True)
        self._names: dict[int, str] = {}
        self.runner.returned.connect(self._on_checked)
        self.runner.errored.connect(self._on_failed)
        self.runner.finished.connect(lambda rev: self._names.pop(rev, None))

    @property
    def busy(self) -> bool:
        """An image is being checked."""
        return self.runner.busy

    def open(self, source: Path | QImage) -> int:
        """Start checking ``source`` (a file or a pasted bitmap); returns the revision."""
        from explorer.ui.window.crash import data_dir

        current = self.files.document.scene.input
        pasted = isinstance(source, QImage)
        name = "pasted image" if pasted else Path(source).name
        revision = self.runner.new_revision()
        self._names[revision] = "pasted image" if pasted else str(source)
        self.files.window.statusBar().showMessage(f"Reading {name}…")
        job_source = source.copy() if pasted else Path(source)  # the worker's own copy
        return self.runner.submit(
            check_image, job_source, current.size, current.mode, data_dir(), revision=revision
        )

    def shutdown(self) -> None:
        """Drop what is being checked (the window closes)."""
        self.runner.shutdown(0.0)

    def _on_checked(self, _revision: int, path: Path) -> None:
        self.files.use_image(path)
        self.finished.emit(path)

    def _on_failed(self, revision: int, exc: object) -> None:
        if not isinstance(exc, (ExplorerError, OSError)):
            raise exc  # type: ignore[misc]  # a bug: the crash dialog shows it
        message = one_line(exc, self._names.get(revision, "image"))
        self.files.report("Cannot use the image", message)
        self.finished.emit(ImageFailed(message))
