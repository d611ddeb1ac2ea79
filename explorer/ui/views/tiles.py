"""Tiles of the feature-map grid: a reusable image + title, and where to put them."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

from explorer.ui.views.map_image import MapImageItem

__all__ = ["Tile", "best_columns", "fitted_labels", "locate", "steady_header"]


def best_columns(
    count: int, tile: tuple[int, int], view: tuple[float, float], gap_px: float, title_px: float
) -> tuple[int, float]:
    """The number of columns that makes ``count`` tiles of ``tile = (h, w)`` pixels largest
    in a ``view = (width, height)`` area, each with ``gap_px`` around it and a title of
    ``title_px`` above it.

    Returns
    -------
    (columns, scale)
        ``scale`` is screen pixels per map pixel (at least 1e-3).
    """
    h, w = tile
    width, height = view
    best_scale, cols = -1.0, 1
    for c in range(1, max(count, 1) + 1):
        rows = math.ceil(count / c)
        scale = min(
            (width - c * gap_px) / (c * w), (height - rows * (gap_px + title_px)) / (rows * h)
        )
        if scale > best_scale + 1e-9:
            best_scale, cols = scale, c
    return cols, max(best_scale, 1e-3)


def fitted_labels(
    channels: list[int], names: list[str] | None, pitch_px: float, font: QtGui.QFont
) -> list[str]:
    """Tile titles that never run together: ``"ch 5"`` (or the channel's name, e.g.
    ``"R"``) when it fits the tile's width, else ``"5"``, else only every k-th title.

    ``pitch_px`` is the distance between the left edges of neighbouring tiles.
    """
    fm = QtGui.QFontMetrics(font)
    room = pitch_px - 4

    def name(ch: int) -> str:
        return names[ch] if names is not None and ch < len(names) else f"ch {ch}"

    full = [name(ch) for ch in channels]
    if all(fm.horizontalAdvance(t) <= room for t in full):
        return full
    short = [t[3:] if t.startswith("ch ") else t for t in full]
    widest = max((fm.horizontalAdvance(t) for t in short), default=0)
    if widest <= room:
        return short
    every = math.ceil((widest + 4) / max(pitch_px, 1))
    return [t if k % every == 0 else "" for k, t in enumerate(short)]


def locate(
    x: float,
    y: float,
    layout: tuple[int, float, float, float, float],
    count: int,
    tile: tuple[int, int],
) -> tuple[int, int, int] | None:
    """``(k, row, col)``: the ``k``-th tile of the page and its pixel under view point
    ``(x, y)``, or ``None`` between tiles.

    ``layout`` is ``(columns, pitch_x, pitch_y, title, margin)`` in view units: tile ``k``
    has its top-left pixel at ``((k % columns)·pitch_x + margin, (k // columns)·pitch_y
    + title)``.
    """
    cols, pitch_x, pitch_y, title, margin = layout
    c, r = math.floor(x / pitch_x), math.floor(y / pitch_y)
    k = r * cols + c
    if not (0 <= c < cols and 0 <= k < count):
        return None
    col = math.floor(x - c * pitch_x - margin)
    row = math.floor(y - r * pitch_y - title)
    if 0 <= row < tile[0] and 0 <= col < tile[1]:
        return k, row, col
    return None


class Tile:
    """A reusable image + title pair in the grid's view box."""

    def __init__(self, view: pg.ViewBox, font: QtGui.QFont, color: QtGui.QColor) -> None:
        self.image = MapImageItem()
        self.label = QtWidgets.QGraphicsSimpleTextItem()
        self.label.setFont(font)
        self.label.setBrush(color)
        # Unscaled text: readable whatever the zoom.
        self.label.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        view.addItem(self.image)
        view.addItem(self.label, ignoreBounds=True)
        self.channel = -1

    def set_visible(self, visible: bool) -> None:
        self.image.setVisible(visible)
        self.label.setVisible(visible)


def steady_header(paging: tuple[QtWidgets.QWidget, ...]) -> None:
    """Keep the grid's header the same size whether it shows paging controls (s10d).

    ``paging`` is the page text, then the paging buttons. They appear when a result has
    more channels than a page: were the header to grow a few pixels taller (tool buttons)
    or wider (the page text), the splitter around the grid would resize it and every tile
    would be placed again in the same turn as the result (seed 21's 76 ms gap at action
    513). So hidden paging buttons keep their room and the page text may shrink to nothing.
    No height is fixed: a presentation's larger fonts still size the header.
    """
    paging[0].setMinimumWidth(1)
    for button in paging[1:]:
        policy = button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        button.setSizePolicy(policy)
