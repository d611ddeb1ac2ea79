"""A large value grid of the walk-through (the output sheet of a big map) is one image and
one set of lines, not a rectangle per cell (issue 16: a 256×256 output sheet was 65,536
``drawRect`` calls in Python, a paint of over 100 ms on the GUI thread). It must look the
same: each cell its value's colour, NaN (not yet computed) near white, borders drawn."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter

from explorer.ui.tools.walkthrough.walkthrough_style import (
    BG,
    MAX_CELL_RECTS,
    MUTED,
    colors,
    grid,
)


class _CountingPainter:
    """A QPainter stand-in that counts drawRect / drawText calls and passes everything on."""

    def __init__(self, painter: QPainter) -> None:
        self._painter = painter
        self.rects = 0
        self.texts = 0

    def drawRect(self, *args):  # noqa: N802 (Qt naming)
        self.rects += 1
        return self._painter.drawRect(*args)

    def drawText(self, *args):  # noqa: N802 (Qt naming)
        self.texts += 1
        return self._painter.drawText(*args)

    def __getattr__(self, name):
        return getattr(self._painter, name)


def _paint(values, cell, padded=None, numbers=False):
    rows, cols = values.shape
    image = QImage(int(cols * cell) + 20, int(rows * cell) + 20, QImage.Format.Format_RGB32)
    image.fill(BG)
    painter = QPainter(image)
    counting = _CountingPainter(painter)
    try:
        rect = grid(counting, 10, 10, values, cell, 1.0, padded, numbers=numbers)
    finally:
        painter.end()
    return image, counting, rect


def test_a_big_grid_is_not_drawn_cell_by_cell_and_keeps_each_cells_colour(qapp):
    rng = np.random.default_rng(0)
    values = rng.uniform(-1.2, 1.2, (60, 70))
    values[5, 7] = np.nan  # not computed yet
    assert values.size > MAX_CELL_RECTS
    image, counting, rect = _paint(values, 8.0)
    assert counting.rects == 0 and counting.texts == 0
    assert (rect.width(), rect.height()) == (70 * 8.0, 60 * 8.0)
    expected = colors(values, 1.0)
    for r, c in [(0, 0), (5, 7), (31, 44), (59, 69)]:
        got = image.pixelColor(10 + c * 8 + 4, 10 + r * 8 + 4).getRgb()[:3]
        assert got == tuple(int(v) for v in expected[r, c]), (r, c)
    # the borders are drawn: a point on a line between two cells has the border colour
    border = image.pixelColor(10 + 8 * 3, 10 + 8 * 2 + 4)
    assert abs(border.red() - MUTED.red()) < 40 and border != QColor(*expected[2, 3])


def test_a_big_grid_hatches_its_padded_cells_and_numbers_only_when_asked(qapp):
    values = np.linspace(-1, 1, 20 * 20).reshape(20, 20)
    padded = np.zeros(values.shape, bool)
    padded[0, :] = True
    _, counting, _ = _paint(values, 30.0, padded, numbers=True)
    assert counting.rects == 0
    assert counting.texts == values.size  # a number (or "pad") in every cell, as before


def test_a_small_grid_is_still_drawn_cell_by_cell(qapp):
    values = np.linspace(-1, 1, 9).reshape(3, 3)
    _, counting, _ = _paint(values, 30.0, numbers=True)
    assert counting.rects == 9 and counting.texts == 9
