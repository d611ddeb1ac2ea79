"""Drawing one frame of a walk-through with a QPainter (screen, PNG, SVG and GIF alike).

A frame is laid out on a 1280×720 canvas, scaled to whatever it is painted into:

* left, the layer's input around the region as a stack of channel sheets (2.5-D): the
  window's taps outlined on the channels being summed, padded cells hatched, the channels
  an output does not read dimmed (groups, depthwise);
* middle, the step itself with its numbers: window × kernel = products (k×k), or the vector
  meeting the rows of the matrix (1×1), or the bias / BN / activation;
* right, the output channel's map over the region filling in, and the output vector
  ``Y[h,w,:]`` at this position;
* below, the step as a formula and the running sum.

Everything drawn is read from the precomputed :class:`~explorer.core.walkthrough.Walk`:
painting computes nothing.
"""

from __future__ import annotations

import math
import threading
import weakref

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from ..core.inspect import format_value
from ..core.walkthrough import Step, Walk

__all__ = ["FRAME_SIZE", "paint_frame", "value_color"]

#: The logical canvas every frame is laid out on (16:9).
FRAME_SIZE = (1280, 720)
_BG = QColor("#ffffff")
_INK = QColor("#1d1d1f")
_MUTED = QColor("#8a8a8e")
_HILITE = QColor("#ff9f0a")
_CURRENT = QColor("#d70015")
_PAD = QColor("#d9d9de")
_MAX_SHEETS = 8


def value_color(v: float, scale: float, alpha: int = 255) -> QColor:
    """Blue (negative) – white (0) – red (positive), saturated at ``±scale``."""
    if not math.isfinite(v):
        return QColor(245, 245, 247, alpha)
    t = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    end = (178, 24, 43) if t > 0 else (33, 102, 172)
    a = abs(t)
    rgb = [round(255 + (e - 255) * a) for e in end]
    return QColor(*rgb, alpha)


def _colors(values: np.ndarray, scale: float) -> np.ndarray:
    """:func:`value_color` of every value, as ``uint8`` RGB (NaN: near white)."""
    t = np.clip(np.nan_to_num(values / scale if scale > 0 else values * 0), -1, 1)[..., None]
    pos = np.array([178, 24, 43], dtype=float)
    neg = np.array([33, 102, 172], dtype=float)
    end = np.where(t > 0, pos, neg)
    rgb = np.round(255 + (end - 255) * np.abs(t))
    rgb[np.isnan(values)] = (245, 245, 247)
    return rgb.astype(np.uint8)


def _text_color(v: float, scale: float) -> QColor:
    return QColor("white") if math.isfinite(v) and scale > 0 and abs(v) / scale > 0.55 else _INK


def _font(px: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(px)))
    font.setBold(bold)
    return font


def _scale(values: np.ndarray) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    return m if m > 0 else 1.0


def _grid(p: QPainter, x: float, y: float, values: np.ndarray, cell: float, scale: float,
          padded: np.ndarray | None = None, numbers: bool = True, title: str = "",
          left: bool = False) -> QRectF:
    """A 2-D grid of cells coloured by value, with numbers; returns its rectangle. The
    title is centred over the grid, or starts at its left edge (``left``)."""
    rows, cols = values.shape
    if title:
        p.setFont(_font(15, True))
        p.setPen(_INK)
        if left:
            p.drawText(QRectF(x, y - 24, 300, 20), Qt.AlignmentFlag.AlignLeft, title)
        else:
            p.drawText(QRectF(x - 40, y - 24, cols * cell + 80, 20),
                       Qt.AlignmentFlag.AlignCenter, title)
    p.setFont(_font(min(cell * 0.25, 15)))
    for r in range(rows):
        for c in range(cols):
            rect = QRectF(x + c * cell, y + r * cell, cell, cell)
            v = float(values[r, c])
            pad = padded is not None and bool(padded[r, c])
            p.setBrush(QBrush(_PAD, Qt.BrushStyle.BDiagPattern) if pad else value_color(v, scale))
            p.setPen(QPen(_MUTED, 1))
            p.drawRect(rect)
            if numbers and math.isfinite(v):
                p.setPen(_MUTED if pad else _text_color(v, scale))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "pad" if pad else format_value(v, 2))
    return QRectF(x, y, cols * cell, rows * cell)


