"""The quick axis drawing gives exactly pyqtgraph's ticks, labels and places (issue 13,
update latency: the colour bars and matrix axes are regenerated on every edit)."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6 import QtGui

from explorer.ui.views.compact_axis import QuickAxis, quick_draw_specs, quick_tick_values


def _specs(axis, generate):
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    try:
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        specs = generate(axis, painter)
    finally:
        painter.end()
    axis_spec, ticks, texts = specs
    return (
        (axis_spec[0].color().name(), axis_spec[1].toTuple(), axis_spec[2].toTuple()),
        [(pen.color().getRgb(), a.toTuple(), b.toTuple()) for pen, a, b in ticks],
        [(rect.getRect(), int(flags), text) for rect, flags, text in texts],
    )


@pytest.fixture
def plot(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(420, 360)
    axes = {side: pg.AxisItem(side) for side in ("left", "bottom", "right", "top")}
    item = widget.addPlot(axisItems=axes)
    for side in ("right", "top"):
        item.showAxis(side)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, item


@pytest.mark.parametrize(
    "x_range, y_range",
    [((0, 1), (0, 1)), ((-0.73, 0.81), (-3e-3, 5e-3)), ((0, 16), (0, 9)), ((-120, 4000), (2, 2.5))],
)
def test_same_specs_as_pyqtgraph(plot, qtbot, x_range, y_range):
    widget, item = plot
    item.setRange(xRange=x_range, yRange=y_range, padding=0)
    qtbot.wait(20)
    for side in ("left", "bottom", "right", "top"):
        axis = item.getAxis(side)
        expected = _specs(axis, pg.AxisItem.generateDrawSpecs)
        assert expected[1] and expected[2]  # ticks and labels to compare
        assert _specs(axis, quick_draw_specs) == expected, side


def test_same_specs_with_explicit_ticks_and_a_font(plot, qtbot):
    widget, item = plot
    item.setRange(xRange=(0, 16), yRange=(0, 12), padding=0)
    font = QtGui.QFont()
    font.setPixelSize(17)
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setTickFont(font)
        axis.setTicks([[(i + 0.5, str(i)) for i in range(0, 16, 2)], []])
    qtbot.wait(20)
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        assert _specs(axis, quick_draw_specs) == _specs(axis, pg.AxisItem.generateDrawSpecs)


@pytest.mark.parametrize(
    "lo, hi, size", [(0, 1, 300), (-0.7, 0.8, 500), (1e-4, 3e-4, 80), (-5, 1e6, 200)]
)
def test_same_tick_values(lo, hi, size):
    axis = pg.AxisItem("right")
    assert quick_tick_values(axis, lo, hi, size) == [
        (spacing, list(values)) for spacing, values in pg.AxisItem.tickValues(axis, lo, hi, size)
    ]


def test_quick_axis_paints(plot, qtbot):
    widget, item = plot
    axis = QuickAxis("left")
    item.setAxisItems({"left": axis})
    item.setRange(yRange=(-1, 1), padding=0)
    # painted through the quick specs (a paint pass comes when the event loop gets to it:
    # 20 ms were not always enough on a loaded machine, CI of round s10)
    qtbot.waitUntil(lambda: axis.picture is not None, timeout=5000)
    assert _specs(axis, quick_draw_specs) == _specs(axis, pg.AxisItem.generateDrawSpecs)
