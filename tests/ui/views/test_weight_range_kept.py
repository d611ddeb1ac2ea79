"""New weights of the same shape keep the panel's view range instead of setting it again
(issue 16: each ``setRange`` re-ranged the axes and re-laid-out the panel as results
arrived); a new shape, or a range the user zoomed to, is framed again."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.ui.views.weight_panels import MatrixPanel


@pytest.fixture
def panel(qtbot) -> MatrixPanel:
    widget = MatrixPanel()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def ranges(panel, monkeypatch) -> list[dict]:
    calls: list[dict] = []
    original = panel.plot.vb.setRange

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(panel.plot.vb, "setRange", counting)
    return calls


def _show(panel: MatrixPanel, data: np.ndarray) -> None:
    m = float(np.abs(data).max())
    panel.set_data(
        data,
        (-m, m),
        title=f"{data.shape[0]}×{data.shape[1]}",
        x_label="c'",
        y_label="c",
        x_ticks=[(i + 0.5, str(i)) for i in range(data.shape[1])],
        y_ticks=[(i + 0.5, str(i)) for i in range(data.shape[0])],
        describe=lambda r, c: f"{r},{c}",
    )


def _x_range(panel: MatrixPanel) -> list[float]:
    return panel.plot.vb.targetRange()[0]


def test_new_values_of_the_same_shape_keep_the_range_and_show_the_new_values(
    panel, ranges, qtbot, rng
):
    _show(panel, rng.standard_normal((6, 4)).astype(np.float32))
    qtbot.wait(50)
    before = len(ranges)
    new = rng.standard_normal((6, 4)).astype(np.float32)
    _show(panel, new)
    qtbot.wait(50)
    assert len(ranges) == before  # the range set for 6×4 is kept
    np.testing.assert_array_equal(panel.image_item.image, new)  # the new values are drawn
    assert _x_range(panel)[1] > 4 > _x_range(panel)[0] + 4 - 0.5


def test_a_new_shape_is_framed_again(panel, ranges, qtbot, rng):
    _show(panel, rng.standard_normal((6, 4)).astype(np.float32))
    qtbot.wait(50)
    before = len(ranges)
    _show(panel, rng.standard_normal((6, 9)).astype(np.float32))
    qtbot.wait(50)
    assert len(ranges) > before
    low, high = _x_range(panel)
    assert low < 0 < 9 < high < 9.5


def test_a_zoomed_panel_is_framed_again_by_new_data(panel, qtbot, rng):
    _show(panel, rng.standard_normal((6, 4)).astype(np.float32))
    qtbot.wait(50)
    panel.plot.vb.setRange(xRange=(1, 2), yRange=(1, 2), padding=0)  # the user zoomed in
    _show(panel, rng.standard_normal((6, 4)).astype(np.float32))
    qtbot.wait(50)
    low, high = _x_range(panel)
    assert low < 0 and high > 4
