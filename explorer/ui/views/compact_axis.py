"""pyqtgraph axes drawn in fewer steps, and an axis for counts.

Every edit gives the colour bars new levels and the weight matrix new rows, and pyqtgraph
then regenerates those axes in its paint (:meth:`pyqtgraph.AxisItem.generateDrawSpecs`):
≈ 0.7 ms for the feature grid's colour bar alone, most of it Python overhead (a
:class:`pyqtgraph.Point` per tick end, a ``QPainter.boundingRect`` per label string, a
pairwise ``numpy.isclose`` between tick levels). :func:`quick_draw_specs` and
:func:`quick_tick_values` compute the same ticks, labels and places for an axis without a
grid (every axis here): plain ``QPointF``, label sizes measured once per font and string,
tick levels merged in plain Python. Other axes keep pyqtgraph's code.

:class:`QuickAxis` is an :class:`pyqtgraph.AxisItem` that uses them; :func:`speed_up`
makes an axis pyqtgraph built itself (a ``ColorBarItem``'s) use them. :class:`CompactAxis`
labels counts ``8.39 M`` with ticks that never overlap and no SI factor.
"""

from __future__ import annotations

import bisect
import math
import types

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from explorer.ui.widgets.plot_utils import compact

__all__ = ["CompactAxis", "QuickAxis", "quick_draw_specs", "quick_tick_values", "speed_up"]

_Align = QtCore.Qt.AlignmentFlag
_FLAGS = {
    "left": _Align.AlignRight | _Align.AlignVCenter | QtCore.Qt.TextFlag.TextDontClip,
    "right": _Align.AlignLeft | _Align.AlignVCenter | QtCore.Qt.TextFlag.TextDontClip,
    "top": _Align.AlignHCenter | _Align.AlignBottom | QtCore.Qt.TextFlag.TextDontClip,
    "bottom": _Align.AlignHCenter | _Align.AlignTop | QtCore.Qt.TextFlag.TextDontClip,
}
_BOX = QtCore.QRectF(0, 0, 100, 100)
#: label size by (font key, text), as pyqtgraph measures it: ``(width, 0.8 · height)``
_SIZES: dict[tuple[str, str], tuple[float, float]] = {}


def _size(painter: QtGui.QPainter, font_key: str, text: str) -> tuple[float, float]:
    key = (font_key, text)
    size = _SIZES.get(key)
    if size is None:
        if len(_SIZES) > 4096:
            _SIZES.clear()
        br = painter.boundingRect(_BOX, _Align.AlignCenter, text)
        size = _SIZES[key] = (br.width(), br.height() * 0.8)
    return size


def quick_tick_values(axis: pg.AxisItem, lo: float, hi: float, size: float) -> list:
    """:meth:`pyqtgraph.AxisItem.tickValues` of a linear axis (the same values: each level's
    ticks without those within 1 % of its spacing of a tick of a level before)."""
    if axis.logMode:
        return pg.AxisItem.tickValues(axis, lo, hi, size)
    lo, hi = sorted((lo, hi))
    scale = axis.scale
    lo, hi = lo * scale, hi * scale
    seen: list[float] = []  # sorted: a value's nearest neighbours decide
    ticks = []
    for spacing, offset in axis.tickSpacing(lo, hi, size):
        start = (math.ceil((lo - offset) / spacing) * spacing) + offset
        tol = spacing / scale * 0.01
        values = []
        for k in range(int((hi - start) / spacing) + 1):
            v = (k * spacing + start) / scale
            at = bisect.bisect_left(seen, v)
            if not any(abs(v - seen[i]) <= tol for i in (at - 1, at) if 0 <= i < len(seen)):
                values.append(v)
        seen = sorted(seen + values)
        ticks.append((spacing / scale, values))
    return ticks