class _Stack:
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
        self.sheets = min(c, _MAX_SHEETS)
        # oblique projection: a column step is (u, 0), a row step is (v·0.6, v·0.5)
        span_w = self.nc + 0.6 * self.nr
        self.u = min(box.width() / span_w, 44.0)
        self.v = self.u
        sheet_h = 0.5 * self.v * self.nr
        gap = min(sheet_h + 14, (box.height() - sheet_h - 30) / max(self.sheets - 1, 1))
        self.gap = max(gap, 8.0)
        self.origin = QPointF(box.left(), box.top() + 30 + (self.sheets - 1) * self.gap)
        inside = walk.x[:, max(self.r0, 0):self.r0 + self.nr, max(self.c0, 0):self.c0 + self.nc]
        self.scale = _scale(inside)
        self._images: dict[int, QImage] = {}

    def shown(self, step: Step) -> list[int]:
        """The channels drawn as sheets: all of them, or a run around the current one."""
        if self.channels <= _MAX_SHEETS:
            return list(range(self.channels))
        focus = step.channels[-1] if step.phase == "window" and step.channels else 0
        start = max(0, min(focus - _MAX_SHEETS // 2, self.channels - _MAX_SHEETS))
        return list(range(start, start + _MAX_SHEETS))

    def point(self, sheet: int, r: float, c: float) -> QPointF:
        o = self.origin
        return QPointF(o.x() + c * self.u + 0.6 * r * self.v,
                       o.y() - sheet * self.gap + 0.5 * r * self.v)

    def cell(self, sheet: int, r: int, c: int) -> QPolygonF:
        rr, cc = r - self.r0, c - self.c0
        return QPolygonF([self.point(sheet, rr, cc), self.point(sheet, rr, cc + 1),
                          self.point(sheet, rr + 1, cc + 1), self.point(sheet, rr + 1, cc)])

    def paint(self, p: QPainter, step: Step) -> None:
        x = self.walk.x
        h, w = x.shape[1:]
        shown = self.shown(step)
        read = set(step.read_channels) if step.read_channels else set(range(self.channels))
        current = set(step.channels) if step.phase == "window" else set()
        if step.phase == "matrix" and step.part == "pointwise" and self.walk.kind == "pointwise":
            current = set(range(self.channels))
        for sheet, ch in reversed(list(enumerate(shown))):
            dim = ch not in read
            self._sheet(p, sheet, ch, dim)
            self._region_outline(p, sheet)
            self._taps(p, sheet, step, strong=ch in current, dim=dim)
            p.setFont(_font(13, ch in current))
            p.setPen(_CURRENT if ch in current else (_MUTED if dim else _INK))
            label = f"c'={ch}" + ("  (not read)" if dim else "")
            end = self.point(sheet, 0, self.nc)
            p.drawText(QPointF(end.x() + 6, end.y() + 10), label)
        if self.channels > len(shown):
            p.setFont(_font(13))
            p.setPen(_MUTED)
            top = self.point(len(shown) - 1, 0, 0)
            p.drawText(QPointF(top.x(), top.y() - 10),
                       f"sheets {shown[0]}…{shown[-1]} of {self.channels} channels")

    def _image(self, ch: int) -> QImage:
        """Channel ``ch`` of the shown box, one pixel per cell (padding light gray)."""
        image = self._images.get(ch)
        if image is None:
            x = self.walk.x
            h, w = x.shape[1:]
            rows = np.arange(self.r0, self.r0 + self.nr)
            cols = np.arange(self.c0, self.c0 + self.nc)
            inside = np.outer((rows >= 0) & (rows < h), (cols >= 0) & (cols < w))
            values = x[ch][np.ix_(np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1))]
            rgb = _colors(np.where(inside, values, np.nan), self.scale)
            rgb[~inside] = (_PAD.red(), _PAD.green(), _PAD.blue())
            data = np.ascontiguousarray(rgb)
            image = QImage(data.data, self.nc, self.nr, 3 * self.nc,
                           QImage.Format.Format_RGB888).copy()
            self._images[ch] = image
        return image

    def _sheet(self, p: QPainter, sheet: int, ch: int, dim: bool) -> None:
        """One channel's sheet: its cells as a sheared image, the grid, hatched padding."""
        o = self.origin
        p.save()
        p.setTransform(QTransform(self.u, 0, 0.6 * self.v, 0.5 * self.v, o.x(),
                                  o.y() - sheet * self.gap), True)
        p.setOpacity(0.3 if dim else 0.95)
        p.drawImage(QRectF(0, 0, self.nc, self.nr), self._image(ch))
        p.setOpacity(0.3 if dim else 1.0)
        pen = QPen(QColor(150, 150, 155), 0)  # cosmetic: one pixel whatever the shear
        p.setPen(pen)
        path = QPainterPath()
        for r in range(self.nr + 1):
            path.moveTo(0, r)
            path.lineTo(self.nc, r)
        for c in range(self.nc + 1):
            path.moveTo(c, 0)
            path.lineTo(c, self.nr)
        p.drawPath(path)
        h, w = self.walk.x.shape[1:]
        p.setBrush(QBrush(QColor(150, 150, 155), Qt.BrushStyle.BDiagPattern))
        p.setPen(Qt.PenStyle.NoPen)
        for r in range(self.nr):
            for c in range(self.nc):
                if not (0 <= r + self.r0 < h and 0 <= c + self.c0 < w):
                    p.drawRect(QRectF(c, r, 1, 1))
        p.restore()

    def _region_outline(self, p: QPainter, sheet: int) -> None:
        g = self.walk.region
        r, c = g.top - self.r0, g.left - self.c0
        poly = QPolygonF([self.point(sheet, r, c), self.point(sheet, r, c + g.width),
                          self.point(sheet, r + g.height, c + g.width),
                          self.point(sheet, r + g.height, c)])
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(60, 60, 65, 160), 1.2, Qt.PenStyle.DashLine))
        p.drawPolygon(poly)

    def _taps(self, p: QPainter, sheet: int, step: Step, *, strong: bool, dim: bool) -> None:
        if dim:
            return
        if step.rows.size:
            rows, cols = step.rows, step.cols
        else:  # a 1×1 layer reads one pixel; a separable's pointwise step reads D, not X
            if self.walk.kind != "pointwise":
                return
            s = self.walk.geometry.stride
            rows, cols = np.array([step.row * s[0]]), np.array([step.col * s[1]])
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(_CURRENT if strong else _HILITE, 3.0 if strong else 1.6))
        for r in rows:
            for c in cols:
                p.drawPolygon(self.cell(sheet, int(r), int(c)))


