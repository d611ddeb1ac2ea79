"""The left part of a walk-through frame: the layer's input as a stack of channel sheets.

Each sheet is one channel of the input around the region, drawn in an oblique view (2.5-D)
as one sheared image with its grid; the window's taps are outlined where they land (stride,
dilation, padding hatched) and the channels an output does not read are dimmed.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from explorer.core.analysis.walkthrough import Step, Walk
from explorer.ui.tools.walkthrough.walkthrough_style import (
    CURRENT,
    HILITE,
    INK,
    MUTED,
    PAD,
    colors,
    font,
    value_scale,
)

__all__ = ["MAX_SHEETS", "Stack", "stack_of"]

MAX_SHEETS = 8
#: A sheet's image has at most this many pixels per side: a box of thousands of cells (taps
#: far into a wide dilated padding) is drawn a few hundred screen pixels wide anyway, and
#: filling one pixel per cell took 0.1 s of the GUI thread in a monkey run.
MAX_IMAGE_SIDE = 512
#: Cell borders are drawn when a cell is at least this many pixels wide (thousands of
#: sub-pixel lines would only grey the sheet); the sheet's outline always is.
MIN_GRID_CELL_PX = 2.0


def _sampled(start: int, count: int) -> np.ndarray:
    """Indices of ``count`` cells from ``start``, at most :data:`MAX_IMAGE_SIDE` of them
    evenly spread (nearest cell)."""
    if count <= MAX_IMAGE_SIDE:
        return start + np.arange(count)
    return start + (np.arange(MAX_IMAGE_SIDE) * count) // MAX_IMAGE_SIDE


class Stack:
    """The input around the region as sheets, one per channel, in an oblique view."""

    def __init__(self, walk: Walk, box: QRectF) -> None:
        self.walk = walk
        c, h, w = walk.x.shape
        rows = [walk.region.top, walk.region.top + walk.region.height - 1]
        cols = [walk.region.left, walk.region.left + walk.region.width - 1]
        for s in walk.steps:  # every tap, padding included
            if s.rows.size:
                rows += [int(s.rows.min()), int(s.rows.max())]
                cols += [int(s.cols.min()), int(s.cols.max())]
        self.r0, self.c0 = min(rows), min(cols)
        self.nr, self.nc = max(rows) - self.r0 + 1, max(cols) - self.c0 + 1
        self.channels = c
        self.sheets = min(c, MAX_SHEETS)
        # oblique projection: a column step is (u, 0), a row step is (v·0.6, v·0.5)
        span_w = self.nc + 0.6 * self.nr
        self.u = min(box.width() / span_w, 44.0)
        self.v = self.u
        sheet_h = 0.5 * self.v * self.nr
        gap = min(sheet_h + 14, (box.height() - sheet_h - 30) / max(self.sheets - 1, 1))
        self.gap = max(gap, 8.0)
        self.origin = QPointF(box.left(), box.top() + 30 + (self.sheets - 1) * self.gap)
        inside = walk.x[:, max(self.r0, 0) : self.r0 + self.nr, max(self.c0, 0) : self.c0 + self.nc]
        self.scale = value_scale(inside)
        self._images: dict[int, QImage] = {}

    def shown(self, step: Step) -> list[int]:
        """The channels drawn as sheets: all of them, or a run around the current one."""
        if self.channels <= MAX_SHEETS:
            return list(range(self.channels))
        focus = step.channels[-1] if step.phase == "window" and step.channels else 0
        start = max(0, min(focus - MAX_SHEETS // 2, self.channels - MAX_SHEETS))
        return list(range(start, start + MAX_SHEETS))

    def point(self, sheet: int, r: float, c: float) -> QPointF:
        return QPointF(*self.xy(sheet, r, c))

    def xy(self, sheet: int, r: Any, c: Any) -> tuple[Any, Any]:
        """Screen ``(x, y)`` of cell corner ``(r, c)`` of a sheet (floats, or numpy arrays
        of rows and columns that broadcast)."""
        o = self.origin
        return o.x() + c * self.u + 0.6 * r * self.v, o.y() - sheet * self.gap + 0.5 * r * self.v

    def cell(self, sheet: int, r: int, c: int) -> QPolygonF:
        rr, cc = r - self.r0, c - self.c0
        return QPolygonF(
            [
                self.point(sheet, rr, cc),
                self.point(sheet, rr, cc + 1),
                self.point(sheet, rr + 1, cc + 1),
                self.point(sheet, rr + 1, cc),
            ]
        )

    def paint(self, p: QPainter, step: Step) -> None:
        x = self.walk.x
        h, w = x.shape[1:]
        shown = self.shown(step)
        read = set(step.read_channels) if step.read_channels else set(range(self.channels))
        current = set(step.channels) if step.phase == "window" else set()
        if step.phase == "matrix" and step.source == "X":  # a 1×1 matrix reads every channel
            current = set(range(self.channels))
        for sheet, ch in reversed(list(enumerate(shown))):
            dim = ch not in read
            self._sheet(p, sheet, ch, dim)
            self._region_outline(p, sheet)
            self._taps(p, sheet, step, strong=ch in current, dim=dim)
            p.setFont(font(13, ch in current))
            p.setPen(CURRENT if ch in current else (MUTED if dim else INK))
            label = f"c'={ch}" + ("  (not read)" if dim else "")
            end = self.point(sheet, 0, self.nc)
            p.drawText(QPointF(end.x() + 6, end.y() + 10), label)
        if self.channels > len(shown):
            p.setFont(font(13))
            p.setPen(MUTED)
            top = self.point(len(shown) - 1, 0, 0)
            p.drawText(
                QPointF(top.x(), top.y() - 10),
                f"sheets {shown[0]}…{shown[-1]} of {self.channels} channels",
            )

    def _image(self, ch: int) -> QImage:
        """Channel ``ch`` of the shown box, one pixel per cell (padding light gray); a box
        over :data:`MAX_IMAGE_SIDE` cells a side is sampled to that many (nearest cell)."""
        image = self._images.get(ch)
        if image is None:
            x = self.walk.x
            h, w = x.shape[1:]
            rows, cols = _sampled(self.r0, self.nr), _sampled(self.c0, self.nc)
            # padding is one colour; only the input's cells in the box are coloured (a
            # wide dilated padding is millions of padding cells around a few input ones)
            rgb = np.empty((rows.size, cols.size, 3), np.uint8)
            rgb[:] = (PAD.red(), PAD.green(), PAD.blue())
            top, bottom = np.searchsorted(rows, 0), np.searchsorted(rows, h)
            left, right = np.searchsorted(cols, 0), np.searchsorted(cols, w)
            if top < bottom and left < right:
                inside = x[ch][np.ix_(rows[top:bottom], cols[left:right])]
                rgb[top:bottom, left:right] = colors(inside, self.scale)
            data = np.ascontiguousarray(rgb)
            image = QImage(
                data.data, cols.size, rows.size, 3 * cols.size, QImage.Format.Format_RGB888
            ).copy()
            self._images[ch] = image
        return image

    def _sheet(self, p: QPainter, sheet: int, ch: int, dim: bool) -> None:
        """One channel's sheet: its cells as a sheared image, the grid, hatched padding."""
        o = self.origin
        p.save()
        p.setTransform(
            QTransform(self.u, 0, 0.6 * self.v, 0.5 * self.v, o.x(), o.y() - sheet * self.gap), True
        )
        p.setOpacity(0.3 if dim else 0.95)
        p.drawImage(QRectF(0, 0, self.nc, self.nr), self._image(ch))
        p.setOpacity(0.3 if dim else 1.0)
        pen = QPen(QColor(150, 150, 155), 0)  # cosmetic: one pixel whatever the shear
        p.setPen(pen)
        path = QPainterPath()
        fine = self.u >= MIN_GRID_CELL_PX  # else only the outline
        for r in range(self.nr + 1) if fine else (0, self.nr):
            path.moveTo(0, r)
            path.lineTo(self.nc, r)
        for c in range(self.nc + 1) if fine else (0, self.nc):
            path.moveTo(c, 0)
            path.lineTo(c, self.nr)
        p.drawPath(path)
        p.setBrush(QBrush(QColor(150, 150, 155), Qt.BrushStyle.BDiagPattern))
        p.setPen(Qt.PenStyle.NoPen)
        for band in self.padding_bands():
            p.drawRect(band)
        p.restore()

    def padding_bands(self) -> list[QRectF]:
        """The padding cells of a sheet (in cell units, row 0 / column 0 at the shown box's
        top-left) as at most four rectangles: above, below, left of and right of the input.

        One rectangle per band, not per cell: a padding of 600 around a small map is
        millions of cells, and drawing them one by one froze the window for seconds.
        """
        h, w = self.walk.x.shape[1:]
        top = min(max(-self.r0, 0), self.nr)  # shown rows above row 0 of the input
        bottom = max(min(self.r0 + self.nr - h, self.nr - top), 0)  # rows below its last
        left = min(max(-self.c0, 0), self.nc)
        right = max(min(self.c0 + self.nc - w, self.nc - left), 0)
        middle = self.nr - top - bottom  # the rows that hold input cells
        bands = [
            QRectF(0, 0, self.nc, top),
            QRectF(0, self.nr - bottom, self.nc, bottom),
            QRectF(0, top, left, middle),
            QRectF(self.nc - right, top, right, middle),
        ]
        return [b for b in bands if b.width() > 0 and b.height() > 0]

    def _region_outline(self, p: QPainter, sheet: int) -> None:
        g = self.walk.region
        r, c = g.top - self.r0, g.left - self.c0
        poly = QPolygonF(
            [
                self.point(sheet, r, c),
                self.point(sheet, r, c + g.width),
                self.point(sheet, r + g.height, c + g.width),
                self.point(sheet, r + g.height, c),
            ]
        )
        p.setBrush(Qt.BrushStyle.NoBrush)
        # a cosmetic 1 px dashed pen: Qt strokes a 1.2 px anti-aliased dashed outline
        # through its general stroker, 0.24 ms each, ~4 ms a frame for 16 sheets (0.013 ms)
        pen = QPen(QColor(60, 60, 65, 160), 1, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.drawPolygon(poly)

    def _taps(self, p: QPainter, sheet: int, step: Step, *, strong: bool, dim: bool) -> None:
        if dim:
            return
        if step.rows.size:
            rows, cols = step.rows, step.cols
        else:  # a 1×1 layer reads one pixel; a matrix after another part reads D, not X
            if not self.walk.reads_pixel:
                return
            s = self.walk.geometry.stride
            rows, cols = np.array([step.row * s[0]]), np.array([step.col * s[1]])
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(CURRENT if strong else HILITE, 3.0 if strong else 1.6))
        if rows.size * cols.size <= 16:
            for r in rows:
                for c in cols:
                    p.drawPolygon(self.cell(sheet, int(r), int(c)))
            return
        # a big kernel taps thousands of cells: their edges as one list of lines, the
        # corners computed at once (a polygon per cell was ~15 ms a frame for a 41×41
        # kernel; one path of them all is slower still to stroke)
        rr = (np.asarray(rows, float) - self.r0)[:, None]
        cc = (np.asarray(cols, float) - self.c0)[None, :]
        xs, ys = [], []
        for dr, dc in [(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)]:
            x, y = np.broadcast_arrays(*self.xy(sheet, rr + dr, cc + dc))
            xs.append(x.ravel().tolist())
            ys.append(y.ravel().tolist())
        p.drawLines(
            [
                QLineF(ax, ay, bx, by)
                for k in range(4)
                for ax, ay, bx, by in zip(xs[k], ys[k], xs[k + 1], ys[k + 1], strict=True)
            ]
        )


_STACKS: weakref.WeakKeyDictionary[Walk, Stack] = weakref.WeakKeyDictionary()
_STACKS_LOCK = threading.Lock()


def stack_of(walk: Walk) -> Stack:
    """The walk's stack view, made once per walk (the dock and an export may share it)."""
    with _STACKS_LOCK:
        stack = _STACKS.get(walk)
        if stack is None:
            stack = _STACKS[walk] = Stack(walk, QRectF(24, 56, 380, 520))
        return stack