def quick_draw_specs(axis: pg.AxisItem, p: QtGui.QPainter):  # noqa: C901 - pyqtgraph's steps
    """:meth:`pyqtgraph.AxisItem.generateDrawSpecs` for an axis without a grid, a fixed tick
    alpha or axis stops (else pyqtgraph's own): ``(axisSpec, tickSpecs, textSpecs)``."""
    style = axis.style
    if axis.grid is not False or style["tickAlpha"] is not None or any(style["stopAxisAtTick"]):
        return pg.AxisItem.generateDrawSpecs(axis, p)
    font = style["tickFont"]
    if font is not None:
        p.setFont(font)
    bounds = axis.mapRectFromParent(axis.geometry())
    side = axis.orientation
    if side == "left":
        span = (
            bounds.topRight() + QtCore.QPointF(-1, -1),
            bounds.bottomRight() + QtCore.QPointF(-1, 1),
        )
        stop, direction, along = bounds.right(), -1, 0
    elif side == "right":
        span = (
            bounds.topLeft() + QtCore.QPointF(1, -1),
            bounds.bottomLeft() + QtCore.QPointF(1, 1),
        )
        stop, direction, along = bounds.left(), 1, 0
    elif side == "top":
        span = (
            bounds.bottomLeft() + QtCore.QPointF(-1, -1),
            bounds.bottomRight() + QtCore.QPointF(1, -1),
        )
        stop, direction, along = bounds.bottom(), -1, 1
    else:
        span = (bounds.topLeft() + QtCore.QPointF(-1, 1), bounds.topRight() + QtCore.QPointF(1, 1))
        stop, direction, along = bounds.top(), 1, 1
    ends = [axis.mapToDevice(point) for point in span]
    if None in ends:
        return None
    length = math.hypot(ends[1].x() - ends[0].x(), ends[1].y() - ends[0].y())
    if length == 0:
        return None
    if axis._tickLevels is None:
        levels = axis.tickValues(axis.range[0], axis.range[1], length)
        strings = None
    else:
        levels = [(None, [v for v, _ in level]) for level in axis._tickLevels]
        strings = [[s for _, s in level] for level in axis._tickLevels]
    lo, hi = axis.range
    if hi == lo:
        to_x, offset = 1.0, 0.0
    elif along == 0:
        to_x = -bounds.height() / (hi - lo)
        offset = lo * to_x - bounds.height()
    else:
        to_x = bounds.width() / (hi - lo)
        offset = lo * to_x
    x_lo, x_hi = sorted((lo * to_x - offset, hi * to_x - offset))
    base_pen = axis.tickPen()
    solid = base_pen.brush().style() == QtCore.Qt.BrushStyle.SolidPattern
    positions: list[list[float | None]] = []
    tick_specs = []
    for i, (_, values) in enumerate(levels):
        tick_length = style["tickLength"] / (i * 0.5 + 1.0)
        pen = base_pen
        if solid:
            pen = QtGui.QPen(base_pen)
            color = QtGui.QColor(pen.color())
            color.setAlpha(int(255 / (i + 1)))
            pen.setColor(color)
        places: list[float | None] = []
        tip = stop + tick_length * direction
        for v in values:
            x = v * to_x - offset
            if x < x_lo or x > x_hi:
                places.append(None)
                continue
            places.append(x)
            if along == 0:
                tick_specs.append((pen, QtCore.QPointF(stop, x), QtCore.QPointF(tip, x)))
            else:
                tick_specs.append((pen, QtCore.QPointF(x, stop), QtCore.QPointF(x, tip)))
        positions.append(places)
    axis_spec = (axis.pen(), span[0], span[1])
    text_specs: list = []
    if not style["showValues"]:
        return axis_spec, tick_specs, text_specs
    font_key = p.font().key()
    gap = max(0, style["tickLength"]) + style["tickTextOffset"][along]
    flags = _FLAGS[side]
    box = axis.boundingRect()
    rects_so_far: list[tuple[float, float]] = []
    last_across = 0.0
    for i in range(min(len(levels), style["maxTextLevel"] + 1)):
        if strings is None:
            spacing, values = levels[i]
            texts = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
        else:
            texts = list(strings[i])
        if not texts:
            continue
        sizes: list[tuple[float, float] | None] = []
        for j, text in enumerate(texts):
            if positions[i][j] is None:
                sizes.append(None)
            else:
                sizes.append(_size(p, font_key, text))
                rects_so_far.append(sizes[-1])
        if rects_so_far:
            if along == 0:
                filled = sum(h for _, h in rects_so_far)
                across = max(w for w, _ in rects_so_far)
            else:
                filled = sum(w for w, _ in rects_so_far)
                across = max(h for _, h in rects_so_far)
        else:
            filled = across = 0.0
        if i > 0 and any(
            len(text_specs) >= count and filled / length >= limit
            for count, limit in style["textFillLimits"]
        ):
            break
        last_across = across
        for j, text in enumerate(texts):
            size = sizes[j]
            if size is None:
                continue
            x, (width, height) = positions[i][j], size
            if side == "left":
                rect = QtCore.QRectF(stop - gap - width, x - height / 2, width, height)
            elif side == "right":
                rect = QtCore.QRectF(stop + gap, x - height / 2, width, height)
            elif side == "top":
                rect = QtCore.QRectF(x - width / 2.0, stop - gap - height, width, height)
            else:
                rect = QtCore.QRectF(x - width / 2.0, stop + gap, width, height)
            if box & rect != rect:
                continue
            text_specs.append((rect, flags, text))
    axis._updateMaxTextSize(last_across)
    return axis_spec, tick_specs, text_specs


class QuickAxis(pg.AxisItem):
    """An :class:`pyqtgraph.AxisItem` that draws through :func:`quick_draw_specs`."""

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph's name
        return quick_draw_specs(self, p)

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph's names
        return quick_tick_values(self, minVal, maxVal, size)


def speed_up(axis: pg.AxisItem) -> pg.AxisItem:
    """Make an axis pyqtgraph built (a colour bar's) draw like :class:`QuickAxis`."""
    axis.generateDrawSpecs = types.MethodType(quick_draw_specs, axis)
    axis.tickValues = types.MethodType(quick_tick_values, axis)
    return axis


class CompactAxis(QuickAxis):
    """Tick labels like ``8.39 M`` instead of ``8388608``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)  # the labels carry k / M / G: never "(x1e+09)"

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph hook
        return [compact(int(round(v * scale))) for v in values]

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph hook
        """Major ticks only, as many as fit with a gap between their labels."""
        levels = super().tickValues(minVal, maxVal, size)
        if not levels:
            return levels
        spacing, values = levels[0]
        widest = max((self._label_width(v) for v in values), default=0)
        room = max(1, int(size // (widest + 16))) if widest else len(values)
        step = 1
        while len(values[::step]) > room:
            step += 1
        return [(spacing * step, values[::step])]

    def _label_width(self, value: float) -> int:
        font = self.style.get("tickFont") or QtGui.QFont()
        return QtGui.QFontMetrics(font).horizontalAdvance(compact(int(round(value))))
