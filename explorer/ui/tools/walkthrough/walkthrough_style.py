"""Colours, fonts and value grids shared by the parts of a walk-through frame."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen

from explorer.core.analysis.inspect import format_value

__all__ = [
    "BG",
    "MAX_CELL_RECTS",
    "CURRENT",
    "HILITE",
    "INK",
    "MUTED",
    "PAD",
    "colors",
    "font",
    "grid",
    "text_color",
    "value_color",
    "value_scale",
]

BG = QColor("#ffffff")
INK = QColor("#1d1d1f")
MUTED = QColor("#8a8a8e")
HILITE = QColor("#ff9f0a")
CURRENT = QColor("#d70015")
PAD = QColor("#d9d9de")

#: A grid of more cells than this is drawn as one image and one set of lines, not cell by
#: cell (the walk-through's output sheet of a 256×256 map was 65,536 rectangles in Python:
#: a paint of over 100 ms on the GUI thread, issue 16).
MAX_CELL_RECTS = 256
#: ... and writes the cells' numbers only when they are at least this many pixels high.
MIN_NUMBER_PX = 6


def value_color(v: float, scale: float, alpha: int = 255) -> QColor:
    """Blue (negative) – white (0) – red (positive), saturated at ``±scale``."""
    if not math.isfinite(v):
        return QColor(245, 245, 247, alpha)
    t = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    end = (178, 24, 43) if t > 0 else (33, 102, 172)
    a = abs(t)
    rgb = [round(255 + (e - 255) * a) for e in end]
    return QColor(*rgb, alpha)


def colors(values: np.ndarray, scale: float) -> np.ndarray:
    """:func:`value_color` of every value, as ``uint8`` RGB (NaN: near white)."""
    t = np.clip(np.nan_to_num(values / scale if scale > 0 else values * 0), -1, 1)[..., None]
    pos = np.array([178, 24, 43], dtype=float)
    neg = np.array([33, 102, 172], dtype=float)
    end = np.where(t > 0, pos, neg)
    rgb = np.round(255 + (end - 255) * np.abs(t))
    rgb[np.isnan(values)] = (245, 245, 247)
    return rgb.astype(np.uint8)


def text_color(v: float, scale: float) -> QColor:
    return QColor("white") if math.isfinite(v) and scale > 0 and abs(v) / scale > 0.55 else INK


def font(px: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(1, round(px)))
    font.setBold(bold)
    return font


def value_scale(values: np.ndarray) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    return m if m > 0 else 1.0


def grid(
    p: QPainter,
    x: float,
    y: float,
    values: np.ndarray,
    cell: float,
    scale: float,
    padded: np.ndarray | None = None,
    numbers: bool = True,
    title: str = "",
    left: bool = False,
) -> QRectF:
    """A 2-D grid of cells coloured by value, with numbers; returns its rectangle. The
    title is centred over the grid, or starts at its left edge (``left``)."""
    rows, cols = values.shape
    if title:
        p.setFont(font(15, True))
        p.setPen(INK)
        if left:
            p.drawText(QRectF(x, y - 24, 300, 20), Qt.AlignmentFlag.AlignLeft, title)
        else:
            p.drawText(
                QRectF(x - 40, y - 24, cols * cell + 80, 20), Qt.AlignmentFlag.AlignCenter, title
            )
    if rows * cols > MAX_CELL_RECTS:
        _image_grid(p, x, y, values, cell, scale, padded, numbers)
        return QRectF(x, y, cols * cell, rows * cell)
    p.setFont(font(min(cell * 0.25, 15)))
    for r in range(rows):
        for c in range(cols):
            rect = QRectF(x + c * cell, y + r * cell, cell, cell)
            v = float(values[r, c])
            pad = padded is not None and bool(padded[r, c])
            p.setBrush(QBrush(PAD, Qt.BrushStyle.BDiagPattern) if pad else value_color(v, scale))
            p.setPen(QPen(MUTED, 1))
            p.drawRect(rect)
            if numbers and math.isfinite(v):
                p.setPen(MUTED if pad else text_color(v, scale))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "pad" if pad else format_value(v, 2))
    return QRectF(x, y, cols * cell, rows * cell)


def _image_grid(
    p: QPainter,
    x: float,
    y: float,
    values: np.ndarray,
    cell: float,
    scale: float,
    padded: np.ndarray | None,
    numbers: bool,
) -> None:
    """:func:`grid`'s cells for a large grid: the colours as one image scaled to the cells,
    the cell borders as one set of lines (when cells are big enough to show them), padded
    cells hatched and numbers drawn only where asked."""
    rows, cols = values.shape
    rgb = colors(np.asarray(values, dtype=float), scale)
    if padded is not None:
        rgb[padded] = (BG.red(), BG.green(), BG.blue())  # hatched below, as cell by cell
    rgb = np.ascontiguousarray(rgb)
    image = QImage(rgb.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()
    smooth = p.testRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # cells stay sharp
    p.drawImage(QRectF(x, y, cols * cell, rows * cell), image)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
    if padded is not None and padded.any():
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(PAD, Qt.BrushStyle.BDiagPattern))
        p.drawRects(
            [QRectF(x + c * cell, y + r * cell, cell, cell) for r, c in np.argwhere(padded)]
        )
    if cell >= 3:
        p.setPen(QPen(MUTED, 1))
        width, height = cols * cell, rows * cell
        lines = [QLineF(x, y + r * cell, x + width, y + r * cell) for r in range(rows + 1)]
        lines += [QLineF(x + c * cell, y, x + c * cell, y + height) for c in range(cols + 1)]
        p.drawLines(lines)
    if numbers and cell * 0.25 >= MIN_NUMBER_PX:  # smaller numbers cannot be read
        p.setFont(font(min(cell * 0.25, 15)))
        for r, c in np.argwhere(np.isfinite(values)):
            v = float(values[r, c])
            pad = padded is not None and bool(padded[r, c])
            p.setPen(MUTED if pad else text_color(v, scale))
            rect = QRectF(x + c * cell, y + r * cell, cell, cell)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "pad" if pad else format_value(v, 2))
