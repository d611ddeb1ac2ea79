"""Big kernels are drawn fewer at a time: a kernel mosaic never exceeds MAX_MOSAIC_CELLS
(1024 kernels of 301×301 would be a 93-million cell image built and coloured on the GUI
thread), and the note says how many are shown."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.ui.views.weight_kernels import MAX_MOSAIC_CELLS, grid_drawn, kernels_drawn
from explorer.ui.views.weight_view import WeightView


@pytest.fixture
def view(qtbot) -> WeightView:
    widget = WeightView()
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_depthwise_big_kernels_are_capped_by_cells(view):
    w = np.zeros((64, 1, 201, 201), np.float32)
    w[63, 0, 100, 100] = -3.0  # not drawn, but the colour levels still cover it
    view.set_layer("depthwise", {"weight": w}, in_channels=64)
    n = kernels_drawn(64, 201, 201)
    assert 1 <= n < 64
    image = view.image_items()["weight"].image
    assert np.count_nonzero(~np.isnan(image)) == n * 201 * 201 <= MAX_MOSAIC_CELLS
    assert image.size < 2 * MAX_MOSAIC_CELLS  # with the unused cells of the last row
    assert f"showing {n} of 64 kernels" in view.note_text()
    np.testing.assert_allclose(view.image_items()["weight"].levels, [-3.0, 3.0])


def test_small_kernels_keep_every_one_up_to_the_old_caps():
    assert kernels_drawn(1024, 3, 3) == 1024
    assert kernels_drawn(4096, 3, 3) == 1024
    assert grid_drawn(128, 40, 3, 3) == (16, 16)
    assert grid_drawn(5, 3, 7, 7) == (5, 3)
    # a multiplier's kernels of one input channel make a row: whole rows only
    assert kernels_drawn(192, 101, 101) == 100
    assert kernels_drawn(192, 101, 101, multiplier=64) == 64
    assert kernels_drawn(192, 3, 3, multiplier=64) == 192


def test_standard_big_kernels_shrink_the_grid(view, rng):
    w = rng.standard_normal((16, 16, 101, 101)).astype(np.float32)
    rows, cols = grid_drawn(16, 16, 101, 101)
    assert rows * cols * 102 * 102 <= MAX_MOSAIC_CELLS and rows * cols >= 1
    view.set_layer("standard", {"weight": w}, in_channels=16)
    image = view.image_items()["weight"].image
    assert image.shape == (rows * 102 - 1, cols * 102 - 1)
    np.testing.assert_array_equal(image[:101, :101], w[0, 0])
    assert f"showing {rows} of 16 output channels" in view.note_text()
    assert f"showing {cols} of 16 input channels" in view.note_text()
    assert grid_drawn(1, 1, 3000, 3000) == (1, 1)  # at least one kernel, however big
