"""An :class:`pyqtgraph.ImageItem` that renders finite float maps with less overhead.

Drawing a page of 64 tiles re-renders 64 items. For each, pyqtgraph scans the image for
NaNs and rebuilds a 256-entry Qt colour table from the lookup table in Python; together
about a third of the time of a page. :class:`MapImageItem` skips both: it rescales with
numpy into a reused uint8 buffer and reuses one colour table per lookup table. Data that
hold NaN (drawn transparent, as pyqtgraph does) or infinities (the end colours) take the
same path, only for the pixels shown, as 32-bit colours; pyqtgraph's own path (every pixel
of the map, 0.1 s for a page of 64 maps of 512²) is left for other kinds of image. The
item's ``image``, ``levels`` and ``lut`` are pyqtgraph's, unchanged.

It also colour-maps no more pixels than the screen shows: a 512² map in a 60-pixel tile is
mapped at every 8th row and column (the view draws images without smoothing, so it would
pick those pixels anyway), and mapped again at full resolution as soon as a paint finds
the item larger on screen (zoom, enlarged view, resize).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

__all__ = ["MapImageItem"]

_COLOR_TABLES: dict[int, tuple[np.ndarray, list[int]]] = {}


def _color_table(lut: np.ndarray) -> list[int]:
    """The Qt colour table of a ``(256, 3)`` uint8 lookup table, cached per table object."""
    key = id(lut)
    cached = _COLOR_TABLES.get(key)
    if cached is None or cached[0] is not lut:
        table = [QtGui.qRgb(*rgb) for rgb in lut.tolist()]
        cached = _COLOR_TABLES[key] = (lut, table)  # holding lut keeps its id unique
    return cached[1]


def _argb(indices: np.ndarray, lut: np.ndarray, transparent: np.ndarray) -> QtGui.QImage:
    """An ARGB32 image of colour ``indices`` into ``lut``, clear where ``transparent``."""
    table = np.array(_color_table(lut), dtype=np.uint32)
    pixels = table[indices]
    pixels[transparent] = 0
    return pg.functions.ndarray_to_qimage(pixels, QtGui.QImage.Format.Format_ARGB32)


class MapImageItem(pg.ImageItem):
    """A row-major image item (``image[row, col]``, x = column) for one 2-D float map."""

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self._finite = False
        self._scratch: np.ndarray | None = None
        self._indices: np.ndarray | None = None
        self._step = (1, 1)  # (rows, cols) of data per screen pixel at the last paint

    def set_map(
        self, data: np.ndarray, levels: tuple[float, float], lut: np.ndarray, *, finite: bool
    ) -> None:
        """Show ``data`` (2-D float32) with colour ``levels`` and a ``(256, 3)`` uint8 ``lut``.

        ``finite`` says the data hold no NaN or infinity (the caller has just computed
        their min and max, so it knows): then no pixel needs checking for NaN.
        """
        self._finite = bool(finite)
        self.setImage(data, autoLevels=False, levels=levels, lut=lut)

    def render(self) -> None:  # noqa: D102 - pyqtgraph hook
        image, lut, levels = self.image, self.lut, self.levels
        if (
            image is None
            or image.ndim != 2
            or image.dtype != np.float32
            or image.size == 0
            or self.autoDownsample
            or not isinstance(lut, np.ndarray)
            or lut.shape != (256, 3)
            or levels is None
            or np.ndim(levels) != 1
        ):
            super().render()
            return
        low, high = float(levels[0]), float(levels[1])
        # pyqtgraph's own rule: value v → index floor((v - low) · 256 / (high - low)), clipped.
        scale = 256.0 / (high - low) if high != low else 1.0
        rows, cols = self._step
        data = image[::rows, ::cols] if self._step != (1, 1) else image
        if self._scratch is None or self._scratch.shape != data.shape:
            self._scratch = np.empty(data.shape, np.float32)
            self._indices = np.empty(data.shape, np.uint8)
        buf = self._scratch
        with np.errstate(over="ignore", invalid="ignore"):  # ±inf, a range past float32
            np.subtract(data, np.float32(low), out=buf)
            np.multiply(buf, np.float32(scale), out=buf)
        np.clip(buf, 0, 255, out=buf)  # ±inf: the end colours
        nan = None if self._finite else np.isnan(buf)
        if nan is not None and nan.any():
            buf[nan] = 0  # a NaN has no index (and casting it warns): drawn clear below
        else:
            nan = None
        np.copyto(self._indices, buf, casting="unsafe")
        if nan is None:
            qimage = pg.functions.ndarray_to_qimage(
                self._indices, QtGui.QImage.Format.Format_Indexed8
            )
            qimage.setColorTable(_color_table(lut))
        else:
            qimage = _argb(self._indices, lut, nan)
        self.qimage = qimage
        self._renderRequired = False
        self._unrenderable = False

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:  # noqa: D102
        # The painter's transform says how many data pixels fall on one screen pixel; when
        # that changes, render again at the new resolution.
        t = painter.transform()
        step = (_step(t.m21(), t.m22()), _step(t.m11(), t.m12()))
        if step != self._step:
            self._step = step
            self._renderRequired = True
        super().paint(painter, *args)


def _step(dx: float, dy: float) -> int:
    """Data pixels per screen pixel along a unit vector mapped to ``(dx, dy)``; at least 1."""
    length = math.hypot(dx, dy)
    return max(1, int(1.0 / length)) if length > 0 else 1