_STACKS: weakref.WeakKeyDictionary[Walk, _Stack] = weakref.WeakKeyDictionary()
_STACKS_LOCK = threading.Lock()


def _stack(walk: Walk) -> _Stack:
    """The walk's stack view, made once per walk (the dock and an export may share it)."""
    with _STACKS_LOCK:
        stack = _STACKS.get(walk)
        if stack is None:
            stack = _STACKS[walk] = _Stack(walk, QRectF(24, 56, 380, 520))
        return stack


def _header(p: QPainter, title: str, walk: Walk, step: Step) -> None:
    p.setPen(_INK)
    p.setFont(_font(22, True))
    p.drawText(QRectF(24, 10, 1000, 32), Qt.AlignmentFlag.AlignLeft, title)
    p.setFont(_font(16))
    p.setPen(_MUTED)
    where = (f"position {step.position + 1}/{len(walk.positions)} · Y[{step.row},{step.col},:]"
             f" · step {step.index + 1}/{len(walk.steps)}")
    p.drawText(QRectF(760, 14, 496, 28), Qt.AlignmentFlag.AlignRight, where)


def _middle(p: QPainter, walk: Walk, step: Step, box: QRectF) -> None:
    p.setFont(_font(17, True))
    p.setPen(_INK)
    part = {"conv": "", "depthwise": "depthwise · ", "pointwise": "pointwise 1×1 · "}[step.part]
    if step.phase == "window" and step.window.size:
        k = step.window.shape
        cell = min(58.0, (box.width() - 80) / (3 * k[1]), (box.height() - 60) / k[0])
        y = box.top() + 40
        x = box.left() + 10
        ch = step.channels[-1]
        scale = max(_scale(step.window), 1e-12)
        _grid(p, x, y, step.window, cell, scale, step.padded, title=f"X window, c'={ch}")
        x2 = x + k[1] * cell + 40
        kname = (f"its own kernel, c={step.out_channel}" if step.part == "depthwise"
                 else f"kernel K[·,·,{ch},{step.out_channel}]")
        _grid(p, x2, y, step.kernel, cell, _scale(step.kernel), title=kname)
        x3 = x2 + k[1] * cell + 40
        _grid(p, x3, y, step.products, cell, _scale(step.products), title="products")
        p.setFont(_font(30, True))
        p.setPen(_INK)
        mid = y + k[0] * cell / 2
        p.drawText(QPointF(x2 - 30, mid + 10), "×")
        p.drawText(QPointF(x3 - 30, mid + 10), "=")
        p.setFont(_font(18, True))
        p.drawText(QRectF(box.left(), y + k[0] * cell + 12, box.width(), 30),
                   Qt.AlignmentFlag.AlignCenter,
                   f"Σ products = {format_value(float(step.products.sum()))}")
    elif step.phase == "window":
        p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                   f"{part}{step.text}")
    elif step.phase == "matrix":
        _matrix(p, step, box, walk.kind)
    else:
        label = {"bias": "add the bias", "bn": "BatchNorm", "activation": "activation",
                 "output": "the output value"}[step.phase]
        p.setFont(_font(24, True))
        p.drawText(QRectF(box.left(), box.top() + 60, box.width(), 40),
                   Qt.AlignmentFlag.AlignCenter, f"{part}{label}")
        p.setFont(_font(40, True))
        p.setPen(_CURRENT)
        p.drawText(QRectF(box.left(), box.top() + 120, box.width(), 60),
                   Qt.AlignmentFlag.AlignCenter, format_value(step.running, 4))


