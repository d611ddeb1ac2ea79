"""Maps with NaN or infinities: levels from the finite values, and only the shown pixels
coloured (NaN clear, ±inf the end colours), as for finite maps.

A result with a NaN used to take pyqtgraph's path, which colours every pixel of every tile
(0.1 s for a page of 64 maps of 512²), after a masked copy of the whole stack to find the
levels (0.2 s), both on the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from explorer.ui.widgets.colormaps import channel_levels, lookup_table

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_levels_ignore_nan_and_inf_channel_by_channel():
    rng = np.random.default_rng(0)
    maps = rng.standard_normal((4, 20, 30)).astype(np.float32)
    maps[1, 3, 4] = np.nan
    maps[2, 0, 0] = np.inf
    maps[2, 5, 5] = -np.inf
    maps[3] = np.nan  # nothing finite
    levels, finite = channel_levels(maps, per_channel=True, diverging=False)
    assert finite.tolist() == [True, False, False, False]
    for ch in (0, 1, 2):
        values = maps[ch][np.isfinite(maps[ch])]
        assert levels[ch].tolist() == [float(values.min()), float(values.max())]
    assert levels[3].tolist() == [-0.5, 0.5]  # a range around 0, drawn in the middle colour
    shared, _ = channel_levels(maps, per_channel=False, diverging=False)
    values = maps[np.isfinite(maps)]
    assert shared[0].tolist() == [float(values.min()), float(values.max())]


def _pixels(qimage) -> np.ndarray:
    image = qimage.convertToFormat(qimage.Format.Format_ARGB32)
    rows = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    return rows.reshape(image.height(), image.width()).copy()


def test_a_map_with_nan_and_inf_is_coloured_only_where_shown(shown_item):
    widget, view, item = shown_item
    rng = np.random.default_rng(1)
    data = rng.uniform(-2.0, 2.0, (512, 512)).astype(np.float32)
    data[::8, ::8][5, :] = np.nan  # shown pixels of row 40
    data[::8, ::8][6, :] = np.inf
    data[::8, ::8][7, :] = -np.inf
    lut = lookup_table("viridis")
    item.set_map(data, (-2.0, 2.0), lut, finite=False)
    view.setRange(xRange=(0, 512), yRange=(0, 512), padding=0)
    widget.grab()
    small = item.qimage
    step = 512 // small.width()
    assert step >= 2 and small.width() == -(-512 // step)  # not every pixel of the map
    # the same colours as pyqtgraph gives the pixels shown
    reference = pg.ImageItem(axisOrder="row-major")
    reference.setImage(data[::step, ::step], autoLevels=False, levels=(-2.0, 2.0), lut=lut)
    reference.render()
    got, want = _pixels(small), _pixels(reference.qimage)
    shown = data[::step, ::step]
    nan = np.isnan(shown)
    assert nan.any() and (got[nan] >> 24 == 0).all() and (want[nan] >> 24 == 0).all()  # clear
    np.testing.assert_array_equal(got[~nan], want[~nan])
    top = (0xFF << 24) | (int(lut[255][0]) << 16) | (int(lut[255][1]) << 8) | int(lut[255][2])
    assert (got[np.isposinf(shown)] == top).all()


def test_an_enlarged_big_channel_colours_only_the_pixels_shown(qtbot):
    """The enlarged view of a 1024×2048 map colours every k-th pixel (as the tiles do), not
    all two million of them on the GUI thread at every result."""
    from explorer.ui.views.feature_grid import FeatureMapGrid

    grid = FeatureMapGrid()
    qtbot.addWidget(grid)
    grid.resize(700, 500)
    grid.show()
    qtbot.waitExposed(grid)
    maps = np.random.default_rng(2).standard_normal((2, 1024, 2048)).astype(np.float32)
    maps[1, 10, 10] = np.nan
    grid.set_maps(maps)
    for channel in (0, 1):
        grid.enlarge(channel)
        ((_, item),) = grid.visible_image_items()
        grid.grab()
        assert item.image is not None and item.image.shape == (1024, 2048)  # values kept
        assert 0 < item.qimage.width() < 2048 // 2
