"""FeatureMapGrid: tiles hold the channel data, levels follow the scale mode, paging,
clicks and hovers name the right pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from explorer.ui.views.feature_grid import FeatureMapGrid
from explorer.ui.widgets.colormaps import lookup_table


@pytest.fixture
def grid(qtbot) -> FeatureMapGrid:
    widget = FeatureMapGrid()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _items(grid: FeatureMapGrid) -> dict[int, object]:
    return dict(grid.visible_image_items())


def test_tiles_hold_each_channel_untransposed(grid, rng):
    maps = rng.standard_normal((5, 7, 11)).astype(np.float32)
    grid.set_maps(maps, title="layer 1")
    items = _items(grid)
    assert sorted(items) == [0, 1, 2, 3, 4]
    for ch, item in items.items():
        np.testing.assert_array_equal(item.image, maps[ch])
        assert item.axisOrder == "row-major"
        # x is the column, y the row: the item is W wide and H tall in view units
        assert (item.width(), item.height()) == (11, 7)


def test_row_zero_is_drawn_at_the_top(grid, rng):
    grid.set_maps(rng.standard_normal((2, 6, 6)).astype(np.float32))
    top = grid.scene_pos_of(0, 0, 2)
    bottom = grid.scene_pos_of(0, 5, 2)
    assert top.y() < bottom.y()
    left, right = grid.scene_pos_of(0, 3, 0), grid.scene_pos_of(0, 3, 5)
    assert left.x() < right.x()


def test_shared_levels_are_global_min_max(grid, rng):
    maps = rng.standard_normal((4, 8, 8)).astype(np.float32) * np.arange(1, 5)[:, None, None]
    maps += 3.0  # one sign: plain min/max even for a diverging map
    grid.set_maps(maps)
    for _, item in grid.visible_image_items():
        np.testing.assert_allclose(item.levels, [maps.min(), maps.max()], rtol=1e-6)


def test_per_channel_levels_are_each_channels_min_max(grid, rng):
    maps = rng.standard_normal((4, 8, 8)).astype(np.float32) * np.arange(1, 5)[:, None, None]
    grid.set_scale_mode("per_channel")
    grid.set_maps(maps)
    for ch, item in grid.visible_image_items():
        np.testing.assert_allclose(item.levels, [maps[ch].min(), maps[ch].max()], rtol=1e-6)
    grid.set_scale_mode("shared")
    for _, item in grid.visible_image_items():
        np.testing.assert_allclose(item.levels, [maps.min(), maps.max()], rtol=1e-6)


def test_diverging_map_is_centred_on_zero_when_data_has_both_signs(grid, rng):
    maps = rng.uniform(-0.5, 2.0, (3, 9, 9)).astype(np.float32)
    grid.set_colormap("diverging")
    grid.set_maps(maps)
    bound = np.abs(maps).max()
    for _, item in grid.visible_image_items():
        np.testing.assert_allclose(item.levels, [-bound, bound], rtol=1e-6)
        assert item.lut is lookup_table("diverging")
    grid.set_colormap("gray")
    for _, item in grid.visible_image_items():
        np.testing.assert_allclose(item.levels, [maps.min(), maps.max()], rtol=1e-6)
        np.testing.assert_array_equal(item.lut[[0, -1]], [[0, 0, 0], [255, 255, 255]])


def test_constant_channel_gets_a_nonempty_range(grid):
    maps = np.zeros((2, 4, 4), np.float32)
    maps[1] = 2.0
    grid.set_scale_mode("per_channel")
    grid.set_maps(maps)
    for ch, item in grid.visible_image_items():
        low, high = item.levels
        assert low < maps[ch, 0, 0] < high


def test_nan_values_do_not_break_levels(grid):
    maps = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    maps[0, 1, 1] = np.nan
    grid.set_scale_mode("per_channel")
    grid.set_maps(maps)
    levels = dict((ch, item.levels) for ch, item in grid.visible_image_items())
    np.testing.assert_allclose(levels[0], [0, 15])
    grab = grid.grab()  # paints the NaN tile through pyqtgraph's own path
    assert not grab.isNull()


def test_paging_shows_the_right_channels(grid, rng):
    maps = rng.standard_normal((150, 4, 4)).astype(np.float32)
    grid.set_maps(maps)
    assert grid.page_size == 64 and grid.page_count == 3
    assert [ch for ch, _ in grid.visible_image_items()] == list(range(64))
    assert "0–63 of 150" in grid.page_text()
    grid.set_page(2)
    items = grid.visible_image_items()
    assert [ch for ch, _ in items] == list(range(128, 150))
    for ch, item in items:
        np.testing.assert_array_equal(item.image, maps[ch])
    assert "128–149 of 150" in grid.page_text()
    grid.set_page(99)  # clamped
    assert grid.page == 2
    # fewer channels next time: the page is clamped, tiles are reused and the extra hidden
    grid.set_maps(maps[:70])
    assert grid.page == 1
    assert [ch for ch, _ in grid.visible_image_items()] == list(range(64, 70))
    grid.set_maps(maps[:10])
    assert grid.page_count == 1 and grid.page_text() == ""


def test_page_size_can_change(grid, rng):
    grid.set_maps(rng.standard_normal((40, 3, 3)).astype(np.float32))
    grid.set_page_size(16)
    grid.set_page(1)
    assert [ch for ch, _ in grid.visible_image_items()] == list(range(16, 32))


def test_every_visible_tile_maps_back_to_its_pixels(grid, rng):
    maps = rng.standard_normal((12, 5, 9)).astype(np.float32)
    grid.set_maps(maps)
    for ch in (0, 5, 11):
        for row, col in ((0, 0), (4, 8), (2, 3)):
            assert grid.pixel_at(grid.scene_pos_of(ch, row, col)) == (ch, row, col)


def _click(qtbot, view, scene_pos: QtCore.QPointF) -> None:
    point = view.mapFromScene(scene_pos)
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)


def test_click_emits_pixel_and_enlarges(grid, qtbot, rng):
    maps = rng.standard_normal((6, 10, 10)).astype(np.float32)
    grid.set_maps(maps)
    with qtbot.waitSignal(grid.pixel_clicked, timeout=2000) as blocker:
        _click(qtbot, grid.graphics_view(), grid.scene_pos_of(4, 7, 2))
    assert blocker.args == [4, 7, 2]
    assert grid.enlarged_channel == 4
    [(ch, item)] = grid.visible_image_items()
    assert ch == 4
    np.testing.assert_array_equal(item.image, maps[4])
    # a click in the enlarged view names a pixel of the same channel
    view = grid._channel_view
    with qtbot.waitSignal(grid.pixel_clicked, timeout=2000) as blocker:
        _click(qtbot, view.graphics_view(), view.scene_pos_of(1, 8))
    assert blocker.args == [4, 1, 8]
    qtbot.keyClick(grid, QtCore.Qt.Key.Key_Escape)
    assert grid.enlarged_channel is None
    assert len(grid.visible_image_items()) == 6


def test_hover_emits_value_and_shows_readout(grid, qtbot, rng):
    maps = rng.standard_normal((3, 8, 8)).astype(np.float32)
    grid.set_maps(maps)
    view = grid.graphics_view()
    point = view.mapFromScene(grid.scene_pos_of(2, 3, 5))
    with qtbot.waitSignal(grid.pixel_hovered, timeout=2000) as blocker:
        qtbot.mouseMove(view.viewport(), point)
    ch, row, col, value = blocker.args
    assert (ch, row, col) == (2, 3, 5)
    assert value == pytest.approx(float(maps[2, 3, 5]))
    assert grid.readout_text() == f"ch 2 (3, 5) = {maps[2, 3, 5]:.4g}"


def test_clear_shows_message_and_drops_tiles(grid, rng):
    grid.set_maps(rng.standard_normal((3, 4, 4)).astype(np.float32))
    grid.clear("layer 2 failed: field 'groups'")
    assert grid.visible_image_items() == []
    assert grid.message == "layer 2 failed: field 'groups'"


def test_bad_input_is_refused(grid):
    with pytest.raises(ValueError, match="C, H, W"):
        grid.set_maps(np.zeros((2, 0, 3)))
    with pytest.raises(ValueError, match="colour map"):
        grid.set_colormap("rainbow")
    with pytest.raises(ValueError, match="scale mode"):
        grid.set_scale_mode("log")


def test_layout_chooses_columns_that_make_tiles_largest():
    from explorer.ui.views.tiles import best_columns, locate

    assert best_columns(64, (256, 256), (1000, 1000), 6, 16)[0] == 8
    assert best_columns(4, (10, 100), (1000, 1000), 6, 16)[0] == 1  # wide maps stack
    assert best_columns(4, (100, 10), (1000, 1000), 6, 16)[0] == 4  # tall maps side by side
    layout = (3, 12.0, 14.0, 3.0, 1.0)  # 3 columns, 10×10 tiles
    assert locate(12 + 1 + 4.5, 14 + 3 + 2.5, layout, 5, (10, 10)) == (4, 2, 4)
    assert locate(11.5, 5.0, layout, 5, (10, 10)) is None  # in the gap
    assert locate(30.0, 20.0, layout, 5, (10, 10)) is None  # past the last tile
