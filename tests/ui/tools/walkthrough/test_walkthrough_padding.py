"""A walk-through sheet with a wide padding is hatched band by band, not cell by cell.

A padding of a few hundred around a small input is hundreds of thousands of padding cells;
the sheet used to draw one rectangle per cell on the GUI thread (a 6 s freeze in a monkey
run). The bands must cover exactly the padding cells, and a paint draws at most four.
"""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtGui import QImage, QPainter

from explorer.core.analysis.walkthrough import Region, build_walk
from explorer.core.compute.run import run_stack
from explorer.core.model.specs import default_spec
from explorer.ui.tools.walkthrough.walkthrough_stack import stack_of

torch.set_num_threads(1)


def _walk(padding: int, size: int = 6):
    """A 3×3 layer whose taps reach ``padding`` cells into the padding (dilation = padding)."""
    spec = default_spec(
        "standard",
        out_channels=2,
        kernel_size=(3, 3),
        padding=(padding, padding),
        dilation=(max(padding, 1),) * 2,
    )
    x = np.random.default_rng(0).standard_normal((2, size, size)).astype(np.float32)
    (result,) = run_stack([spec], x, seed=1, device="cpu")
    return build_walk(spec, x, result.weights, region=Region(2, 2, 2, 2))


def _covered(stack) -> np.ndarray:
    cells = np.zeros((stack.nr, stack.nc), bool)
    for band in stack.padding_bands():
        r, c = int(band.top()), int(band.left())
        cells[r : r + int(band.height()), c : c + int(band.width())] = True
    return cells


def test_the_bands_cover_exactly_the_padding_cells():
    for padding in (0, 1, 2, 40):
        stack = stack_of(_walk(padding))
        h, w = stack.walk.x.shape[1:]
        rows = np.arange(stack.r0, stack.r0 + stack.nr)[:, None]
        cols = np.arange(stack.c0, stack.c0 + stack.nc)[None, :]
        padding_cells = ~((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w))
        np.testing.assert_array_equal(_covered(stack), padding_cells)
        assert len(stack.padding_bands()) <= 4


class _CountingPainter:
    """A QPainter stand-in that counts drawRect calls and passes everything on."""

    def __init__(self, painter: QPainter) -> None:
        self._painter = painter
        self.rects = 0

    def drawRect(self, *args):  # noqa: N802 (Qt naming)
        self.rects += 1
        return self._painter.drawRect(*args)

    def __getattr__(self, name):
        return getattr(self._painter, name)


def test_a_wide_padding_is_hatched_with_a_few_rectangles(qapp):
    walk = _walk(200)
    stack = stack_of(walk)
    assert stack.nr * stack.nc > 10_000  # hundreds of thousands of padding cells
    image = QImage(640, 640, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    counting = _CountingPainter(painter)
    try:
        stack.paint(counting, walk.steps[0])
    finally:
        painter.end()
    # at most four bands per sheet (the input has 2 channels: two sheets)
    assert 0 < counting.rects <= 4 * stack.sheets


def test_only_the_input_cells_of_a_sheet_are_coloured(qapp, monkeypatch):
    """The padding is one colour: only the input's cells in the shown box go through the
    colour scale (it was every cell of the box: 0.3 s for a wide dilated padding)."""
    from explorer.ui.tools.walkthrough import walkthrough_stack
    from explorer.ui.tools.walkthrough.walkthrough_style import PAD, colors

    sizes = []

    def counting(values, scale):
        sizes.append(np.size(values))
        return colors(values, scale)

    monkeypatch.setattr(walkthrough_stack, "colors", counting)
    walk = _walk(200)
    stack = stack_of(walk)
    image = stack._image(0)
    h, w = walk.x.shape[1:]
    assert sizes and max(sizes) <= h * w < stack.nr * stack.nc
    assert (image.width(), image.height()) == (stack.nc, stack.nr)
    # a padding cell has the padding colour; an input cell its value's colour
    assert image.pixelColor(0, 0) == PAD
    r, c = -stack.r0, -stack.c0  # input pixel (0, 0)
    expected = colors(walk.x[0, :1, :1], stack.scale)[0, 0]
    assert image.pixelColor(c, r).getRgb()[:3] == tuple(int(v) for v in expected)


def test_a_box_of_thousands_of_cells_is_sampled_to_a_bounded_image(qapp):
    """Taps 1,000 cells into the padding make a box of ≈ 2,000 × 2,000 cells: its image has
    at most MAX_IMAGE_SIDE pixels a side (filling one per cell took 0.1 s in a monkey run),
    padding where the padding is and each input cell's colour where it lands."""
    from explorer.ui.tools.walkthrough.walkthrough_stack import MAX_IMAGE_SIDE
    from explorer.ui.tools.walkthrough.walkthrough_style import PAD, colors

    walk = _walk(1000)
    stack = stack_of(walk)
    assert stack.nr > 3 * MAX_IMAGE_SIDE and stack.nc > 3 * MAX_IMAGE_SIDE
    image = stack._image(1)
    assert (image.width(), image.height()) == (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)
    assert image.pixelColor(0, 0) == PAD
    assert image.pixelColor(MAX_IMAGE_SIDE - 1, MAX_IMAGE_SIDE - 1) == PAD
    # an input cell that the sampling picks (here row 3, col 3 of the 6×6 input: 2,002
    # cells from -998 in 512 steps) has that cell's colour
    rows = (np.arange(MAX_IMAGE_SIDE) * stack.nr) // MAX_IMAGE_SIDE + stack.r0
    cols = (np.arange(MAX_IMAGE_SIDE) * stack.nc) // MAX_IMAGE_SIDE + stack.c0
    h, w = walk.x.shape[1:]
    (r,) = np.flatnonzero((rows >= 0) & (rows < h))
    (c,) = np.flatnonzero((cols >= 0) & (cols < w))
    expected = colors(walk.x[1, rows[r] : rows[r] + 1, cols[c] : cols[c] + 1], stack.scale)
    assert image.pixelColor(int(c), int(r)).getRgb()[:3] == tuple(int(v) for v in expected[0, 0])
    assert image.pixelColor(int(c) + 1, int(r)) == PAD
    # and a paint of it draws (outline only: its cells are far under a pixel)
    canvas = QImage(640, 640, QImage.Format.Format_ARGB32)
    canvas.fill(0)
    painter = QPainter(canvas)
    try:
        stack.paint(painter, walk.steps[0])
    finally:
        painter.end()
