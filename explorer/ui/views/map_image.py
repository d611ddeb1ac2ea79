"""An :class:`pyqtgraph.ImageItem` that renders finite float maps with less overhead.

Drawing a page of 64 tiles re-renders 64 items. For each, pyqtgraph scans the image for
NaNs and rebuilds a 256-entry Qt colour table from the lookup table in Python; together
about a third of the time of a page. :class:`MapImageItem` skips both: it rescales with
numpy into a reused uint8 buffer and looks the colours up in one cached table of 32-bit
pixels per lookup table. The image it draws is 32-bit (opaque ``RGB32``, or premultiplied
ARGB where NaN is drawn clear, as pyqtgraph does), never the 8-bit indexed image pyqtgraph
makes: Qt converts an indexed image to 32 bits inside every ``drawImage``, which made a
tile's draw ≈ 15× and a 16×9 weight matrix filling its panel ≈ 7× slower (60 against 4 µs,
370 against 56 µs, measured). Infinities get the end colours. pyqtgraph's own path (every
pixel of the map, 0.1 s for a page of 64 maps of 512²) is left for other kinds of image.
The item's ``image``, ``levels`` and ``lut`` are pyqtgraph's, unchanged.

It also colour-maps no more pixels than the screen shows: a 512² map in a 60-pixel tile is
mapped at every 8th row and column (the view draws images without smoothing, so it would
pick those pixels anyway), and mapped again at full resolution as soon as a paint finds
the item larger on screen (zoom, enlarged view, resize).

Into an SVG (File ▸ Export ▸ … as SVG) a map is written as a PNG that Qt encodes on the GUI
thread; a 32-bit 512² map took 60-90 ms to encode. There the item hands the painter its 8-bit
indices with the lookup table as colour table, at the same screen resolution: Qt writes a
palette PNG, ≈ 9× faster (7 ms for 512²) and smaller, with the same colours (a map with
NaN, which needs a clear colour the 256-entry table has no room for, stays 32-bit). The image
is no larger than the map on the page (the nearest pixel of each, as the screen shows it): a
map's encoding costs no more than its share of the page.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

__all__ = ["MapImageItem", "pixel_table"]

_PIXEL_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def pixel_table(lut: np.ndarray) -> np.ndarray:
    """Opaque 32-bit pixels (``0xFFRRGGBB``, as ``QImage.Format_RGB32`` and premultiplied
    ARGB store them) of a ``(256, 3)`` uint8 lookup table, cached per table object."""
    key = id(lut)
    cached = _PIXEL_TABLES.get(key)
    if cached is None or cached[0] is not lut:
        rgb = np.asarray(lut, np.uint32)
        table = np.uint32(0xFF000000) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        cached = _PIXEL_TABLES[key] = (lut, table)  # lut kept: its id stays unique
    return cached[1]


class MapImageItem(pg.ImageItem):
    """A row-major image item (``image[row, col]``, x = column) for one 2-D float map."""

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self._finite = False
        self._scratch: np.ndarray | None = None
        self._indices: np.ndarray | None = None
        self._step = (1, 1)  # (rows, cols) of data per screen pixel at the last paint
        self._indexed_ok = False  # _indices hold the last render's pixels (no NaN)

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
            self._indexed_ok = False
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
        pixels = pixel_table(lut).take(self._indices)
        if nan is None:
            fmt = QtGui.QImage.Format.Format_RGB32
        else:
            pixels[nan] = 0  # clear (0 is clear in premultiplied ARGB)
            fmt = QtGui.QImage.Format.Format_ARGB32_Premultiplied
        self._indexed_ok = nan is None
        self.qimage = pg.functions.ndarray_to_qimage(pixels, fmt)
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
        engine = painter.paintEngine()
        if (
            engine is not None
            and engine.type() == QtGui.QPaintEngine.Type.SVG
            and self.paintMode is None
            and self.border is None
            and self.image is not None
        ):
            if self._renderRequired:
                self.render()
            page = (
                _pixels(self.image.shape[0], t.m21(), t.m22()),
                _pixels(self.image.shape[1], t.m11(), t.m12()),
            )
            image = self.indexed_image(page)
            if image is not None:
                height, width = self.image.shape[:2]
                painter.drawImage(QtCore.QRectF(0, 0, width, height), image)
                return
        super().paint(painter, *args)

    def indexed_image(self, page: tuple[int, int] | None = None) -> QtGui.QImage | None:
        """The last render as an 8-bit image with the lookup table as colour table (what an
        SVG gets: Qt encodes it as a palette PNG), or ``None`` when the map has NaN or was
        drawn by pyqtgraph's own path.

        ``page`` is the map's size on the page, ``(rows, cols)`` pixels: an image larger
        than that is sampled down to it (the nearest pixel of each, as the screen draws it).
        """
        indices = self._indices
        if not self._indexed_ok or indices is None or self._renderRequired:
            return None
        if page is not None:
            indices = _nearest(_nearest(indices, page[0], 0), page[1], 1)
        rows, cols = indices.shape
        image = QtGui.QImage(
            np.ascontiguousarray(indices).tobytes(),
            cols,
            rows,
            cols,
            QtGui.QImage.Format.Format_Indexed8,
        ).copy()  # owns its pixels (the bytes object goes away)
        image.setColorTable(pixel_table(self.lut).tolist())
        return image


def _step(dx: float, dy: float) -> int:
    """Data pixels per screen pixel along a unit vector mapped to ``(dx, dy)``; at least 1."""
    length = math.hypot(dx, dy)
    return max(1, int(1.0 / length)) if length > 0 else 1


def _pixels(count: int, dx: float, dy: float) -> int:
    """Screen pixels spanned by ``count`` data pixels along a unit vector mapped to
    ``(dx, dy)``; at least 1."""
    return max(1, math.ceil(count * math.hypot(dx, dy) - 1e-6))


def _nearest(indices: np.ndarray, size: int, axis: int) -> np.ndarray:
    """``indices`` with at most ``size`` entries along ``axis``: the nearest of each."""
    count = indices.shape[axis]
    if count <= size:
        return indices
    picks = ((np.arange(size) + 0.5) * (count / size)).astype(np.intp)
    return indices.take(picks, axis=axis)
