"""Colours, fonts and value grids shared by the parts of a walk-through frame."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from explorer.core.analysis.inspect import format_value

__all__ = [
    "BG",
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