def _matrix(p: QPainter, step: Step, box: QRectF, kind: str) -> None:
    """The vector X[h,w,:] meeting the rows of the C_out×C_in matrix."""
    m = step.matrix
    n_out, n_in = m.shape
    show_out, show_in = min(n_out, 16), min(n_in, 16)
    rows0 = max(0, min(step.channels[0], n_out - show_out))
    cell = min(56.0, (box.width() - 120) / (show_in + 2), (box.height() - 100) / (show_out + 2))
    x, y = box.left() + 10, box.top() + 40 + cell + 16
    numbers = cell >= 26
    vec = step.vector[:show_in][None, :]
    what = "D[h,w,:], the depthwise output" if kind == "separable" else "X[h,w,:]"
    _grid(p, x, y - cell - 14, vec, cell, _scale(step.vector), numbers=numbers)
    p.setFont(_font(15, True))
    p.setPen(_INK)
    p.drawText(QPointF(x, y - cell - 22), f"{what} (C_in = {n_in})")
    part = m[rows0:rows0 + show_out, :show_in]
    rect = _grid(p, x, y, part, cell, _scale(m), numbers=numbers)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(_CURRENT, 3))
    lo, hi = step.channels[0] - rows0, step.channels[-1] - rows0
    p.drawRect(QRectF(rect.left(), y + lo * cell, rect.width(), (hi - lo + 1) * cell))
    p.setPen(_MUTED)
    p.setFont(_font(13))
    more = []
    if n_out > show_out:
        more.append(f"rows {rows0}…{rows0 + show_out - 1} of {n_out}")
    if n_in > show_in:
        more.append(f"first {show_in} of {n_in} columns")
    p.drawText(QPointF(x, rect.bottom() + 18), f"K: {n_out}×{n_in}" +
               (f" ({', '.join(more)})" if more else "") + " · the same matrix at every pixel")
    y_col = step.values[rows0:rows0 + show_out][:, None]
    yx = rect.right() + 40
    _grid(p, yx, y, y_col, cell, _scale(step.values), numbers=numbers)
    p.setPen(_INK)
    p.setFont(_font(15, True))
    p.drawText(QPointF(yx - 8, y - 8), "Y[h,w,:]")
    p.setFont(_font(26, True))
    p.drawText(QPointF(rect.right() + 10, y + cell * show_out / 2 + 8), "→")


