"""Maps and weight matrices are drawn from 32-bit images (issue 13, update latency): Qt
converted pyqtgraph's 8-bit indexed images to 32 bits inside every draw (a tile ≈ 15×, a
16×9 matrix filling its panel ≈ 7× slower). The colours stay the lookup table's."""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

from explorer.ui.views.map_image import MapImageItem, pixel_table
from explorer.ui.views.weight_view import WeightView
from explorer.ui.widgets.colormaps import lookup_table

RGB32 = QtGui.QImage.Format.Format_RGB32
ARGB32_PM = QtGui.QImage.Format.Format_ARGB32_Premultiplied


def _index(value: float, low: float, high: float) -> int:
    return int(np.clip((value - low) * 256.0 / (high - low), 0, 255))


def test_a_map_is_an_opaque_32_bit_image_with_the_table_colours(shown_item, qtbot):
    widget, view, item = shown_item
    data = np.linspace(-1, 1, 24 * 16, dtype=np.float32).reshape(24, 16)
    lut = lookup_table("viridis")
    item.set_map(data, (-1.0, 1.0), lut, finite=True)
    view.setRange(xRange=(0, 16), yRange=(0, 24), padding=0)
    widget.repaint()
    qtbot.waitUntil(lambda: item.qimage is not None)
    image = item.qimage
    assert image.format() == RGB32
    assert (image.width(), image.height()) == (16, 24)  # 1 map pixel each: no subsampling
    for row, col in ((0, 0), (5, 7), (23, 15)):
        r, g, b = lut[_index(float(data[row, col]), -1.0, 1.0)]
        assert QtGui.QColor(image.pixel(col, row)).getRgb() == (r, g, b, 255)


def test_nan_is_clear_and_infinities_get_the_end_colours(shown_item, qtbot):
    widget, view, item = shown_item
    data = np.zeros((4, 4), np.float32)
    data[0, 0], data[1, 1], data[2, 2] = np.nan, np.inf, -np.inf
    lut = lookup_table("viridis")
    item.set_map(data, (-1.0, 1.0), lut, finite=False)
    view.setRange(xRange=(0, 4), yRange=(0, 4), padding=0)
    widget.repaint()
    qtbot.waitUntil(lambda: item.qimage is not None)
    image = item.qimage
    assert image.format() == ARGB32_PM
    assert QtGui.QColor.fromRgba(image.pixel(0, 0)).alpha() == 0
    assert QtGui.QColor(image.pixel(1, 1)).getRgb()[:3] == tuple(lut[255])
    assert QtGui.QColor(image.pixel(2, 2)).getRgb()[:3] == tuple(lut[0])


def test_pixel_table_is_the_lut_as_opaque_rgb():
    lut = lookup_table("gray")
    table = pixel_table(lut)
    assert table.dtype == np.uint32 and table.shape == (256,)
    assert [QtGui.QColor(int(p)).getRgb() for p in table[[0, 128, 255]]] == [
        (*lut[i], 255) for i in (0, 128, 255)
    ]
    assert pixel_table(lut) is table  # cached per table


def test_the_weight_matrix_is_drawn_from_a_32_bit_image(qtbot, rng):
    view = WeightView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    weight = rng.standard_normal((9, 16, 1, 1)).astype(np.float32)
    view.set_layer(
        "pointwise", {"weight": weight, "bias": rng.standard_normal(9).astype(np.float32)}
    )
    panel = view.panels()["weight"]
    assert isinstance(panel.image_item, MapImageItem)
    np.testing.assert_array_equal(panel.image_item.image, weight[:, :, 0, 0])
    panel.view.viewport().repaint()
    qtbot.waitUntil(lambda: panel.image_item.qimage is not None)
    image = panel.image_item.qimage
    assert image.format() == RGB32 and (image.width(), image.height()) == (16, 9)
    low, high = panel.levels
    lut = panel.image_item.lut
    r, g, b = lut[_index(float(weight[3, 5, 0, 0]), low, high)]
    assert QtGui.QColor(image.pixel(5, 3)).getRgb() == (r, g, b, 255)