def _output(p: QPainter, walk: Walk, step: Step, box: QRectF) -> None:
    rows = sorted({r for r, _ in walk.positions})
    cols = sorted({c for _, c in walk.positions})
    values = np.full((len(rows), len(cols)), np.nan)
    done = step.position if step.phase != "output" else step.position + 1
    for i, (r, c) in enumerate(walk.positions[:done]):
        values[rows.index(r), cols.index(c)] = walk.outputs[i, walk.out_channel]
    cell = min(40.0, box.width() / max(len(cols), 1), (box.height() * 0.55) / max(len(rows), 1))
    cell = min(cell, 30.0)
    rect = _grid(p, box.left(), box.top() + 40, values, cell, _scale(walk.outputs[
        :, walk.out_channel]), numbers=cell >= 30, title=f"output channel {walk.out_channel}",
        left=True)
    p.setFont(_font(12))
    p.setPen(_MUTED)
    p.drawText(QPointF(box.left(), rect.bottom() + 16),
               f"rows {rows[0]}…{rows[-1]} · cols {cols[0]}…{cols[-1]}")
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(_CURRENT, 3))
    p.drawRect(QRectF(rect.left() + cols.index(step.col) * cell,
                      rect.top() + rows.index(step.row) * cell, cell, cell))
    n = len(step.values)
    show = min(n, 12)
    start = max(0, min(walk.out_channel - show // 2, n - show))
    vy = rect.bottom() + 50
    vcell = min(26.0, (box.bottom() - vy) / max(show, 1))
    p.setPen(_INK)
    p.setFont(_font(14, True))
    name = {"depthwise": "D", "conv": "Y", "pointwise": "Y"}[step.part]
    p.drawText(QPointF(box.left(), vy - 8), f"{name}[{step.row},{step.col},:] "
               f"({n} channels{'' if show == n else f', {start}…{start + show - 1}'})")
    col = step.values[start:start + show][:, None]
    vrect = _grid(p, box.left(), vy, col, vcell, _scale(step.values), numbers=False)
    p.setFont(_font(min(vcell * 0.6, 14)))
    for i in range(show):
        v = float(col[i, 0])
        p.setPen(_CURRENT if start + i == walk.out_channel else _INK)
        text = f"c={start + i}: " + (format_value(v) if math.isfinite(v) else "…")
        p.drawText(QPointF(vrect.right() + 8, vy + (i + 0.7) * vcell), text)


def paint_frame(p: QPainter, width: float, height: float, walk: Walk, index: int,
                title: str = "") -> None:
    """Paint step ``index`` of ``walk`` into a ``width × height`` area at the origin."""
    step = walk.steps[max(0, min(index, len(walk.steps) - 1))]
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    s = min(width / FRAME_SIZE[0], height / FRAME_SIZE[1])
    p.fillRect(QRectF(0, 0, width, height), _BG)
    p.translate((width - FRAME_SIZE[0] * s) / 2, (height - FRAME_SIZE[1] * s) / 2)
    p.scale(s, s)
    _header(p, title or f"{walk.kind} layer", walk, step)
    _stack(walk).paint(p, step)
    _middle(p, walk, step, QRectF(430, 56, 520, 520))
    _output(p, walk, step, QRectF(975, 56, 285, 530))
    p.setPen(QPen(QColor("#e5e5ea"), 1))
    p.drawLine(QPointF(24, 600), QPointF(1256, 600))
    p.setPen(_INK)
    p.setFont(_font(20))
    p.drawText(QRectF(24, 610, 1232, 60), Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
               step.text)
    if step.phase in ("window", "matrix") and math.isfinite(step.running):
        p.setFont(_font(18, True))
        p.setPen(_CURRENT)
        p.drawText(QRectF(24, 670, 1232, 36), Qt.AlignmentFlag.AlignRight,
                   f"Y[{step.row},{step.col},{walk.out_channel}] so far: "
                   f"{format_value(step.running, 4)}")
    p.restore()
